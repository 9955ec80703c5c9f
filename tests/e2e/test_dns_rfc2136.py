"""An admin whose zones live on BIND obtains certificates with --dns-rfc2136, as with certbot-dns-rfc2136:
TXT records written by TSIG-signed RFC 2136 updates, checked on the server, validated by Pebble against that
same BIND, and removed afterwards."""

from __future__ import annotations

import base64
import re
import secrets

import pytest

from conftest import describe
from inspect_tree import live_version, parse_renewal_conf, sans

# A renewal that reuses a valid authorization never calls the authenticator again; Pebble still reuses one
# now and then (PebbleEnv.validations), so renewal checks count its validations.
PEBBLE_OPTIONS = {"extra_env": {"PEBBLE_AUTHZREUSE": "0"}}


@pytest.fixture
def bind(bind_pebble):
    return bind_pebble[0]


@pytest.fixture
def run(make_runner, bind_pebble):
    return make_runner(bind_pebble[1])


def certonly_rfc2136(run, bind, credentials, *domains, extra=()):
    args = ["certonly", "--dns-rfc2136", "--dns-rfc2136-credentials", str(credentials),
            "--dns-resolvers", bind.server, "--agree-tos", "--register-unsafely-without-email"]
    for domain in domains:
        args += ["-d", domain]
    return run(*args, *extra)


def txt_additions(bind, owner: str) -> int:
    """How many TXT records named logged adding at `owner` (one line per record of an update)."""
    return len(re.findall(rf"adding an RR at '{re.escape(owner)}' TXT", bind.log_text()))


def update_lines(bind) -> list[str]:
    """named's log lines about dynamic updates (requests, refusals, TSIG failures)."""
    return [line for line in bind.log_text().splitlines() if "update" in line or "tsig" in line.lower()]


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("certsmith: error:")]


def test_wildcard_and_base_name_through_bind(run, bind, tmp_path):
    credentials = bind.credentials_ini(tmp_path / "rfc2136.ini")
    result = certonly_rfc2136(run, bind, credentials, "example.test", "*.example.test")
    assert result.returncode == 0, describe(result) + bind.log_text()[-3000:]

    live = run.config_dir / "live" / "example.test"
    assert sans(live / "cert.pem") == {"example.test", "*.example.test"}
    # Both values went to the one name the wildcard and its base share ...
    assert txt_additions(bind, "_acme-challenge.example.test") == 2, bind.log_text()[-3000:]
    # ... and neither is left behind.
    assert bind.txt("_acme-challenge.example.test") == []


def test_cname_delegated_challenge_is_written_in_the_target_zone(run, bind, tmp_path):
    bind.delegate_challenge("delegated.example.test", "delegated.acme-delegate.test")
    credentials = bind.credentials_ini(tmp_path / "rfc2136.ini", algorithm="hmac-sha512")
    result = certonly_rfc2136(run, bind, credentials, "delegated.example.test")
    assert result.returncode == 0, describe(result) + bind.log_text()[-3000:]

    assert sans(run.config_dir / "live" / "delegated.example.test" / "cert.pem") == {"delegated.example.test"}
    assert txt_additions(bind, "delegated.acme-delegate.test") == 1, bind.log_text()[-3000:]
    assert txt_additions(bind, "_acme-challenge.delegated.example.test") == 0
    assert bind.txt("delegated.acme-delegate.test") == []
    # The delegation itself is the admin's and stays.
    assert bind.query("_acme-challenge.delegated.example.test", "CNAME") == ["delegated.acme-delegate.test."]


def test_wrong_tsig_secret_fails_with_one_line_and_writes_nothing(run, bind, tmp_path):
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    credentials = bind.credentials_ini(tmp_path / "rfc2136.ini", secret=wrong)
    result = certonly_rfc2136(run, bind, credentials, "badkey.example.test")
    assert result.returncode == 5, describe(result)
    lines = error_lines(result)
    assert len(lines) == 1, describe(result)
    assert "example.test" in lines[0] and ("TSIG" in lines[0] or "BADSIG" in lines[0]), lines[0]
    assert wrong not in result.stderr + result.stdout
    assert bind.txt("_acme-challenge.badkey.example.test") == []
    assert not (run.config_dir / "live" / "badkey.example.test").exists()


def test_credentials_readable_by_others_are_refused_before_anything_is_sent(run, bind, tmp_path):
    credentials = bind.credentials_ini(tmp_path / "rfc2136.ini", mode=0o644)
    updates_before = update_lines(bind)
    result = certonly_rfc2136(run, bind, credentials, "leaky.example.test")
    assert result.returncode == 2, describe(result)
    lines = error_lines(result)
    assert len(lines) == 1 and "chmod 600" in lines[0] and str(credentials) in lines[0], describe(result)
    # No account was registered and BIND heard nothing.
    assert not (run.config_dir / "accounts").exists() or not any((run.config_dir / "accounts").rglob("*.json"))
    assert update_lines(bind) == updates_before


def test_renewal_conf_records_the_authenticator_and_renew_repeats_it(run, bind, bind_pebble, tmp_path):
    pebble = bind_pebble[1]
    credentials = bind.credentials_ini(tmp_path / "rfc2136.ini")
    name = "renew.example.test"
    result = certonly_rfc2136(run, bind, credentials, name, f"*.{name}")
    assert result.returncode == 0, describe(result) + bind.log_text()[-3000:]
    # A new account has no authorization to reuse: both challenges (the wildcard's is for its base name).
    assert pebble.validations(name) == 2
    assert txt_additions(bind, f"_acme-challenge.{name}") == 2

    params = parse_renewal_conf(run.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
    assert params["authenticator"] == "dns-rfc2136"
    assert params["dns_rfc2136_credentials"] == str(credentials)

    added_before, validated_before = txt_additions(bind, f"_acme-challenge.{name}"), pebble.validations(name)
    result = run("renew", "--force-renewal")
    assert result.returncode == 0, describe(result) + bind.log_text()[-3000:]
    assert live_version(run.config_dir / "live" / name) == 2
    # One record for each challenge Pebble validated: both, unless it reused an authorization (it does now and
    # then even at PEBBLE_AUTHZREUSE=0, see PebbleEnv.validations).
    validated = pebble.validations(name) - validated_before
    assert validated <= 2
    assert txt_additions(bind, f"_acme-challenge.{name}") == added_before + validated, \
        f"{validated} validations by Pebble\n" + bind.log_text()[-3000:]
    assert bind.txt(f"_acme-challenge.{name}") == []
