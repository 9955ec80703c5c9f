"""A user asks for a certificate for an IP address (RFC 8738 "ip" identifiers): Pebble validates http-01 by
connecting to that address, so the standalone server on 127.0.0.1 (and ::1) answers it."""

from __future__ import annotations

import re
import socket

import pytest

from conftest import describe
from inspect_tree import lineage_problems, openssl, parse_renewal_conf, sans


def ip_sans(cert) -> set[str]:
    out = openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName")
    return {value.lower() for value in re.findall(r"IP Address:([0-9A-Fa-f:.]+)", out)}


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def _ip_certonly(run_certsmith, *addresses: str, domains: tuple = (), extra: tuple = ()):
    args = []
    for address in addresses:
        args += ["--ip-address", address]
    return run_certsmith.certonly(*domains, extra=(*args, *extra))


def test_certificate_for_127_0_0_1(run_certsmith):
    result = _ip_certonly(run_certsmith, "127.0.0.1")
    assert result.returncode == 0, describe(result)
    assert "Successfully received certificate." in result.stdout.splitlines(), describe(result)
    live = run_certsmith.config_dir / "live" / "127.0.0.1"
    assert ip_sans(live / "cert.pem") == {"127.0.0.1"}
    assert sans(live / "cert.pem") == set()
    assert lineage_problems(run_certsmith.config_dir, "127.0.0.1") == []
    assert (run_certsmith.config_dir / "renewal" / "127.0.0.1.conf").is_file()

    again = _ip_certonly(run_certsmith, "127.0.0.1")
    assert again.returncode == 0, describe(again)
    assert "Certificate not yet due for renewal; no action taken." in again.stdout.splitlines(), describe(again)


def test_domain_and_ip_address_in_one_certificate(run_certsmith, pebble):
    result = _ip_certonly(run_certsmith, "127.0.0.1", domains=("mixed.example.com",))
    assert result.returncode == 0, describe(result)
    cert = run_certsmith.config_dir / "live" / "mixed.example.com" / "cert.pem"
    assert sans(cert) == {"mixed.example.com"}
    assert ip_sans(cert) == {"127.0.0.1"}


def test_comma_list_and_renew_of_an_ip_lineage(run_certsmith):
    result = run_certsmith.certonly(extra=("--ip-address", "127.0.0.1,127.0.0.1"))
    assert result.returncode == 0, describe(result)
    renewed = run_certsmith("renew", "--force-renewal", "--cert-name", "127.0.0.1")
    assert renewed.returncode == 0, describe(renewed)
    archive = run_certsmith.config_dir / "archive" / "127.0.0.1"
    assert ip_sans(archive / "cert2.pem") == {"127.0.0.1"}


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
def test_certificate_for_ipv6_loopback_gets_a_lineage_name_without_colons(run_certsmith):
    result = _ip_certonly(run_certsmith, "0:0:0:0:0:0:0:1")
    assert result.returncode == 0, describe(result)
    name = "0--1"  # canonical ::1, ':' spelled '-', leading "::" as "0--"
    live = run_certsmith.config_dir / "live" / name
    assert ip_sans(live / "cert.pem") == {"0:0:0:0:0:0:0:1"}, "openssl prints IPv6 SANs in full"
    assert lineage_problems(run_certsmith.config_dir, name) == []
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / f"{name}.conf")
    assert conf["cert"] == str(live / "cert.pem")


# Spaces around an item are stripped as certbot strips -d items; a line break inside one is refused.
@pytest.mark.parametrize("address", ["256.1.1.1", "127.0.0.1/8", "localhost", "1.2.3", "::g", "127.0.0.1\nX",
                                     "127.0.0.1\n127.0.0.2"])
def test_invalid_ip_address_is_refused(run_certsmith, address):
    result = _ip_certonly(run_certsmith, address)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert not (run_certsmith.config_dir / "live").exists() or not any((run_certsmith.config_dir / "live").iterdir())
