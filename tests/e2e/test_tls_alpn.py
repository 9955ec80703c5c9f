"""A user on a port-443-only host obtains and renews a certificate with tls-alpn-01 (RFC 8737)."""

from __future__ import annotations

import socket

from conftest import describe
from inspect_tree import parse_renewal_conf, sans, serial_hex

NAME = "alpn.example.com"


def certonly_tls_alpn(run_certsmith, pebble, *names: str, extra: tuple = ()):
    args = ["certonly", "--standalone", "--preferred-challenges", "tls-alpn-01",
            "--tls-alpn-01-port", str(pebble.tls_port), "--agree-tos",
            "--register-unsafely-without-email"]
    for name in names:
        args += ["-d", name]
    return run_certsmith(*args, *extra)


def test_tls_alpn_issues_records_and_renews(run_certsmith, pebble):
    result = certonly_tls_alpn(run_certsmith, pebble, NAME)
    assert result.returncode == 0, describe(result)
    config = run_certsmith.config_dir
    live = config / "live" / NAME
    assert sans(live / "cert.pem") == {NAME}
    first_serial = serial_hex(live / "cert.pem")
    assert pebble.cert_status(first_serial)["Status"] == "Valid"
    # Pebble validated over TLS: the responder logged the handshakes it answered.
    log = (run_certsmith.logs_dir / "letsencrypt.log").read_text()
    assert f"tls-alpn-01: presented the validation certificate for {NAME}" in log

    # The renewal conf records what renew must repeat: the challenge and its port.
    params = parse_renewal_conf(config / "renewal" / f"{NAME}.conf")["renewalparams"]
    assert params["authenticator"] == "standalone"
    pref = params["pref_challs"]
    assert (pref if isinstance(pref, list) else [p.strip() for p in pref.split(",") if p.strip()]) \
        == ["tls-alpn-01"], params
    assert int(params["tls_alpn01_port"]) == pebble.tls_port

    # renew takes everything from the conf (no --tls-alpn-01-port given here).
    renewed = run_certsmith("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    assert (config / "archive" / NAME / "cert2.pem").is_file()
    assert serial_hex(live / "cert.pem") != first_serial
    assert pebble.cert_status(serial_hex(live / "cert.pem"))["Status"] == "Valid"


def test_tls_alpn_port_in_use_is_a_clear_error(run_certsmith, pebble):
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as blocker:
        blocker.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        blocker.bind(("::", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = run_certsmith("certonly", "--standalone", "--preferred-challenges", "tls-alpn-01",
                               "--tls-alpn-01-port", str(port), "-d", "busy.example.com",
                               "--agree-tos", "--register-unsafely-without-email")
    assert result.returncode != 0, describe(result)
    lines = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]
    assert len(lines) == 1, describe(result)
    assert "cannot listen on" in lines[0] and "tls-alpn-01" in lines[0], describe(result)
    assert not (run_certsmith.config_dir / "live" / "busy.example.com").exists()


def test_tls_alpn_refuses_a_wildcard(run_certsmith, pebble):
    result = certonly_tls_alpn(run_certsmith, pebble, "*.wild.example.com")
    assert result.returncode != 0, describe(result)
    assert "certsmith: error:" in result.stderr, describe(result)
    assert "dns-01" in result.stderr, describe(result)
    assert not (run_certsmith.config_dir / "live").exists() or \
        not any((run_certsmith.config_dir / "live").iterdir())
