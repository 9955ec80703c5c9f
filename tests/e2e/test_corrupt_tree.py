"""One tree, several lineages, each broken a different way (issue 6's corrupt inputs): a renewal conf with
a syntax error, a missing archive file, a dangling live symlink, a truncated account key. `renew
--force-renewal` names each by lineage and file in one line and still renews the others; `certificates`
lists the broken lineages as invalid; `update_symlinks` names each it cannot repair without rolling live/
back, and leaves it as it was."""

from __future__ import annotations

import os
import shutil

from conftest import describe
from inspect_tree import lineage_problems, live_version, snapshot

GOOD = ("good-a.example.com", "good-b.example.com")
SYNTAX, MISSING, DANGLING, ACCOUNT = ("syntax.example.com", "missing.example.com", "dangling.example.com",
                                      "acct.example.com")


def _account_ids(run, pebble) -> list[str]:
    return sorted(p.name for p in (run.config_dir / "accounts" / pebble.account_server_dir).iterdir())


def _second_account(run, make_runner, pebble, tmp_path) -> str:
    """Registers another account in a second tree and plants it in ours, as test_accounts does."""
    other = make_runner(pebble)
    other.sandbox = tmp_path / "second"
    other.sandbox.mkdir()
    registered = other("register", "--agree-tos", "--register-unsafely-without-email")
    assert registered.returncode == 0, describe(registered)
    (account_id,) = _account_ids(other, pebble)
    shutil.copytree(other.config_dir / "accounts" / pebble.account_server_dir / account_id,
                    run.config_dir / "accounts" / pebble.account_server_dir / account_id)
    return account_id


def _error_line(result, name: str) -> str:
    prefix = f"certsmith: error: {name}: "
    lines = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, f"expected one error line for {name}\n" + describe(result)
    return lines[0]


def test_corrupt_lineages_are_named_and_the_others_still_renew(run_certsmith, make_runner, pebble, tmp_path):
    run = run_certsmith
    config = run.config_dir
    for name in (*GOOD, SYNTAX, MISSING, DANGLING):
        issued = run.certonly(name)
        assert issued.returncode == 0, describe(issued)
    (first_account,) = _account_ids(run, pebble)
    second_account = _second_account(run, make_runner, pebble, tmp_path)
    issued = run.certonly(ACCOUNT, extra=("--account", second_account))
    assert issued.returncode == 0, describe(issued)
    renewed = run("renew", "--force-renewal")  # every lineage at version 2, version 1 kept
    assert renewed.returncode == 0, describe(renewed)

    # The damage.
    conf = config / "renewal" / f"{SYNTAX}.conf"
    conf.write_text(conf.read_text() + "[renewalparams\nthis line is not configobj\n")
    (config / "archive" / MISSING / "privkey2.pem").unlink()
    chain = config / "live" / DANGLING / "chain.pem"
    chain.unlink()
    os.symlink("../../archive/dangling.example.com/chain7.pem", chain)
    key_file = config / "accounts" / pebble.account_server_dir / second_account / "private_key.json"
    key_text = key_file.read_text()
    os.chmod(key_file, 0o600)
    key_file.write_text(key_text[: len(key_text) // 2])
    os.chmod(key_file, 0o400)
    broken_before = {name: (snapshot(config / "live" / name), snapshot(config / "archive" / name))
                     for name in (SYNTAX, MISSING, DANGLING, ACCOUNT)}

    result = run("renew", "--force-renewal", check_tree=False)
    assert result.returncode == 1, describe(result)
    syntax = _error_line(result, SYNTAX)
    assert f"{SYNTAX}.conf" in syntax, syntax
    missing = _error_line(result, MISSING)
    assert "privkey" in missing and "does not exist" in missing, missing
    dangling = _error_line(result, DANGLING)
    assert "chain.pem" in dangling and "chain7.pem" in dangling, dangling
    account = _error_line(result, ACCOUNT)
    assert "private_key.json" in account and second_account in account, account
    for name in GOOD:
        assert live_version(config / "live" / name) == 3, describe(result)
        assert lineage_problems(config, name) == [], name
        assert not any(line.startswith(f"certsmith: error: {name}") for line in result.stderr.splitlines())
    for name, before in broken_before.items():
        assert (snapshot(config / "live" / name), snapshot(config / "archive" / name)) == before, name
    assert first_account != second_account

    listing = run("certificates", check_tree=False)
    assert listing.returncode == 0, describe(listing)
    invalid = listing.stdout.split("The following renewal configurations were invalid:\n", 1)
    assert len(invalid) == 2, describe(listing)
    for name in (SYNTAX, MISSING, DANGLING):
        assert f"\n  {name}: " in "\n" + invalid[1], describe(listing)
    for name in (*GOOD, ACCOUNT):  # the account's trouble is not the lineage's
        assert f"  Certificate Name: {name}" in invalid[0], describe(listing)

    repaired = run("update_symlinks", check_tree=False)
    assert repaired.returncode == 1, describe(repaired)  # the conf with a syntax error stays broken
    assert f"{SYNTAX}.conf" in _error_line(repaired, SYNTAX), describe(repaired)
    # Never back below the version the links name (version 1's key may be revoked): each is named instead.
    assert "privkey2.pem: missing" in _error_line(repaired, MISSING), describe(repaired)
    assert "chain7.pem: missing" in _error_line(repaired, DANGLING), describe(repaired)
    for name in (MISSING, DANGLING):
        assert snapshot(config / "live" / name) == broken_before[name][0], name
    for name in (*GOOD, ACCOUNT):
        assert lineage_problems(config, name) == [], name
