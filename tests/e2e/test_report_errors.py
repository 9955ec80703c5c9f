"""A user gets one clear line and a documented exit code when something outside certsmith goes wrong."""

from __future__ import annotations

import re

from conftest import describe
from pebble_env import free_ports, generate_tls_cert


def _one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    return lines[0]


def test_version(run_certsmith):
    result = run_certsmith("--version", dirs=False, check_tree=False)
    assert result.returncode == 0, describe(result)
    assert result.stdout.strip() == "certsmith 0.1.0", describe(result)


def test_unreachable_server_exits_3(run_certsmith):
    closed_port = free_ports(1)[0]
    name = "unreachable.example.com"
    result = run_certsmith.certonly(name, server=f"https://127.0.0.1:{closed_port}/dir")
    assert result.returncode == 3, describe(result)
    line = _one_error_line(result)
    assert f"127.0.0.1:{closed_port}" in line, "the error should name the server\n" + describe(result)
    assert not (run_certsmith.config_dir / "live" / name).exists()
    log = run_certsmith.logs_dir / "letsencrypt.log"
    assert log.is_file() and log.stat().st_size > 0, "details belong in the log file"


def test_untrusted_server_certificate_exits_3(run_certsmith, tmp_path):
    """A CA bundle that does not hold Pebble's listener certificate: the TLS handshake must fail."""
    (tmp_path / "other").mkdir()
    other_ca, _ = generate_tls_cert(tmp_path / "other")
    result = run_certsmith.certonly("untrusted.example.com", env={"REQUESTS_CA_BUNDLE": str(other_ca)})
    assert result.returncode == 3, describe(result)
    _one_error_line(result)


def test_challenge_nobody_answers_exits_5(run_certsmith):
    """The responder listens on a port Pebble does not validate on: the http-01 challenge fails."""
    wrong_port = free_ports(1)[0]
    name = "nobody-home.example.com"
    result = run_certsmith("certonly", "--standalone", "-d", name, "--agree-tos", "--register-unsafely-without-email",
                           "--http-01-port", str(wrong_port))
    assert result.returncode == 5, describe(result)
    line = _one_error_line(result)
    assert name in line, "the error should name the domain that failed\n" + describe(result)
    assert re.search(r"http-01", line), describe(result)
    assert not (run_certsmith.config_dir / "live" / name).exists()
