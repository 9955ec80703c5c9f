"""An admin runs `certsmith doctor` before asking for a certificate: each check (DNS, CAA, the account email,
the http-01 rehearsal through the name itself) says pass or what failed and what to do.

The names live in the test BIND (tests/e2e/bind_env.py: example.test has `* A 127.0.0.1`), given to certsmith
with --dns-resolvers. Pebble 2.4's directory has no meta.caaIdentities, so an AriProxy in front of it adds
["pebble.test"]. The CA would fetch port 80; the tests serve elsewhere and point doctor there with
--http-01-port (the port the rehearsal fetches)."""

from __future__ import annotations

import http.server
import json
import os
import socket
import threading

import pytest

from ari_proxy import AriProxy
from conftest import CertsmithRunner, describe
from nginx_env import Nginx
from pebble_env import free_ports

CA_IDENTITY = "pebble.test"


class CaaProxy(AriProxy):
    """Pebble's directory with meta.caaIdentities, everything else forwarded."""

    def _rewrite_directory(self, data: bytes) -> bytes:
        directory = json.loads(super()._rewrite_directory(data))
        directory.setdefault("meta", {})["caaIdentities"] = [CA_IDENTITY]
        return json.dumps(directory).encode()


@pytest.fixture(scope="module")
def bind(bind_pebble):
    return bind_pebble[0]


@pytest.fixture(scope="module")
def proxy(bind_pebble):
    pebble = bind_pebble[1]
    proxy = CaaProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle,
                     offer_ari=False).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def run(certsmith, sandbox, bind_pebble, proxy):
    return CertsmithRunner(certsmith, sandbox, proxy.directory_url, bind_pebble[1].ca_bundle,
                           bind_pebble[1].http_port)


@pytest.fixture
def webroot(tmp_path):
    """A real nginx on a free port serving tmp/www."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("hello\n")
    server = Nginx(tmp_path / "nginx", free_ports(1)[0], root)
    server.start()
    yield server
    server.stop()


class FixedAnswer:
    """A plain HTTP server on a free loopback port giving every GET the same status, headers and body."""

    def __init__(self, status: int, body: bytes = b"", headers: dict | None = None):
        answer = (status, body, headers or {})

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(answer[0])
                for name, value in answer[2].items():
                    self.send_header(name, value.replace("PATH", self.path))
                self.send_header("Content-Length", str(len(answer[1])))
                self.end_headers()
                self.wfile.write(answer[1])

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def doctor(run, bind, *args, port):
    return run("doctor", "--server", run.server, "--dns-resolvers", bind.server, "--http-01-port",
               str(port), *args)


def lines(result, word, check):
    return [line for line in result.stdout.splitlines() if line.startswith(f"{word} {check}")]


def test_all_checks_pass_with_a_webroot_nginx_serves(run, bind, webroot):
    result = doctor(run, bind, "-d", "ok.example.test", "--webroot", "-w", str(webroot.root),
                    "-m", "admin@example.test", port=webroot.port)
    assert result.returncode == 0, describe(result)
    for check in ("dns", "caa", "http-01", "email"):
        assert lines(result, "PASS", check), describe(result)
    assert "resolves to 127.0.0.1" in result.stdout
    assert "All checks passed." in result.stdout
    # nginx was asked for the token by name, and the token is gone afterwards.
    assert any("/.well-known/acme-challenge/" in line for line in webroot.access_lines())
    challenge_dir = webroot.root / ".well-known" / "acme-challenge"
    assert not challenge_dir.exists() or not any(challenge_dir.iterdir())


def test_all_checks_pass_with_the_standalone_responder(run, bind):
    port = free_ports(1)[0]
    result = doctor(run, bind, "-d", "standalone.example.test", "--standalone", port=port)
    assert result.returncode == 0, describe(result)
    assert lines(result, "PASS", "http-01"), describe(result)


def test_port_closed_is_named_with_the_port_to_open(run, bind):
    port = free_ports(1)[0]  # nothing listens there
    result = doctor(run, bind, "-d", "closed.example.test", "--webroot", "-w", str(run.sandbox),
                    port=port)
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "http-01")
    assert failed and "connection to 127.0.0.1 port" in failed[0], describe(result)
    assert "refused" in failed[0].lower(), describe(result)
    assert f"fix: make a web server listen on port {port}" in result.stdout
    assert lines(result, "PASS", "dns"), describe(result)
    assert "Some checks failed." in result.stdout


def test_wrong_content_is_named(run, bind, tmp_path):
    other_site = FixedAnswer(200, b"<html>another site</html>")
    try:
        root = tmp_path / "www"
        root.mkdir()
        result = doctor(run, bind, "-d", "wrong.example.test", "--webroot", "-w", str(root),
                        port=other_site.port)
    finally:
        other_site.stop()
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "http-01")
    assert failed and "wrong content" in failed[0] and "another site" in failed[0], describe(result)
    assert "virtual host" in result.stdout


def test_redirect_loop_is_named(run, bind, tmp_path):
    looping = FixedAnswer(301, headers={"Location": "PATH"})
    try:
        result = doctor(run, bind, "-d", "loop.example.test", "--webroot", "-w", str(tmp_path),
                        port=looping.port)
    finally:
        looping.stop()
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "http-01")
    assert failed and "redirect loop" in failed[0], describe(result)


def test_caa_forbidding_the_ca_is_named(run, bind, webroot):
    # The CAA record sits on the parent: doctor climbs to it (RFC 8659). A node of its own ends the wildcard
    # below it, so the name gets its A record explicitly.
    bind.add_record("example.test", "caa.example.test", "CAA", '0 issue "other-ca.example"')
    bind.add_record("example.test", "www.caa.example.test", "A", "127.0.0.1")
    result = doctor(run, bind, "-d", "www.caa.example.test", "--webroot", "-w", str(webroot.root),
                    port=webroot.port)
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "caa")
    assert failed and "other-ca.example" in failed[0] and CA_IDENTITY in failed[0], describe(result)
    assert "at caa.example.test" in failed[0]
    assert "fix: CAA forbids this CA" in result.stdout
    # Everything else about the name is fine.
    assert lines(result, "PASS", "http-01"), describe(result)


def test_caa_allowing_the_ca_passes(run, bind, webroot):
    bind.add_record("example.test", "allowed.example.test", "CAA", f'0 issue "{CA_IDENTITY}"')
    bind.add_record("example.test", "allowed.example.test", "A", "127.0.0.1")
    result = doctor(run, bind, "-d", "allowed.example.test", port=webroot.port)
    assert result.returncode == 0, describe(result)
    assert lines(result, "PASS", "caa") and CA_IDENTITY in lines(result, "PASS", "caa")[0]
    assert "http-01 not rehearsed" in result.stdout


def test_bad_email_domain_is_named(run, bind):
    result = doctor(run, bind, "-d", "mail.example.test", "-m", "admin@missing.acme-delegate.test",
                    port=free_ports(1)[0])
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "email")
    assert failed and "does not exist" in failed[0], describe(result)
    assert "fix: use an address whose domain receives mail" in result.stdout


def test_a_name_that_does_not_resolve_is_named(run, bind):
    result = doctor(run, bind, "-d", "nothing.acme-delegate.test", port=free_ports(1)[0])
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "dns")
    assert failed and "NXDOMAIN" in failed[0], describe(result)
    assert "fix: add an A (and/or AAAA) record" in result.stdout


def test_doctor_needs_names(run, bind):
    result = doctor(run, bind, port=80)
    assert result.returncode == 2, describe(result)
    assert "certsmith: error: doctor needs the names to check" in result.stderr


def test_first_issuance_stops_when_caa_forbids_the_ca(run, bind):
    """The automatic preflight: a definite blocker (CAA forbids the CA) stops certonly before any order, in one
    error line with exit 5 (as a failed validation), and one more line with the fix."""
    bind.add_record("example.test", "blocked.example.test", "CAA", '0 issue "other-ca.example"')
    bind.add_record("example.test", "blocked.example.test", "A", "127.0.0.1")
    args = ("certonly", "--standalone", "-d", "blocked.example.test", "--agree-tos",
            "--register-unsafely-without-email", "--dns-resolvers", bind.server)
    result = run(*args)
    assert result.returncode == 5, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
    assert len(errors) == 1, describe(result)
    assert errors[0].startswith("certsmith: error: preflight: the CA would refuse this request"), describe(result)
    assert "other-ca.example" in errors[0] and "--no-preflight" in errors[0]
    assert len(result.stderr.splitlines()) <= 2, describe(result)
    assert any(line.startswith("preflight: fix: CAA forbids this CA") for line in result.stderr.splitlines())
    assert not (run.config_dir / "live" / "blocked.example.test").exists()
    skipped = run(*args, "--no-preflight")
    assert "preflight" not in skipped.stderr, describe(skipped)


def test_first_issuance_only_warns_about_what_may_fail(run, bind):
    """What is not a definite blocker (here an email domain that does not exist) does not stop certonly: one
    warning line on stderr each. With --standalone, http-01 is rehearsed too (and passes here), and the port is
    free again for the real validation."""
    result = run("certonly", "--standalone", "-d", "noted.example.test", "--agree-tos", "-m",
                 "admin@missing.acme-delegate.test", "--dns-resolvers", bind.server)
    assert result.returncode == 0, describe(result)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("preflight:")]
    assert len(warnings) == 1, describe(result)
    assert warnings[0].startswith("preflight: warning: email admin@missing.acme-delegate.test"), describe(result)
    log = (run.logs_dir / "letsencrypt.log").read_text()
    assert "preflight: pass: http-01 noted.example.test via 127.0.0.1" in log


def test_first_issuance_warns_when_the_http01_rehearsal_fails(run, bind, tmp_path):
    """A failed rehearsal is a warning, not a blocker: split-horizon DNS can give the CA another view."""
    other_site = FixedAnswer(200, b"<html>another site</html>")
    root = tmp_path / "www"
    root.mkdir()
    try:
        result = run("certonly", "--webroot", "-w", str(root), "-d", "rehearsed.example.test", "--agree-tos",
                     "--register-unsafely-without-email", "--dns-resolvers", bind.server,
                     "--http-01-port", str(other_site.port))
    finally:
        other_site.stop()
    # The CA (Pebble) gets the same wrong content: the real validation fails afterwards.
    assert result.returncode == 5, describe(result)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("preflight: warning: http-01")]
    assert len(warnings) == 1 and "wrong content" in warnings[0], describe(result)


def test_standalone_port_in_use_is_a_finding_naming_its_holder(run, bind):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        result = doctor(run, bind, "-d", "busy.example.test", "--standalone", "--http-01-address", "127.0.0.1",
                        port=port)
    finally:
        holder.close()
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "http-01")
    assert failed and f"port {port}" in failed[0], describe(result)
    assert f"(pid {os.getpid()})" in failed[0], describe(result)
    assert "fix: --standalone needs port" in result.stdout
    assert lines(result, "PASS", "dns") and lines(result, "PASS", "caa"), describe(result)
    assert "certsmith: error" not in result.stderr


def test_an_ipv6_failure_warns_when_ipv4_passes(run, bind, tmp_path):
    """nginx listens on IPv4 only; the name has an AAAA record too. The CA falls back to IPv4: a warning."""
    root = tmp_path / "www"
    root.mkdir()
    server = Nginx(tmp_path / "nginx", free_ports(1)[0], root, ipv6=False)
    server.start()
    bind.add_record("example.test", "dual.example.test", "A", "127.0.0.1")
    bind.add_record("example.test", "dual.example.test", "AAAA", "::1")
    try:
        result = doctor(run, bind, "-d", "dual.example.test", "--webroot", "-w", str(root), port=server.port)
    finally:
        server.stop()
    assert result.returncode == 0, describe(result)
    assert [line for line in lines(result, "PASS", "http-01") if "via 127.0.0.1" in line], describe(result)
    warned = [line for line in lines(result, "WARN", "http-01") if "via ::1" in line]
    assert warned, describe(result)
    assert "falls back to IPv4" in result.stdout


def test_ip_address_identifier_is_fetched_without_dns(run, bind):
    port = free_ports(1)[0]
    result = doctor(run, bind, "--ip-address", "127.0.0.1", "--standalone", port=port)
    assert result.returncode == 0, describe(result)
    assert lines(result, "PASS", "http-01") and "127.0.0.1 via 127.0.0.1" in result.stdout, describe(result)
    assert not lines(result, "PASS", "dns") and not lines(result, "PASS", "caa"), describe(result)


def test_rate_limit_reached_is_named_from_the_issuance_ledger(run, bind):
    """A real issuance against Pebble writes the ledger; with a duplicate limit of 1, doctor names the limit."""
    issued = run("certonly", "--standalone", "-d", "limited.example.test", "--agree-tos",
                 "--register-unsafely-without-email", "--no-preflight")
    assert issued.returncode == 0, describe(issued)
    result = doctor(run, bind, "-d", "limited.example.test", "--rate-limit-duplicates", "1", port=free_ports(1)[0])
    assert result.returncode == 1, describe(result)
    failed = lines(result, "FAIL", "ratelimit")
    assert failed and "rate limit reached" in failed[0], describe(result)
    assert "fix: wait until 20" in result.stdout and "--dry-run" in result.stdout, describe(result)
    # Without a limit set for this CA, nothing is counted against it.
    free = doctor(run, bind, "-d", "limited.example.test", port=free_ports(1)[0])
    assert lines(free, "PASS", "ratelimit"), describe(free)
