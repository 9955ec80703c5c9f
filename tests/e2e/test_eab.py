"""A user signs up with a CA that requires External Account Binding (RFC 8555 §7.3.4), as ZeroSSL and
Google do, here Pebble with externalAccountBindingRequired and its example MAC keys."""

from __future__ import annotations

import base64

import pytest

from conftest import describe
from inspect_tree import snapshot
from pebble_env import EXAMPLE_EAB_KEYS

PEBBLE_OPTIONS = {"eab_keys": EXAMPLE_EAB_KEYS}
KID = "kid-1"
KEY = EXAMPLE_EAB_KEYS[KID]
REGISTER = ("register", "--agree-tos", "-m", "admin@example.com")


def account_ids(runner, pebble) -> list[str]:
    server_dir = runner.config_dir / "accounts" / pebble.account_server_dir
    return sorted(p.name for p in server_dir.iterdir()) if server_dir.is_dir() else []


def test_directory_requires_eab(pebble):
    assert pebble.directory()["meta"]["externalAccountRequired"] is True


def test_register_without_eab_flags_names_them(run_certsmith, pebble):
    result = run_certsmith(*REGISTER)
    assert result.returncode == 2, describe(result)
    assert result.stderr.strip() == ("certsmith: error: this CA requires external account binding: pass "
                                     "--eab-kid and --eab-hmac-key with the values from your account at the CA"), \
        describe(result)
    assert account_ids(run_certsmith, pebble) == []


def test_register_with_the_right_kid_and_key(run_certsmith, pebble):
    result = run_certsmith(*REGISTER, "--eab-kid", KID, "--eab-hmac-key", KEY)
    assert result.returncode == 0, describe(result)
    assert "Account registered." in result.stdout, describe(result)
    assert len(account_ids(run_certsmith, pebble)) == 1
    shown = run_certsmith("show_account")
    assert shown.returncode == 0, describe(shown)
    assert "  Email contact: admin@example.com" in shown.stdout.splitlines(), describe(shown)


def test_register_accepts_a_padded_key_and_explicit_hs256(run_certsmith, pebble):
    padded = base64.urlsafe_b64encode(base64.urlsafe_b64decode(EXAMPLE_EAB_KEYS["kid-2"])).decode()
    result = run_certsmith(*REGISTER, "--eab-kid", "kid-2", "--eab-hmac-key", padded + "=" * (-len(padded) % 4),
                           "--eab-hmac-alg", "HS256")
    assert result.returncode == 0, describe(result)
    assert len(account_ids(run_certsmith, pebble)) == 1


def test_a_wrong_key_is_refused_by_the_ca(run_certsmith, pebble):
    wrong = EXAMPLE_EAB_KEYS["kid-2"]
    result = run_certsmith(*REGISTER, "--eab-kid", KID, "--eab-hmac-key", wrong)
    assert result.returncode == 4, describe(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    assert account_ids(run_certsmith, pebble) == []


def test_an_unknown_kid_is_refused_by_the_ca(run_certsmith, pebble):
    result = run_certsmith(*REGISTER, "--eab-kid", "kid-unknown", "--eab-hmac-key", KEY)
    assert result.returncode == 4, describe(result)
    assert account_ids(run_certsmith, pebble) == []


def test_hostile_eab_flags_are_refused_before_anything_is_sent(run_certsmith, pebble):
    cases = [
        (("--eab-kid", KID, "--eab-hmac-key", "not base64!"), "--eab-hmac-key"),
        (("--eab-kid", KID, "--eab-hmac-key", KEY.replace("w", "+-")), "--eab-hmac-key"),  # bad length
        (("--eab-kid", KID, "--eab-hmac-key", KEY.replace("w", "/.")), "--eab-hmac-key"),
        (("--eab-kid", KID, "--eab-hmac-key", KEY[:-3]), "--eab-hmac-key"),  # impossible length
        (("--eab-kid", KID, "--eab-hmac-key", "==="), "--eab-hmac-key"),
        (("--eab-kid", KID, "--eab-hmac-key", "\x1b[2J"), "--eab-hmac-key"),
        (("--eab-kid", KID), "--eab-hmac-key"),
        (("--eab-hmac-key", KEY), "--eab-kid"),
        (("--eab-kid", KID, "--eab-hmac-key", KEY, "--eab-hmac-alg", "HS1"), "--eab-hmac-alg"),
    ]
    log_before = pebble.log_text().count("new-account")
    for flags, named in cases:
        result = run_certsmith(*REGISTER, *flags)
        assert result.returncode == 2, describe(result)
        assert result.stderr.startswith("certsmith: error: ") and named in result.stderr, describe(result)
        assert "\x1b" not in result.stderr, describe(result)
    assert not (run_certsmith.config_dir / "accounts").exists()
    assert pebble.log_text().count("new-account") == log_before, "a request reached the CA"


def test_a_standard_base64_key_is_decoded_not_refused(run_certsmith, pebble):
    # certbot (josepy) accepts '+' and '/' too: such a key reaches the CA, which here
    # refuses it only because it is not kid-1's key.
    result = run_certsmith(*REGISTER, "--eab-kid", KID, "--eab-hmac-key", KEY.replace("w", "+"))
    assert result.returncode == 4, describe(result)
    assert account_ids(run_certsmith, pebble) == []


def test_certonly_registers_with_eab(run_certsmith, pebble):
    without = run_certsmith.certonly("eab.example.com")
    assert without.returncode == 2, describe(without)
    assert "--eab-kid" in without.stderr, describe(without)
    assert not (run_certsmith.config_dir / "live").exists()

    result = run_certsmith.certonly("eab.example.com", extra=("--eab-kid", KID, "--eab-hmac-key", KEY))
    assert result.returncode == 0, describe(result)
    assert (run_certsmith.config_dir / "live" / "eab.example.com" / "cert.pem").exists()
    assert len(account_ids(run_certsmith, pebble)) == 1
    # The stored account is reused: no EAB flags needed any more.
    before = snapshot(run_certsmith.config_dir / "accounts")
    again = run_certsmith.certonly("eab2.example.com")
    assert again.returncode == 0, describe(again)
    assert snapshot(run_certsmith.config_dir / "accounts") == before


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_register_with_the_other_hmac_algorithms(run_certsmith, pebble, algorithm):
    result = run_certsmith(*REGISTER, "--eab-kid", KID, "--eab-hmac-key", KEY, "--eab-hmac-alg", algorithm)
    assert result.returncode == 0, describe(result)
    assert len(account_ids(run_certsmith, pebble)) == 1
