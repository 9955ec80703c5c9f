"""`certsmith serve`: one http-01 responder answering from a token directory, fed by any number of renewal
runs with `--authenticator serve`, each under its own tree lock."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CertsmithRunner, describe
from inspect_tree import parse_renewal_conf, sans
from pebble_env import free_ports

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


def test_three_concurrent_renewals_are_validated_through_one_serve(certsmith, pebble, tmp_path,
                                                                      serve_on_pebble_port, run_certsmith):
    token_dir = serve_on_pebble_port.token_dir
    assert stat.S_IMODE(token_dir.stat().st_mode) == 0o755
    # Three trees (each renewal run holds its own tree's lock), one token directory, one responder.
    runners = [CertsmithRunner(certsmith, tmp_path / f"tree-{i}", pebble.directory_url, pebble.ca_bundle,
                               pebble.http_port) for i in range(3)]
    procs = []
    for i, runner in enumerate(runners):
        runner.sandbox.mkdir()
        procs.append(runner.start("certonly", "-a", "serve", "--serve-token-dir", str(token_dir),
                                  "--agree-tos", "--register-unsafely-without-email",
                                  "-d", f"serve-{i}.example.com", "-d", f"www.serve-{i}.example.com"))
    results = [(proc, *proc.communicate(timeout=120)) for proc in procs]
    for proc, out, err in results:
        assert proc.returncode == 0, f"{proc.args}\n{out}\n{err}"
    for i, runner in enumerate(runners):
        live = runner.config_dir / "live" / f"serve-{i}.example.com"
        assert sans(live / "cert.pem") == {f"serve-{i}.example.com", f"www.serve-{i}.example.com"}
        params = parse_renewal_conf(runner.config_dir / "renewal" / f"serve-{i}.example.com.conf")["renewalparams"]
        assert params["authenticator"] == "serve"
        assert params["serve_token_dir"] == str(token_dir)
    assert list(token_dir.iterdir()) == [], "the solvers left tokens behind"

    # renew uses the recorded authenticator and token directory, with serve still the only responder.
    renewed = runners[0]("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    assert list(token_dir.iterdir()) == []

    code, out, err = serve_on_pebble_port.stop()
    assert code == 0, f"{out}\n{err}"


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
