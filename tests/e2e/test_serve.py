"""`certsmith serve`: one http-01 responder answering from a token directory, fed by any number of renewal
runs with `--authenticator serve`, each under its own tree lock."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CertsmithRunner, describe
from inspect_tree import live_version, parse_renewal_conf, sans, serial_hex
from pebble_env import free_ports

# Pebble reuses a valid authorization half the time by default: renewals that prove serve answered
# need fresh ones (it still reuses one now and then, see PebbleEnv.validations).
PEBBLE_OPTIONS = {"extra_env": {"PEBBLE_AUTHZREUSE": "0"}}

TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"


def http_get(port: int, target: str, host: str | None = "example.test", version: str = "HTTP/1.1",
             extra: str = "") -> tuple[int, dict[str, str], bytes]:
    """Sends exactly this request (no client-side path cleanup) and returns status, headers, body."""
    request = f"GET {target} {version}\r\n"
    if host is not None:
        request += f"Host: {host}\r\n"
    request += extra + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request.encode("latin-1"))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


class Serve:
    """A running `certsmith serve`, stopped (and its exit checked) by the test."""

    def __init__(self, runner: CertsmithRunner, port: int, token_dir: Path | None, *extra: str,
                 address: str | None = "127.0.0.1"):
        """token_dir None: serve's default (WORK_DIR/http-01-tokens); address None: every address."""
        self.port = port
        self.token_dir = token_dir or runner.work_dir / "http-01-tokens"
        argv = ["serve", "--http-01-port", str(port), *extra]
        if address is not None:
            argv += ["--http-01-address", address]
        if token_dir is not None:
            argv += ["--serve-token-dir", str(token_dir)]
        self.proc = runner.start(*argv)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                pytest.fail(f"serve exited {self.proc.returncode}\n{out}\n{err}", pytrace=False)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    pytest.fail("serve did not start listening", pytrace=False)
                time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def serve_on_pebble_port(run_certsmith, pebble, tmp_path):
    """serve on the port Pebble validates http-01 on, every address (Pebble tries ::1 first)."""
    server = Serve(run_certsmith, pebble.http_port, tmp_path / "shared-tokens", address=None)
    yield server
    server.kill()


@pytest.fixture
def serve_on_free_port(run_certsmith, tmp_path):
    servers = []

    def start(*extra: str) -> Serve:
        server = Serve(run_certsmith, free_ports(1)[0], tmp_path / f"tokens-{len(servers)}", *extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


def answered_tokens(serve_stdout: str) -> list[str]:
    """The tokens serve says it answered (its access log: one line per answer)."""
    return re.findall(r"Answered http-01 token ([A-Za-z0-9_-]+)", serve_stdout)


def pebble_http01_tokens(log_text: str) -> dict[str, set[str]]:
    """name -> the tokens Pebble's VA fetched over http-01 for it, from its log text."""
    fetched: dict[str, set[str]] = {}
    for name, token in re.findall(
            r"Attempting to validate w/ HTTP: http://([^:/\s]+):\d+/\.well-known/acme-challenge/([A-Za-z0-9_-]+)",
            log_text):
        fetched.setdefault(name, set()).add(token)
    return fetched


def test_three_concurrent_renewals_are_validated_through_one_serve(certsmith, pebble, tmp_path,
                                                                      serve_on_pebble_port):
    token_dir = serve_on_pebble_port.token_dir
    assert stat.S_IMODE(token_dir.stat().st_mode) == 0o755
    assert (token_dir / ".serve.pid").read_text() == f"{serve_on_pebble_port.proc.pid}\n"
    # Three trees, one token directory, one responder. Three trees because a run holds its tree's
    # lock (config, work and logs dirs, as certbot does) for its whole length: a second renewal in
    # the same tree at once is refused ("already running"), so one tree cannot run three at once.
    runners = [CertsmithRunner(certsmith, tmp_path / f"tree-{i}", pebble.directory_url, pebble.ca_bundle,
                               pebble.http_port) for i in range(3)]
    names = [[f"serve-{i}.example.com", f"www.serve-{i}.example.com"] for i in range(3)]
    for runner, (name, www) in zip(runners, names):
        runner.sandbox.mkdir()
        issued = runner("certonly", "-a", "serve", "--serve-token-dir", str(token_dir), "--agree-tos",
                        "--register-unsafely-without-email", "-d", name, "-d", www)
        assert issued.returncode == 0, describe(issued)
        assert "no running `certsmith serve`" not in issued.stderr, describe(issued)
        params = parse_renewal_conf(runner.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
        assert params["authenticator"] == "serve"
        assert params["serve_token_dir"] == str(token_dir)
    serials_before = [serial_hex(runner.config_dir / "live" / name / "cert.pem")
                      for runner, (name, _) in zip(runners, names)]

    log_offset = len(pebble.log_text())
    validations_before = {name: pebble.validations(name) for pair in names for name in pair}
    # The three renewals at once; each finds serve from its renewal conf alone.
    procs = [runner.start("renew", "--cert-name", name, "--force-renewal")
             for runner, (name, _) in zip(runners, names)]
    results = [(proc, *proc.communicate(timeout=180)) for proc in procs]
    for proc, out, err in results:
        assert proc.returncode == 0, f"{proc.args}\n{out}\n{err}"
        assert "no running `certsmith serve`" not in err
    for runner, (name, www), serial in zip(runners, names, serials_before):
        live = runner.config_dir / "live" / name / "cert.pem"
        assert sans(live) == {name, www}
        assert serial_hex(live) != serial, f"{name} was not renewed"
        assert live_version(runner.config_dir / "live" / name) == 2
    assert [p.name for p in token_dir.iterdir()] == [".serve.pid"], "the solvers left tokens behind"

    code, out, err = serve_on_pebble_port.stop()
    assert code == 0, f"{out}\n{err}"
    assert not (token_dir / ".serve.pid").exists()
    answered = set(answered_tokens(out))
    fetched = pebble_http01_tokens(pebble.log_text()[log_offset:])
    # Every challenge Pebble validated for the renewals was a fetch serve answered. Pebble reuses a
    # valid authorization now and then (see PebbleEnv.validations): a reused one is not validated
    # again, so the count of new tokens per name is the count of new validations, 0 or 1.
    new_validations = 0
    for name in validations_before:
        validated = pebble.validations(name) - validations_before[name]
        tokens = fetched.get(name, set())
        assert len(tokens) == validated, (name, tokens, validated)
        assert tokens <= answered, f"{name}: Pebble fetched {tokens - answered} that serve did not answer\n{out}"
        new_validations += validated
    assert new_validations >= 4, \
        f"only {new_validations} of 6 authorizations were validated anew: {fetched} {validations_before}"


def test_default_token_dir_is_in_the_work_dir_and_no_tree_lock_is_taken(run_certsmith):
    server = Serve(run_certsmith, free_ports(1)[0], None)
    try:
        token_dir = run_certsmith.work_dir / "http-01-tokens"
        assert token_dir.is_dir() and stat.S_IMODE(token_dir.stat().st_mode) == 0o755
        (token_dir / TOKEN).write_text("ka-from-work-dir")
        assert http_get(server.port, f"/.well-known/acme-challenge/{TOKEN}")[2] == b"ka-from-work-dir"
        # serve holds no tree lock: a run that takes it on the same tree is not refused.
        result = run_certsmith("update_symlinks")
        assert result.returncode == 0, describe(result)
        assert "already running" not in result.stderr
    finally:
        server.kill()


def test_tokens_are_read_fresh_and_hostile_names_get_404(serve_on_free_port, tmp_path):
    server = serve_on_free_port()
    tokens = server.token_dir
    prefix = "/.well-known/acme-challenge/"
    assert http_get(server.port, prefix + TOKEN)[0] == 404
    (tokens / TOKEN).write_text("first")
    status, headers, body = http_get(server.port, prefix + TOKEN)
    assert (status, body) == (200, b"first")
    assert headers["content-type"] == "text/plain"
    (tokens / TOKEN).write_text("second")  # another run replaced it
    assert http_get(server.port, prefix + TOKEN)[2] == b"second"
    (tokens / TOKEN).unlink()
    assert http_get(server.port, prefix + TOKEN)[0] == 404

    # Files a token can never name, and names that are not tokens.
    secret = tmp_path / "secret"
    secret.write_text("secret")
    (tokens / ".hidden").write_text("secret")
    os.symlink(secret, tokens / "linked")
    os.mkfifo(tokens / "fifo")
    (tokens / "subdir").mkdir()
    (tokens / "big").write_text("x" * 5000)
    (tokens / "ok").write_text("fine")
    hostile = [".hidden", "linked", "fifo", "subdir", "big", "..%2fsecret", "%2e%2e/secret", "../secret",
               "ok/", "%00ok", "ok%0d%0a", "ok%2f", "", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
               "a" * 300]
    for name in hostile:
        status, _, body = http_get(server.port, prefix + name)
        assert status == 404, (name, status, body)
        assert b"secret" not in body
    assert http_get(server.port, prefix + "ok")[2] == b"fine"
    assert http_get(server.port, "//.well-known/acme-challenge/ok")[0] == 404
    # Without --redirect-https every other path is 404.
    assert http_get(server.port, "/")[0] == 404
    assert http_get(server.port, "/index.html")[0] == 404


def test_redirect_https_and_host_header_checks(serve_on_free_port):
    server = serve_on_free_port("--redirect-https")
    (server.token_dir / "ok").write_text("fine")
    assert http_get(server.port, "/.well-known/acme-challenge/ok")[:3:2] == (200, b"fine")
    assert http_get(server.port, "/.well-known/acme-challenge/unknown")[0] == 404  # never redirected

    status, headers, _ = http_get(server.port, "/shop/cart?id=7&q=a%20b", host="www.example.com:80")
    assert status == 301
    assert headers["location"] == "https://www.example.com/shop/cart?id=7&q=a%20b"
    assert http_get(server.port, "/", host="[2001:db8::1]")[1]["location"] == "https://[2001:db8::1]/"

    # Header injection through the path: the decoded CR LF is re-encoded, no header is added.
    status, headers, _ = http_get(server.port, "/a%0d%0aSet-Cookie:%20pwned=1", host="example.com")
    assert status == 301
    assert headers["location"] == "https://example.com/a%0D%0ASet-Cookie%3A%20pwned%3D1"
    assert "set-cookie" not in headers

    # A Host that is not a sane host name: 400, nothing echoed.
    for host in ["evil.com/phish", "user@evil.com", "evil.com:80x", "a b", "evil.com?", "", "evil..com",
                 "\x7fevil.com", "evil.com%0d%0aSet-Cookie:x"]:
        status, headers, body = http_get(server.port, "/", host=host)
        assert status == 400, (host, status, headers)
        assert "location" not in headers and b"evil" not in body
    # No Host at all (HTTP/1.0): nothing to redirect to.
    assert http_get(server.port, "/", host=None, version="HTTP/1.0")[0] == 400


def test_sigterm_and_sigint_stop_serve_with_exit_0(serve_on_free_port):
    for sig in (signal.SIGTERM, signal.SIGINT):
        server = serve_on_free_port()
        code, out, err = server.stop(sig)
        assert code == 0, f"{sig}: {out}\n{err}"
        assert "Serving http-01 tokens from" in out
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_serve_on_a_busy_port_fails_with_one_clear_line(run_certsmith, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_certsmith("serve", "--http-01-address", "127.0.0.1", "--http-01-port", str(port),
                               "--serve-token-dir", str(tmp_path / "t"))
    assert result.returncode != 0, describe(result)
    assert f"certsmith: error: cannot listen on 127.0.0.1:{port} for http-01" in result.stderr, describe(result)


def test_serve_refuses_a_token_dir_that_is_a_file(run_certsmith, tmp_path):
    (tmp_path / "file").write_text("x")
    result = run_certsmith("serve", "--http-01-port", str(free_ports(1)[0]), "--serve-token-dir",
                           str(tmp_path / "file"))
    assert result.returncode != 0
    assert "is not a directory" in result.stderr, describe(result)


@pytest.mark.parametrize("hostile", ["mode-0777", "owned-by-nobody", "symlink"])
def test_serve_and_the_solver_refuse_a_token_dir_another_user_could_write(run_certsmith, pebble, tmp_path,
                                                                         hostile):
    """Review B 1: whoever can add a file to the token directory can have serve answer their own order."""
    real = tmp_path / "real"
    real.mkdir(mode=0o755)
    token_dir = real
    if hostile == "mode-0777":
        os.chmod(real, 0o777)
    elif hostile == "owned-by-nobody":
        if os.geteuid() != 0:
            pytest.skip("chown to another user needs root")
        os.chown(real, 65534, 65534)
    else:
        token_dir = tmp_path / "link"
        token_dir.symlink_to(real)
    served = run_certsmith("serve", "--http-01-address", "127.0.0.1", "--http-01-port", str(free_ports(1)[0]),
                           "--serve-token-dir", str(token_dir))
    issued = run_certsmith("certonly", "-a", "serve", "--serve-token-dir", str(token_dir), "--agree-tos",
                           "--register-unsafely-without-email", "-d", "refused.example.com")
    for result in (served, issued):
        assert result.returncode == 5, describe(result)
        errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
        assert len(errors) == 1 and "refusing token directory" in errors[0], describe(result)
        assert ("symlink" if hostile == "symlink" else "another user could plant tokens") in errors[0]
    assert list(real.iterdir()) == []
    assert not (run_certsmith.config_dir / "live" / "refused.example.com").exists()


def test_the_solver_warns_when_no_serve_reads_the_token_dir(run_certsmith, pebble, tmp_path):
    token_dir = tmp_path / "unserved"
    result = run_certsmith("certonly", "-a", "serve", "--serve-token-dir", str(token_dir), "--agree-tos",
                           "--register-unsafely-without-email", "-d", "unserved.example.com")
    # Nothing answers on Pebble's http-01 port: validation fails, after one warning naming the directory.
    assert result.returncode != 0, describe(result)
    warnings = [line for line in result.stderr.splitlines() if "no running `certsmith serve`" in line]
    assert len(warnings) == 1 and str(token_dir) in warnings[0], describe(result)
    assert [p.name for p in token_dir.iterdir()] == []


def test_reconfigure_moves_a_serve_lineage_to_another_token_dir(run_certsmith, pebble, tmp_path):
    """reconfigure -a serve --serve-token-dir D: the dry run goes through a serve reading D, then D is saved."""
    name = "moved.example.com"
    conf = run_certsmith.config_dir / "renewal" / f"{name}.conf"
    first = Serve(run_certsmith, pebble.http_port, tmp_path / "first", address=None)
    try:
        issued = run_certsmith("certonly", "-a", "serve", "--serve-token-dir", str(first.token_dir),
                               "--agree-tos", "--register-unsafely-without-email", "-d", name)
        assert issued.returncode == 0, describe(issued)
    finally:
        first.kill()
    second = Serve(run_certsmith, pebble.http_port, tmp_path / "second", address=None)
    try:
        moved = run_certsmith("reconfigure", "--cert-name", name, "-a", "serve", "--serve-token-dir",
                              str(second.token_dir))
        assert moved.returncode == 0, describe(moved)
        assert "no running `certsmith serve`" not in moved.stderr, describe(moved)
        assert parse_renewal_conf(conf)["renewalparams"]["serve_token_dir"] == str(second.token_dir)
        renewed = run_certsmith("renew", "--cert-name", name, "--force-renewal")
        assert renewed.returncode == 0, describe(renewed)
    finally:
        code, out, err = second.stop()
    assert code == 0, f"{out}\n{err}"
    assert answered_tokens(out), "the dry run and the renewal did not go through the second serve"
