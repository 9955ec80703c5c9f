"""A user asks the CA for a certificate profile (draft-aaron-acme-profiles, as Let's Encrypt runs it):
`--preferred-profile NAME` is sent in newOrder when the directory's meta.profiles offers it and falls back to
the CA's default (with a warning) when not; `--required-profile NAME` fails cleanly before anything is ordered
when the CA does not offer it. The choice is saved in the renewal conf and used again by `renew`.

Pebble 2.4 has no profiles, so profile_proxy.ProfileProxy stands in front of it, adds meta.profiles to the
directory and records each newOrder's payload.
"""

from __future__ import annotations

import pytest

from conftest import CertsmithRunner, describe
from inspect_tree import parse_renewal_conf
from profile_proxy import ProfileProxy

LETS_ENCRYPT_PROFILES = {
    "classic": "https://letsencrypt.org/docs/profiles#classic",
    "shortlived": "https://letsencrypt.org/docs/profiles#shortlived",
    "tlsserver": "https://letsencrypt.org/docs/profiles#tlsserver",
}


@pytest.fixture
def proxy_factory(pebble):
    started: list[ProfileProxy] = []

    def make(profiles: object) -> ProfileProxy:
        proxy = ProfileProxy(pebble.listen_port, pebble.ca_bundle, pebble.tls_key, pebble.ca_bundle,
                             profiles=profiles).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


def runner(certsmith, sandbox, pebble, proxy: ProfileProxy) -> CertsmithRunner:
    return CertsmithRunner(certsmith, sandbox, proxy.directory_url, pebble.ca_bundle, pebble.http_port)


def test_preferred_profile_offered_is_sent_saved_and_sent_again_on_renew(certsmith, sandbox, pebble,
                                                                         proxy_factory):
    proxy = proxy_factory(LETS_ENCRYPT_PROFILES)
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("profile.example.com", extra=("--preferred-profile", "shortlived"))
    assert result.returncode == 0, describe(result)
    orders = proxy.new_orders()
    assert len(orders) == 1
    assert orders[0]["profile"] == "shortlived"
    assert "does not offer" not in result.stderr
    conf_path = run.config_dir / "renewal" / "profile.example.com.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["preferred_profile"] == "shortlived"

    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    orders = proxy.new_orders()
    assert len(orders) == 2, describe(renewed)
    assert orders[1]["profile"] == "shortlived"
    assert (run.config_dir / "archive" / "profile.example.com" / "cert2.pem").exists()


def test_required_profile_offered_is_sent(certsmith, sandbox, pebble, proxy_factory):
    proxy = proxy_factory(LETS_ENCRYPT_PROFILES)
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("required.example.com", extra=("--required-profile", "tlsserver"))
    assert result.returncode == 0, describe(result)
    assert [order.get("profile") for order in proxy.new_orders()] == ["tlsserver"]
    conf = parse_renewal_conf(run.config_dir / "renewal" / "required.example.com.conf")
    assert conf["renewalparams"]["required_profile"] == "tlsserver"


def test_no_profile_asked_sends_none(certsmith, sandbox, pebble, proxy_factory):
    proxy = proxy_factory(LETS_ENCRYPT_PROFILES)
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("noprofile.example.com")
    assert result.returncode == 0, describe(result)
    orders = proxy.new_orders()
    assert len(orders) == 1 and "profile" not in orders[0]


@pytest.mark.parametrize("profiles", [None, {"classic": "the usual"}], ids=["no-profiles", "other-profiles"])
def test_preferred_profile_not_offered_falls_back_with_a_warning(certsmith, sandbox, pebble, proxy_factory,
                                                                 profiles):
    proxy = proxy_factory(profiles)
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("fallback.example.com", extra=("--preferred-profile", "shortlived"))
    assert result.returncode == 0, describe(result)
    orders = proxy.new_orders()
    assert len(orders) == 1 and "profile" not in orders[0], orders
    assert "does not offer the certificate profile 'shortlived'" in result.stderr, describe(result)
    assert (run.config_dir / "live" / "fallback.example.com" / "fullchain.pem").exists()


@pytest.mark.parametrize("profiles", [None, {"classic": "the usual"}, "shortlived", ["shortlived"],
                                      {"shortlived": 6}],
                         ids=["no-profiles", "other-profiles", "string", "list", "non-string-value"])
def test_required_profile_not_offered_fails_cleanly_before_ordering(certsmith, sandbox, pebble, proxy_factory,
                                                                     profiles):
    proxy = proxy_factory(profiles)
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("refused.example.com", extra=("--required-profile", "shortlived"))
    assert result.returncode == 2, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, describe(result)
    assert lines[0].startswith("certsmith: error: the CA does not offer the certificate profile 'shortlived'")
    assert proxy.new_orders() == []
    for sub in ("live", "archive", "renewal"):  # the account may be registered: it was needed to ask
        assert not list((run.config_dir / sub).glob("*")), f"{sub}/ written: {describe(result)}"


def test_hostile_profiles_directory_does_not_break_issuance(certsmith, sandbox, pebble, proxy_factory):
    hostile = {f"p{i}": "x" * 50 for i in range(500)}
    hostile.update({"bad\u001b[2Jname": "x", "shortlived": {"nested": True}})
    proxy = proxy_factory(hostile)
    run = runner(certsmith, sandbox, pebble, proxy)
    result = run.certonly("hostile-profiles.example.com", extra=("--preferred-profile", "shortlived"))
    assert result.returncode == 0, describe(result)
    assert "\x1b" not in result.stderr
    assert all("profile" not in order for order in proxy.new_orders())
