"""A user's CA publishes ACME Renewal Information (RFC 9773): `renew` renews early when the CA's window says
so (telling the CA which certificate the order replaces), keeps a certificate whose window lies ahead
without asking the CA again before its Retry-After, and shrugs off a hostile renewalInfo answer.

Pebble 2.4 has no renewalInfo, so ari_proxy.AriProxy stands in front of it and adds one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509

from ari_proxy import AriAnswer, AriProxy
from conftest import CertsmithRunner, describe
from inspect_tree import parse_renewal_conf

DAY = dt.timedelta(days=1)
WARNING = "renewal information unavailable"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ari_cert_id(cert_pem: Path) -> str:
    """RFC 9773 §4.1, computed independently of certsmith: base64url(AKI keyIdentifier) "."
    base64url(serial as DER INTEGER content octets, so a leading 0x00 when the top bit is set)."""
    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert aki, "Pebble's certificate has no AKI keyIdentifier"
    serial = cert.serial_number
    return b64url(aki) + "." + b64url(serial.to_bytes(serial.bit_length() // 8 + 1, "big"))


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def ari_proxy(pebble):
    proxy = AriProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def run(certsmith, sandbox, pebble, ari_proxy) -> CertsmithRunner:
    """certsmith in this test's sandbox, talking to Pebble through the ARI proxy."""
    return CertsmithRunner(certsmith, sandbox, ari_proxy.directory_url, pebble.ca_bundle, pebble.http_port)


def obtain(run: CertsmithRunner, domain: str) -> Path:
    result = run.certonly(domain)
    assert result.returncode == 0, describe(result)
    return run.config_dir / "live" / domain / "cert.pem"


def renew(run: CertsmithRunner, *extra: str):
    """`renew --json` (never forced, no random sleep); returns (result, {lineage name: summary entry})."""
    result = run("renew", "--no-random-sleep-on-renew", "-n", "--json", *extra)
    assert result.returncode == 0, describe(result)
    summary = json.loads(result.stdout)
    return result, {entry["name"]: entry for entry in summary["lineages"]}


def ari_retry_after(run: CertsmithRunner, domain: str) -> dt.datetime:
    """[acme_renewal_info] ari_retry_after as certbot writes it: a naive local time."""
    conf = parse_renewal_conf(run.config_dir / "renewal" / f"{domain}.conf")
    assert "acme_renewal_info" in conf, f"no [acme_renewal_info] in the renewal conf: {conf}"
    return dt.datetime.fromisoformat(conf["acme_renewal_info"]["ari_retry_after"])


def test_proxy_offers_renewal_info_and_pebble_urls_point_at_it(ari_proxy, pebble):
    """The premise of the other tests: through the proxy, every directory URL is the proxy's."""
    with urllib.request.urlopen(ari_proxy.directory_url, context=pebble.ssl_context(), timeout=10) as resp:
        directory = json.loads(resp.read())
    assert directory["renewalInfo"] == ari_proxy.renewal_info_url
    for key in ("newNonce", "newAccount", "newOrder", "revokeCert", "keyChange"):
        assert directory[key].startswith(ari_proxy.origin + "/"), (key, directory[key])


def test_renew_follows_a_past_ari_window_and_names_the_replaced_certificate(run, ari_proxy):
    domain = "ari-past.example.com"
    cert_pem = obtain(run, domain)
    old_id = ari_cert_id(cert_pem)
    assert ari_proxy.new_orders() and "replaces" not in ari_proxy.new_orders()[-1], \
        "a first issuance replaces nothing"
    orders_before = len(ari_proxy.new_orders())

    # Years from expiry, but the CA wants it replaced now (say, a mis-issuance).
    ari_proxy.answer = AriAnswer.window(now_utc() - 2 * DAY, now_utc() - DAY, retry_after=3600,
                                        explanation_url="https://ca.example/incident/42")
    result, lineages = renew(run)

    assert [r.cert_id for r in ari_proxy.ari_requests()] == [old_id], describe(result)
    request = ari_proxy.ari_requests()[0]
    assert request.method == "GET" and request.body == b"", "renewalInfo is an unauthenticated GET"
    entry = lineages[domain]
    assert entry["action"] == "renewed", describe(result)
    assert "ARI window" in entry["reason"], entry
    assert WARNING not in result.stderr, describe(result)

    orders = ari_proxy.new_orders()[orders_before:]
    assert len(orders) == 1, orders
    assert orders[0].get("replaces") == old_id, orders[0]
    assert (run.config_dir / "archive" / domain / "cert2.pem").exists()
    assert ari_cert_id(cert_pem) != old_id, "live/cert.pem still is the replaced certificate"


def test_renew_keeps_a_certificate_whose_ari_window_lies_ahead_and_asks_once(run, ari_proxy):
    domain = "ari-future.example.com"
    cert_pem = obtain(run, domain)
    cert_id = ari_cert_id(cert_pem)
    orders_before = len(ari_proxy.new_orders())

    ari_proxy.answer = AriAnswer.window(now_utc() + 40 * DAY, now_utc() + 42 * DAY, retry_after=7200)
    asked_at = dt.datetime.now()
    result, lineages = renew(run)
    assert [r.cert_id for r in ari_proxy.ari_requests()] == [cert_id], describe(result)
    entry = lineages[domain]
    assert entry["action"] == "not_due", describe(result)
    assert "ARI window" in entry["reason"], entry
    assert WARNING not in result.stderr, describe(result)

    # certbot's record of the CA's Retry-After (7200 s), in its naive local-time format.
    retry_after = ari_retry_after(run, domain)
    assert asked_at + dt.timedelta(seconds=7200 - 60) <= retry_after <= \
        dt.datetime.now() + dt.timedelta(seconds=7200 + 60), retry_after

    # A timer firing again at once must not ask the CA again: the cached window decides.
    again, lineages = renew(run)
    assert len(ari_proxy.ari_requests()) == 1, describe(again)
    assert lineages[domain]["action"] == "not_due", describe(again)
    assert "ARI window" in lineages[domain]["reason"], lineages[domain]
    assert ari_proxy.new_orders()[orders_before:] == []
    assert not (run.config_dir / "archive" / domain / "cert2.pem").exists()


def test_renew_caps_an_absurd_ari_retry_after_at_a_day(run, ari_proxy):
    domain = "ari-retry.example.com"
    obtain(run, domain)
    ari_proxy.answer = AriAnswer.window(now_utc() + 40 * DAY, now_utc() + 42 * DAY, retry_after=10 ** 12)
    result, lineages = renew(run)
    assert len(ari_proxy.ari_requests()) == 1
    assert lineages[domain]["action"] == "not_due", describe(result)
    retry_after = ari_retry_after(run, domain)
    assert retry_after <= dt.datetime.now() + DAY + dt.timedelta(minutes=1), retry_after


def _past_window() -> bytes:
    return json.dumps({"suggestedWindow": {"start": "2001-01-01T00:00:00Z", "end": "2001-01-02T00:00:00Z"}}).encode()


# Each answer would make the lineage due at once if certsmith believed it (past windows), so "not renewed"
# proves it was rejected rather than misread.
HOSTILE = {
    "garbage_json": AriAnswer(body=b'{"suggestedWindow": {"start": "2001-01-01T00:00:00Z", "end": '),
    "not_json": AriAnswer(body=b"\x00\xff<html>renewal info</html>", headers=[("Content-Type", "text/html")]),
    "end_before_start": AriAnswer(body=json.dumps(
        {"suggestedWindow": {"start": "2001-01-02T00:00:00Z", "end": "2001-01-01T00:00:00Z"}}).encode()),
    "not_rfc3339": AriAnswer(body=json.dumps(
        {"suggestedWindow": {"start": "yesterday", "end": "2001-01-01T00:00:00Z"}}).encode()),
    "window_not_object": AriAnswer(body=b'{"suggestedWindow": ["2001-01-01T00:00:00Z", "2001-01-02T00:00:00Z"]}'),
    "deeply_nested": AriAnswer(body=b'{"suggestedWindow": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"),
    # A valid past window padded past certsmith's 8 MiB body cap, with and without a Content-Length.
    "huge_body": AriAnswer(body=_past_window(), tail=b" " * 65536, tail_repeat=9 * 16),
    "huge_body_close_delimited": AriAnswer(body=_past_window(), tail=b" " * 65536, tail_repeat=64 * 16,
                                           close_delimited=True),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_renew_survives_a_hostile_renewal_info_answer(run, ari_proxy, kind):
    domain = f"ari-{kind.replace('_', '-')}.example.com"
    obtain(run, domain)
    orders_before = len(ari_proxy.new_orders())

    ari_proxy.answer = HOSTILE[kind]
    result, lineages = renew(run)
    assert len(ari_proxy.ari_requests()) == 1, describe(result)
    assert WARNING in result.stderr, describe(result)
    entry = lineages[domain]
    assert entry["action"] == "not_due", describe(result)
    assert "1/3 of lifetime left" in entry["reason"], entry
    assert ari_proxy.new_orders()[orders_before:] == []
    assert not (run.config_dir / "archive" / domain / "cert2.pem").exists()

    # RFC 9773 §4.3.3: after a failed answer the client waits (six hours) before asking again.
    again, lineages = renew(run)
    assert len(ari_proxy.ari_requests()) == 1, describe(again)
    assert lineages[domain]["action"] == "not_due", describe(again)
    ari_retry_after(run, domain)  # recorded for certbot as well
