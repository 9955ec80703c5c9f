"""A user lists the certificates certsmith manages with `certsmith certificates`."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from conftest import describe
from inspect_tree import not_after, serial_hex


def test_no_certificates_yet(run_certsmith):
    result = run_certsmith("certificates")
    assert result.returncode == 0, describe(result)
    assert "No certificates found." in result.stdout.splitlines(), describe(result)


def _blocks(stdout: str) -> dict[str, dict[str, str]]:
    """Parses certbot's layout: '  Certificate Name: X' then '    Key: value' lines."""
    blocks: dict[str, dict[str, str]] = {}
    current = None
    for line in stdout.splitlines():
        m = re.fullmatch(r"  Certificate Name: (\S+)", line)
        if m:
            current = blocks.setdefault(m.group(1), {})
            continue
        m = re.fullmatch(r"    ([A-Za-z ]+): (.*)", line)
        if m and current is not None:
            current[m.group(1)] = m.group(2)
    return blocks


def test_certificates_lists_each_lineage(run_certsmith):
    for names in (("list-a.example.com", "www.list-a.example.com"), ("list-b.example.com",)):
        result = run_certsmith.certonly(*names)
        assert result.returncode == 0, describe(result)

    result = run_certsmith("certificates")
    assert result.returncode == 0, describe(result)
    assert "Found the following certs:" in result.stdout.splitlines(), describe(result)
    blocks = _blocks(result.stdout)
    assert set(blocks) == {"list-a.example.com", "list-b.example.com"}, describe(result)

    live = run_certsmith.config_dir / "live" / "list-a.example.com"
    a = blocks["list-a.example.com"]
    assert a["Serial Number"] == serial_hex(live / "cert.pem")
    assert a["Key Type"] == "ECDSA"
    assert a["Domains"] == "list-a.example.com www.list-a.example.com"
    expiry = not_after(live / "cert.pem")
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00) \(VALID: (\d+) days?\)", a["Expiry Date"])
    assert m, a["Expiry Date"]
    assert m.group(1) == expiry.strftime("%Y-%m-%d %H:%M:%S+00:00")
    days_left = (expiry - dt.datetime.now(dt.timezone.utc)).days
    assert abs(int(m.group(2)) - days_left) <= 1
    assert a["Certificate Path"] == str(live / "fullchain.pem")
    assert a["Private Key Path"] == str(live / "privkey.pem")
    assert blocks["list-b.example.com"]["Domains"] == "list-b.example.com"


def test_certificates_lists_short_lived_certificate_as_valid(make_runner, pebble_factory):
    """Pebble with certificateValidityPeriod 1 h: the listing still parses and says VALID."""
    run = make_runner(pebble_factory(validity_seconds=3600))
    result = run.certonly("short.example.com")
    assert result.returncode == 0, describe(result)
    listing = run("certificates")
    assert listing.returncode == 0, describe(listing)
    block = _blocks(listing.stdout)["short.example.com"]
    assert "VALID" in block["Expiry Date"] and "INVALID" not in block["Expiry Date"], block


def test_certificates_flags_expired_certificate(make_runner, pebble_factory):
    """certbot's wording: an expired certificate is listed with (INVALID: EXPIRED)."""
    run = make_runner(pebble_factory(validity_seconds=2))
    result = run.certonly("expired.example.com")
    assert result.returncode == 0, describe(result)
    expiry = not_after(run.config_dir / "live" / "expired.example.com" / "cert.pem")
    wait = (expiry - dt.datetime.now(dt.timezone.utc)).total_seconds() + 1.5
    if wait > 0:
        time.sleep(min(wait, 10))
    listing = run("certificates")
    assert listing.returncode == 0, describe(listing)
    block = _blocks(listing.stdout)["expired.example.com"]
    assert block["Expiry Date"].endswith("(INVALID: EXPIRED)"), describe(listing)


def test_certificates_filters_by_cert_name_and_domain(run_certsmith):
    """certbot's filters: --cert-name picks one lineage, -d keeps those holding every name given."""
    for names in (("flt-a.example.com", "www.flt-a.example.com"), ("flt-b.example.com",)):
        assert run_certsmith.certonly(*names).returncode == 0

    by_name = run_certsmith("certificates", "--cert-name", "flt-b.example.com")
    assert by_name.returncode == 0, describe(by_name)
    assert "Found the following matching certs:" in by_name.stdout.splitlines(), describe(by_name)
    assert set(_blocks(by_name.stdout)) == {"flt-b.example.com"}

    by_domain = run_certsmith("certificates", "-d", "www.flt-a.example.com")
    assert set(_blocks(by_domain.stdout)) == {"flt-a.example.com"}, describe(by_domain)

    nothing = run_certsmith("certificates", "-d", "flt-a.example.com", "-d", "flt-b.example.com")
    assert nothing.returncode == 0, describe(nothing)
    assert _blocks(nothing.stdout) == {}
    assert "No matching certificates found." in nothing.stdout.splitlines(), describe(nothing)

    unfiltered = run_certsmith("certificates")
    assert "Found the following certs:" in unfiltered.stdout.splitlines(), describe(unfiltered)
    assert set(_blocks(unfiltered.stdout)) == {"flt-a.example.com", "flt-b.example.com"}


def test_certificates_filters_an_idn_as_typed_and_an_ip_address(run_certsmith):
    """-d takes the name as the user types it (Unicode or punycode); --ip-address filters on IP SANs."""
    assert run_certsmith.certonly("b\u00fccher-flt.example").returncode == 0
    assert run_certsmith.certonly("ipflt.example.com", extra=("--ip-address", "127.0.0.1")).returncode == 0

    for typed in ("B\u00fcCHER-flt.example.", "xn--bcher-flt-q9a.example"):
        by_idn = run_certsmith("certificates", "-d", typed)
        assert by_idn.returncode == 0, describe(by_idn)
        assert set(_blocks(by_idn.stdout)) == {"xn--bcher-flt-q9a.example"}, describe(by_idn)

    by_ip = run_certsmith("certificates", "--ip-address", "127.0.0.1")
    assert by_ip.returncode == 0, describe(by_ip)
    assert "Found the following matching certs:" in by_ip.stdout.splitlines(), describe(by_ip)
    assert set(_blocks(by_ip.stdout)) == {"ipflt.example.com"}, describe(by_ip)

    no_ip = run_certsmith("certificates", "--ip-address", "127.0.0.2")
    assert _blocks(no_ip.stdout) == {} and "No matching certificates found." in no_ip.stdout, describe(no_ip)

    as_json = run_certsmith("certificates", "--json", "--ip-address", "127.0.0.1")
    assert as_json.returncode == 0, describe(as_json)
    assert "ipflt.example.com" in as_json.stdout and "flt-q9a" not in as_json.stdout, describe(as_json)


@pytest.mark.parametrize("flag,value", [("-d", "a/b.example"), ("-d", "127.0.0.1"), ("--ip-address", "256.1.1.1"),
                                        ("--ip-address", "example.com"), ("-d", "x\x1b[2J.example")])
def test_certificates_refuses_hostile_filter_values(run_certsmith, flag, value):
    result = run_certsmith("certificates", flag, value)
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert "\x1b" not in result.stderr
