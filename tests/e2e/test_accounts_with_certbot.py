"""Accounts stay certbot's: certbot uses an account certsmith registered, updated and rolled over, and
certsmith manages (and rolls over) an account certbot registered, with certbot's lineages repointed."""

from __future__ import annotations

import json

from conftest import describe
from inspect_tree import parse_renewal_conf

# certbot 2.1 does not always retry a rejected nonce (TESTING.md).
PEBBLE_OPTIONS = {"nonce_reject": 0}


def account_ids(runner, pebble) -> list[str]:
    server_dir = runner.config_dir / "accounts" / pebble.account_server_dir
    return sorted(p.name for p in server_dir.iterdir()) if server_dir.is_dir() else []


def test_certbot_uses_the_account_certsmith_rolled_over(run_certsmith, certbot, pebble):
    assert run_certsmith("register", "--agree-tos", "-m", "first@example.com").returncode == 0
    updated = run_certsmith("update_account", "-m", "second@example.com")
    assert updated.returncode == 0, describe(updated)
    rolled = run_certsmith("rollover-account-key")
    assert rolled.returncode == 0, describe(rolled)
    account_id, = account_ids(run_certsmith, pebble)

    shown = certbot("show_account", "--server", pebble.directory_url)
    assert shown.returncode == 0, describe(shown)
    assert "second@example.com" in shown.stdout, describe(shown)

    issued = certbot("certonly", "--standalone", "--server", pebble.directory_url, "--http-01-port",
                     str(pebble.http_port), "-d", "by-certbot.example.com")
    assert issued.returncode == 0, describe(issued)
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "by-certbot.example.com.conf")
    assert conf["renewalparams"]["account"] == account_id
    assert account_ids(run_certsmith, pebble) == [account_id], "certbot registered another account"


def test_certsmith_rolls_over_a_certbot_account_and_certbot_renews_after(run_certsmith, certbot, pebble):
    issued = certbot("certonly", "--standalone", "--server", pebble.directory_url, "--http-01-port",
                     str(pebble.http_port), "--agree-tos", "--register-unsafely-without-email",
                     "-d", "cb.example.com")
    assert issued.returncode == 0, describe(issued)
    old_id, = account_ids(run_certsmith, pebble)

    shown = run_certsmith("show_account")
    assert shown.returncode == 0, describe(shown)
    assert f"  Account ID: {old_id}" in shown.stdout.splitlines(), describe(shown)
    rolled = run_certsmith("rollover-account-key")
    assert rolled.returncode == 0, describe(rolled)
    new_id, = account_ids(run_certsmith, pebble)
    assert new_id != old_id
    conf_path = run_certsmith.config_dir / "renewal" / "cb.example.com.conf"
    assert parse_renewal_conf(conf_path)["renewalparams"]["account"] == new_id
    regr = json.loads((run_certsmith.config_dir / "accounts" / pebble.account_server_dir / new_id
                       / "regr.json").read_text())
    assert regr["uri"].startswith("https://127.0.0.1:")

    renewed = certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    assert renewed.returncode == 0, describe(renewed)
    assert (run_certsmith.config_dir / "archive" / "cb.example.com" / "cert2.pem").exists()
