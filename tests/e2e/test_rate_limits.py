"""Rate-limit care: a CA's `rateLimited` problem (RFC 8555 §6.7) reaches the user as one line saying until
when, taken from Retry-After, for certonly and for each lineage of renew; the local issuance ledger
(WORK_DIR/issuance-ledger.json) warns, or with --strict-rate-limits refuses, before an order would pass a
limit (Let's Encrypt's on its own server, the configured numbers anywhere); a restart asking again for the
same names keeps the valid certificate instead of ordering one.

Pebble 2.4 never rate-limits, so rate_limit_proxy.RateLimitProxy stands in front of it and refuses newOrder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import stat

import pytest

from conftest import CertsmithRunner, describe
from rate_limit_proxy import RateLimitProxy

UNTIL = re.compile(r"rate limited by the CA until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ): ")


@pytest.fixture
def proxy_factory(pebble):
    started: list[RateLimitProxy] = []

    def make(**kwargs) -> RateLimitProxy:
        proxy = RateLimitProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle,
                               **kwargs).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


def runner(certsmith, sandbox, pebble, proxy: RateLimitProxy) -> CertsmithRunner:
    return CertsmithRunner(certsmith, sandbox, proxy.directory_url, pebble.ca_bundle, pebble.http_port)


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]


def test_rate_limited_new_order_is_one_line_with_the_time_to_come_back(certsmith, sandbox, pebble,
                                                                        proxy_factory):
    proxy = proxy_factory(retry_after="172800")  # two days: longer than the polling cap of one day
    run = runner(certsmith, sandbox, pebble, proxy)
    before = dt.datetime.now(dt.timezone.utc)
    result = run.certonly("limited.example.com")
    assert result.returncode == 4, describe(result)
    assert proxy.refused_orders == 1, "a rate limit is not retried"
    errors = error_lines(result)
    assert len(errors) == 1, describe(result)
    match = UNTIL.search(errors[0])
    assert match, describe(result)
    until = dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert dt.timedelta(hours=47) < until - before < dt.timedelta(hours=49)
    assert errors[0].endswith("too many certificates (5) already issued for this exact set of identifiers")
    assert not (run.config_dir / "live" / "limited.example.com").exists()


def test_rate_limit_without_retry_after_and_with_a_hostile_detail(certsmith, sandbox, pebble, proxy_factory):
    proxy = proxy_factory(retry_after=None, detail="slow down\n\x1b[31mcertsmith: error: fake")
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("nodate.example.com")
    assert result.returncode == 4, describe(result)
    errors = error_lines(result)
    assert len(errors) == 1, describe(result)
    assert "rate limited by the CA (the CA did not say until when): slow down" in errors[0]
    assert "\x1b" not in result.stderr


def test_renew_reports_a_rate_limited_lineage_in_one_line(certsmith, sandbox, pebble, proxy_factory):
    proxy = proxy_factory(retry_after="Wed, 21 Oct 2099 07:28:00 GMT")
    proxy.refusing = False
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("renew-limited.example.com")
    assert result.returncode == 0, describe(result)
    proxy.refusing = True
    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 1, describe(renewed)
    errors = error_lines(renewed)
    assert len(errors) == 1, describe(renewed)
    assert errors[0].startswith("certsmith: error: renew-limited.example.com: renewal failed: "
                                "rate limited by the CA until "), describe(renewed)
    # 400 days at most: a date decades away is not believed.
    until = dt.datetime.strptime(UNTIL.search(errors[0]).group(1), "%Y-%m-%dT%H:%M:%SZ")
    assert until.year < 2099


def ledger_entries(run) -> list[dict]:
    return json.loads((run.work_dir / "issuance-ledger.json").read_text())["issuances"]


def test_ledger_warns_then_strict_refuses_at_configured_limits(run_certsmith):
    name = "ledger.example.com"
    limits = ("--rate-limit-duplicates", "2", "--rate-limit-per-domain", "3")
    first = run_certsmith.certonly(name, extra=limits)
    assert first.returncode == 0, describe(first)
    second = run_certsmith.certonly(name, extra=(*limits, "--force-renewal"))
    assert second.returncode == 0, describe(second)
    assert "rate" not in second.stderr.lower(), describe(second)
    assert [entry["names"] for entry in ledger_entries(run_certsmith)] == [[name], [name]]
    assert stat.S_IMODE((run_certsmith.work_dir / "issuance-ledger.json").stat().st_mode) == 0o600

    third = run_certsmith.certonly(name, extra=(*limits, "--force-renewal"))
    assert third.returncode == 0, describe(third)  # a warning only: the CA has the last word
    assert ("the CA will likely refuse this order: the issuance ledger counts 2 certificates for exactly "
            "these names in the last 7 days (the CA allows 2)") in third.stderr, describe(third)

    # Another name of the same registered domain: 3 certificates already, the per-domain limit.
    archive = run_certsmith.config_dir / "archive"
    before = sorted(p.name for p in archive.iterdir())
    refused = run_certsmith.certonly("other.example.com", extra=(*limits, "--strict-rate-limits"))
    assert refused.returncode == 1, describe(refused)
    errors = error_lines(refused)
    assert len(errors) == 1, describe(refused)
    assert "not ordering other.example.com" in errors[0]
    assert "3 certificates for the registered domain example.com" in errors[0]
    assert sorted(p.name for p in archive.iterdir()) == before
    assert len(ledger_entries(run_certsmith)) == 3


def test_limits_are_not_applied_to_other_cas_unless_configured(run_certsmith):
    for _ in range(3):
        result = run_certsmith.certonly("free.example.com", extra=("--force-renewal",))
        assert result.returncode == 0, describe(result)
        assert "likely refuse" not in result.stderr


def test_a_restart_does_not_reissue_a_valid_certificate_with_the_same_names(run_certsmith):
    first = run_certsmith.certonly("restart.example.com", "www.restart.example.com")
    assert first.returncode == 0, describe(first)
    # The platform restarts and asks again, names in another order: the certificate is kept.
    again = run_certsmith.certonly("www.restart.example.com", "restart.example.com")
    assert again.returncode == 0, describe(again)
    archive = run_certsmith.config_dir / "archive" / "restart.example.com"
    assert sorted(p.name for p in archive.iterdir()) == ["cert1.pem", "chain1.pem", "fullchain1.pem",
                                                         "privkey1.pem"]
    assert len(ledger_entries(run_certsmith)) == 1


SKIPPED = re.compile(r"skipped: rate limited by the CA until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$")


def test_a_rate_limited_registered_domain_is_not_ordered_again_before_the_time(certsmith, sandbox, pebble,
                                                                                proxy_factory):
    # Let's Encrypt's per-registered-domain limit: every name under example.com waits.
    proxy = proxy_factory(retry_after="3600",
                          detail='too many certificates (50) already issued for "example.com" in the last 168h0m0s')
    run = runner(certsmith, sandbox, pebble, proxy)
    first = run.certonly("wait.example.com")
    assert first.returncode == 4, describe(first)
    assert proxy.refused_orders == 1
    until = UNTIL.search(error_lines(first)[0]).group(1)
    backoffs = json.loads((run.work_dir / "issuance-ledger.json").read_text())["backoffs"]
    assert [entry["names"] for entry in backoffs] == [["wait.example.com"]]

    # Again, forced, or another name of the same registered domain: the CA would refuse, nothing is sent.
    for names, extra in ((("wait.example.com",), ()), (("wait.example.com",), ("--force-renewal",)),
                         (("www.example.com", "example.com"), ())):
        again = run.certonly(*names, extra=extra)
        assert again.returncode == 4, describe(again)
        errors = error_lines(again)
        assert len(errors) == 1, describe(again)
        match = SKIPPED.search(errors[0])
        assert match and match.group(1) == until, describe(again)
        assert proxy.refused_orders == 1, "no order reaches the CA before the time"
    assert not (run.config_dir / "live").exists() or not list((run.config_dir / "live").glob("*example.com"))

    # Other registered domains are not held back.
    proxy.refusing = False
    other = run.certonly("other.test")
    assert other.returncode == 0, describe(other)

    # The user's escape (e.g. the CA raised the limit): a warning, and the order goes out.
    forced = run.certonly("wait.example.com", extra=("--ignore-rate-limit-backoff",))
    assert forced.returncode == 0, describe(forced)
    assert "ordering although rate limited by the CA until" in forced.stderr, describe(forced)


def test_renew_skips_a_rate_limited_lineage_without_asking_the_ca(certsmith, sandbox, pebble, proxy_factory):
    proxy = proxy_factory(retry_after="7200")
    proxy.refusing = False
    run = runner(certsmith, sandbox, pebble, proxy)
    assert run.certonly("held.example.com").returncode == 0
    proxy.refusing = True
    first = run("renew", "--force-renewal")
    assert first.returncode == 1, describe(first)
    assert proxy.refused_orders == 1
    second = run("renew", "--force-renewal")
    assert second.returncode == 1, describe(second)  # a failed lineage, as any renewal failure
    errors = error_lines(second)
    assert len(errors) == 1, describe(second)
    assert errors[0].startswith("certsmith: error: held.example.com: renewal failed: skipped: rate limited "
                                "by the CA until "), describe(second)
    assert proxy.refused_orders == 1, "the CA was not asked again"
    archive = run.config_dir / "archive" / "held.example.com"
    assert sorted(p.name for p in archive.glob("cert*.pem")) == ["cert1.pem"]


def test_a_rate_limited_placeholder_does_not_order_on_every_timer_run(certsmith, sandbox, pebble, proxy_factory):
    proxy = proxy_factory(retry_after="3600")
    run = runner(certsmith, sandbox, pebble, proxy)
    boot = run.certonly("boot.limited.example.com", extra=("--bootstrap-self-signed",))
    assert boot.returncode == 4, describe(boot)
    assert (run.config_dir / "live" / "boot.limited.example.com" / "fullchain.pem").exists()
    assert proxy.refused_orders == 1
    metrics = sandbox / "certsmith.prom"
    for _ in range(2):  # two timer ticks: the placeholder is always due, but the CA said to wait
        tick = run("renew", "--metrics-file", str(metrics))
        assert tick.returncode == 1, describe(tick)
        assert "skipped: rate limited by the CA until" in tick.stderr, describe(tick)
    assert proxy.refused_orders == 1
    text = metrics.read_text()
    assert ('certsmith_certificate_placeholder{lineage="boot.limited.example.com",kind="self-signed-bootstrap"} 1'
            in text), text


def test_only_a_real_certificate_with_the_same_names_is_exempt_as_a_renewal(run_certsmith):
    strict = ("--rate-limit-per-domain", "1", "--strict-rate-limits")
    first = run_certsmith.certonly("a.renewal.example.com", extra=strict)
    assert first.returncode == 0, describe(first)  # 1 certificate for example.com now

    # A true renewal (same names, a certificate from the CA) is exempt from the per-domain limit.
    renewed = run_certsmith("renew", "--force-renewal", *strict)
    assert renewed.returncode == 0, describe(renewed)

    # --cert-name with new names: a new order, counted.
    expand = run_certsmith.certonly("a.renewal.example.com", "b.renewal.example.com",
                                    extra=(*strict, "--cert-name", "a.renewal.example.com", "--expand"))
    assert expand.returncode == 1, describe(expand)
    assert "2 certificates for the registered domain example.com" in expand.stderr, describe(expand)

    # A bootstrap placeholder is not a previous certificate: its first real order is counted.
    boot = run_certsmith.certonly("boot.renewal.example.com", extra=(*strict, "--bootstrap-self-signed"))
    assert boot.returncode == 1, describe(boot)
    assert "not ordering boot.renewal.example.com" in boot.stderr, describe(boot)
    assert len(ledger_entries(run_certsmith)) == 2


def test_a_duplicate_certificate_refusal_holds_back_only_that_exact_set_of_names(certsmith, sandbox, pebble,
                                                                              proxy_factory):
    proxy = proxy_factory(retry_after="3600")  # the proxy's default detail: the duplicate-certificate limit
    run = runner(certsmith, sandbox, pebble, proxy)
    assert run.certonly("dup.example.com").returncode == 4
    again = run.certonly("dup.example.com")
    assert again.returncode == 4 and SKIPPED.search(error_lines(again)[0]), describe(again)
    assert proxy.refused_orders == 1, "the same names were ordered again before the time"
    other = run.certonly("other.example.com")  # same registered domain, other names: the CA is asked
    assert proxy.refused_orders == 2, describe(other)
