"""A user manages the ACME account: register, show_account, update_account, unregister,
rollover-account-key and --account, against a real Pebble."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import describe
from inspect_tree import mode, parse_renewal_conf, snapshot

EMAIL_FLAGS = ("--agree-tos", "-m", "admin@example.com")


def account_ids(runner, pebble) -> list[str]:
    server_dir = runner.config_dir / "accounts" / pebble.account_server_dir
    return sorted(p.name for p in server_dir.iterdir()) if server_dir.is_dir() else []


def account_dir(runner, pebble, account_id: str) -> Path:
    return runner.config_dir / "accounts" / pebble.account_server_dir / account_id


def regr(runner, pebble, account_id: str) -> dict:
    return json.loads((account_dir(runner, pebble, account_id) / "regr.json").read_text())


def only_account(runner, pebble) -> str:
    ids = account_ids(runner, pebble)
    assert len(ids) == 1, ids
    return ids[0]


def accounts_snapshot(runner) -> dict:
    return snapshot(runner.config_dir / "accounts")


def copy_account_into(source_runner, target_runner, pebble, account_id: str) -> None:
    """Plants source's account directory in target's tree, as a user restoring a backup would."""
    target = account_dir(target_runner, pebble, account_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(account_dir(source_runner, pebble, account_id), target)


def other_runner(make_runner, pebble, tmp_path, name: str):
    runner = make_runner(pebble)
    runner.sandbox = tmp_path / name
    runner.sandbox.mkdir()
    return runner


# ----- register -------------------------------------------------------------------------------------

def test_register_with_email_stores_a_certbot_account(run_certsmith, pebble):
    result = run_certsmith("register", *EMAIL_FLAGS)
    assert result.returncode == 0, describe(result)
    assert "Account registered." in result.stdout, describe(result)
    account_id = only_account(run_certsmith, pebble)
    directory = account_dir(run_certsmith, pebble, account_id)
    assert mode(directory) == 0o700
    assert mode(directory / "private_key.json") == 0o400
    stored = regr(run_certsmith, pebble, account_id)
    assert stored["uri"].startswith(f"https://127.0.0.1:{pebble.listen_port}/")
    assert stored["body"]["contact"] == ["mailto:admin@example.com"]
    assert set(json.loads((directory / "meta.json").read_text())) == {"creation_dt", "creation_host"}

    shown = run_certsmith("show_account")
    assert shown.returncode == 0, describe(shown)
    lines = shown.stdout.splitlines()
    assert f"Account details for server {pebble.directory_url}:" in lines, describe(shown)
    assert f"  Account URL: {stored['uri']}" in lines, describe(shown)
    assert "  Email contact: admin@example.com" in lines, describe(shown)
    assert "  Status: valid" in lines, describe(shown)
    assert f"  Account ID: {account_id}" in lines, describe(shown)
    assert any(line.startswith("  Account Thumbprint: ") for line in lines), describe(shown)


def test_register_without_email(run_certsmith, pebble):
    result = run_certsmith("register", "--agree-tos", "--register-unsafely-without-email")
    assert result.returncode == 0, describe(result)
    account_id = only_account(run_certsmith, pebble)
    assert regr(run_certsmith, pebble, account_id)["body"].get("contact", []) == []
    shown = run_certsmith("show-account")
    assert shown.returncode == 0, describe(shown)
    assert "  Email contact: none" in shown.stdout.splitlines(), describe(shown)


def test_register_needs_email_or_the_unsafe_flag_and_agree_tos(run_certsmith, pebble):
    no_email = run_certsmith("register", "--agree-tos")
    assert no_email.returncode == 2, describe(no_email)
    assert "--register-unsafely-without-email" in no_email.stderr, describe(no_email)
    no_tos = run_certsmith("register", "-m", "admin@example.com")
    assert no_tos.returncode == 2, describe(no_tos)
    assert "--agree-tos" in no_tos.stderr, describe(no_tos)
    assert account_ids(run_certsmith, pebble) == []


def test_register_twice_is_refused_like_certbot(run_certsmith, pebble):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    before = accounts_snapshot(run_certsmith)
    again = run_certsmith("register", "--agree-tos", "-m", "other@example.com")
    assert again.returncode == 2, describe(again)
    assert again.stderr.strip() == ("certsmith: error: There is an existing account; registration of a "
                                    "duplicate account with this command is currently unsupported."), describe(again)
    assert accounts_snapshot(run_certsmith) == before


# ----- update_account -------------------------------------------------------------------------------

def test_update_account_changes_the_contact_at_the_ca(run_certsmith, pebble):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    account_id = only_account(run_certsmith, pebble)

    result = run_certsmith("update_account", "-m", "new@example.com")
    assert result.returncode == 0, describe(result)
    assert "Your e-mail address was updated to new@example.com." in result.stdout, describe(result)
    assert regr(run_certsmith, pebble, account_id)["body"]["contact"] == ["mailto:new@example.com"]
    shown = run_certsmith("show_account")  # POST-as-GET: what Pebble now holds
    assert "  Email contact: new@example.com" in shown.stdout.splitlines(), describe(shown)

    several = run_certsmith("update-account", "-m", "a@example.com,b@example.com")
    assert several.returncode == 0, describe(several)
    shown = run_certsmith("show_account")
    assert "  Email contacts: a@example.com, b@example.com" in shown.stdout.splitlines(), describe(shown)
    assert only_account(run_certsmith, pebble) == account_id


def test_update_account_refuses_a_bad_email_and_sends_nothing(run_certsmith, pebble):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    before = accounts_snapshot(run_certsmith)
    for bad in ("not-an-email", "a@b@c", "a@", "@example.com", "a@exa mple.com"):
        result = run_certsmith("update_account", "-m", bad)
        assert result.returncode == 2, describe(result)
        assert result.stderr.startswith("certsmith: error: "), describe(result)
    missing = run_certsmith("update_account")
    assert missing.returncode == 2, describe(missing)
    assert "-m" in missing.stderr, describe(missing)
    assert accounts_snapshot(run_certsmith) == before
    shown = run_certsmith("show_account")
    assert "  Email contact: admin@example.com" in shown.stdout.splitlines(), describe(shown)


def test_account_commands_without_an_account_say_so(run_certsmith, pebble):
    for command in ("show_account", "update_account", "unregister", "rollover-account-key"):
        extra = ("-m", "a@example.com") if command == "update_account" else ()
        result = run_certsmith(command, *extra)
        assert result.returncode == 2, describe(result)
        assert result.stderr.strip() == (f"certsmith: error: Could not find an existing account for server "
                                         f"{pebble.directory_url}."), describe(result)
    assert not (run_certsmith.config_dir / "accounts").exists()


# ----- unregister -----------------------------------------------------------------------------------

def test_unregister_deactivates_and_removes_the_account(run_certsmith, make_runner, pebble, tmp_path):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    account_id = only_account(run_certsmith, pebble)
    backup = other_runner(make_runner, pebble, tmp_path, "backup")
    copy_account_into(run_certsmith, backup, pebble, account_id)

    result = run_certsmith("unregister")
    assert result.returncode == 0, describe(result)
    assert "Account deactivated." in result.stdout, describe(result)
    assert account_ids(run_certsmith, pebble) == []
    assert not (run_certsmith.config_dir / "accounts" / pebble.account_server_dir).exists()

    # The deactivated account (kept in a backup) is refused by the CA.
    refused = backup.certonly("deactivated.example.com")
    assert refused.returncode == 4, describe(refused)
    assert "deactivated" in refused.stderr.lower() or "unauthorized" in refused.stderr, describe(refused)
    assert not (backup.config_dir / "live").exists()

    # A new registration works and a certificate follows.
    again = run_certsmith("register", "--agree-tos", "-m", "admin@example.com")
    assert again.returncode == 0, describe(again)
    assert only_account(run_certsmith, pebble) != account_id
    issued = run_certsmith.certonly("after-unregister.example.com")
    assert issued.returncode == 0, describe(issued)


def test_unregister_again_after_the_answer_was_lost_removes_the_dead_account(
        run_certsmith, make_runner, pebble, tmp_path):
    # A first unregister deactivated the account at the CA but never removed the directory
    # (its answer was lost): here the directory is restored from a backup to the same effect.
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    account_id = only_account(run_certsmith, pebble)
    backup = other_runner(make_runner, pebble, tmp_path, "backup")
    copy_account_into(run_certsmith, backup, pebble, account_id)
    assert run_certsmith("unregister").returncode == 0
    copy_account_into(backup, run_certsmith, pebble, account_id)

    again = run_certsmith("unregister")
    assert again.returncode == 0, describe(again)
    assert "The CA reports the account as" in again.stdout + again.stderr, describe(again)
    assert account_ids(run_certsmith, pebble) == []


def test_unregister_without_a_terminal_and_without_n_asks_for_it(run_certsmith, pebble):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    before = accounts_snapshot(run_certsmith)
    result = run_certsmith("unregister", non_interactive=False)
    assert result.returncode == 2, describe(result)
    assert "deactivate your account" in result.stderr and "-n" in result.stderr, describe(result)
    assert accounts_snapshot(run_certsmith) == before


# ----- rollover-account-key ------------------------------------------------------------------------

def test_rollover_replaces_the_key_and_repoints_renewal_confs(run_certsmith, make_runner, pebble, tmp_path):
    names = ("rollover.example.com", "rollover2.example.com")
    for name in names:
        issued = run_certsmith.certonly(name)
        assert issued.returncode == 0, describe(issued)
    old_id = only_account(run_certsmith, pebble)
    old_uri = regr(run_certsmith, pebble, old_id)["uri"]
    for name in names:
        assert parse_renewal_conf(run_certsmith.config_dir / "renewal" / f"{name}.conf")["renewalparams"]["account"] == old_id
    backup = other_runner(make_runner, pebble, tmp_path, "old-key")
    copy_account_into(run_certsmith, backup, pebble, old_id)

    result = run_certsmith("rollover-account-key")
    assert result.returncode == 0, describe(result)
    new_id = only_account(run_certsmith, pebble)
    assert new_id != old_id
    assert f"The account ID is now {new_id} (was {old_id}); 2 renewal configurations updated." in result.stdout, \
        describe(result)
    new_dir = account_dir(run_certsmith, pebble, new_id)
    assert mode(new_dir) == 0o700 and mode(new_dir / "private_key.json") == 0o400
    assert regr(run_certsmith, pebble, new_id)["uri"] == old_uri
    for name in names:
        assert parse_renewal_conf(run_certsmith.config_dir / "renewal" / f"{name}.conf")["renewalparams"]["account"] == new_id

    # The new key works: show_account and a forced renewal.
    shown = run_certsmith("show_account")
    assert f"  Account URL: {old_uri}" in shown.stdout.splitlines(), describe(shown)
    renewed = run_certsmith.certonly(names[0], extra=("--force-renewal",))
    assert renewed.returncode == 0, describe(renewed)

    # The old key is rejected by the CA.
    old = backup("show_account")
    assert old.returncode == 4, describe(old)
    assert old.stderr.startswith("certsmith: error: "), describe(old)


def test_rollover_twice_in_a_row(run_certsmith, pebble):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    first_id = only_account(run_certsmith, pebble)
    assert run_certsmith("rollover-account-key").returncode == 0
    second_id = only_account(run_certsmith, pebble)
    assert run_certsmith("rollover-account-key").returncode == 0
    third_id = only_account(run_certsmith, pebble)
    assert len({first_id, second_id, third_id}) == 3
    assert run_certsmith("show_account").returncode == 0


def test_rollover_after_an_interrupted_one_settles_first(run_certsmith, make_runner, pebble, tmp_path):
    """A crash after keyChange leaves two directories with one account URL; the next rollover keeps the one
    the CA knows and carries on."""
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    old_id = only_account(run_certsmith, pebble)
    backup = other_runner(make_runner, pebble, tmp_path, "before-rollover")
    copy_account_into(run_certsmith, backup, pebble, old_id)
    assert run_certsmith("rollover-account-key").returncode == 0
    current_id = only_account(run_certsmith, pebble)
    # Put the stale key back beside the current one, as a crash before step 4 would leave it.
    copy_account_into(backup, run_certsmith, pebble, old_id)
    assert len(account_ids(run_certsmith, pebble)) == 2

    result = run_certsmith("rollover-account-key", "--account", old_id)
    assert result.returncode == 0, describe(result)
    final_id = only_account(run_certsmith, pebble)
    assert final_id not in (old_id, current_id)
    assert run_certsmith("show_account").returncode == 0


# ----- --account ------------------------------------------------------------------------------------

def test_account_flag_picks_among_several_accounts(run_certsmith, make_runner, pebble, tmp_path):
    assert run_certsmith("register", "--agree-tos", "-m", "first@example.com").returncode == 0
    second = other_runner(make_runner, pebble, tmp_path, "second")
    assert second("register", "--agree-tos", "-m", "second@example.com").returncode == 0
    second_id = only_account(second, pebble)
    copy_account_into(second, run_certsmith, pebble, second_id)
    ids = account_ids(run_certsmith, pebble)
    assert len(ids) == 2

    chosen = run_certsmith("show_account", "--account", second_id)
    assert chosen.returncode == 0, describe(chosen)
    assert "  Email contact: second@example.com" in chosen.stdout.splitlines(), describe(chosen)
    assert f"  Account ID: {second_id}" in chosen.stdout.splitlines(), describe(chosen)

    default = run_certsmith("show_account")
    assert default.returncode == 0, describe(default)
    assert f"  Account ID: {ids[0]}" in default.stdout.splitlines(), describe(default)
    assert f"using {ids[0]}, the first by id" in default.stdout, describe(default)

    issued = run_certsmith.certonly("picked.example.com", extra=("--account", second_id))
    assert issued.returncode == 0, describe(issued)
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "picked.example.com.conf")
    assert conf["renewalparams"]["account"] == second_id


def test_renew_uses_the_account_its_conf_records(run_certsmith, make_runner, pebble, tmp_path):
    """certbot renews each lineage with the account of its renewal conf, not the first one stored."""
    assert run_certsmith("register", "--agree-tos", "-m", "first@example.com").returncode == 0
    second = other_runner(make_runner, pebble, tmp_path, "second")
    assert second("register", "--agree-tos", "-m", "second@example.com").returncode == 0
    copy_account_into(second, run_certsmith, pebble, only_account(second, pebble))
    first_by_id, later_by_id = account_ids(run_certsmith, pebble)
    issued = run_certsmith.certonly("later.example.com", extra=("--account", later_by_id))
    assert issued.returncode == 0, describe(issued)

    renewed = run_certsmith("renew", "--force-renewal", "--cert-name", "later.example.com", "-v")
    assert renewed.returncode == 0, describe(renewed)
    output = renewed.stdout + renewed.stderr
    assert f"using account {later_by_id}" in output, describe(renewed)
    assert f"using account {first_by_id}" not in output, describe(renewed)
    conf = parse_renewal_conf(run_certsmith.config_dir / "renewal" / "later.example.com.conf")
    assert conf["renewalparams"]["account"] == later_by_id


def test_hostile_account_ids_are_refused_before_anything_happens(run_certsmith, pebble):
    assert run_certsmith("register", *EMAIL_FLAGS).returncode == 0
    before = accounts_snapshot(run_certsmith)
    unknown = "0123456789abcdef0123456789abcdef"
    result = run_certsmith("show_account", "--account", unknown)
    assert result.returncode == 2, describe(result)
    assert result.stderr.strip() == (f"certsmith: error: --account {unknown}: no such account is stored for "
                                     f"{pebble.directory_url}"), describe(result)
    for bad in ("../../../etc", "..", "a/b", "/etc/passwd", unknown.upper(), unknown[:-1], "x" * 32,
                unknown + "/..", "\x1b[31mred"):
        for command in ("show_account", "unregister", "rollover-account-key"):
            result = run_certsmith(command, "--account", bad)
            assert result.returncode == 2, describe(result)
            assert result.stderr.startswith("certsmith: error: invalid account id"), describe(result)
            assert "\x1b" not in result.stderr, describe(result)
        certonly = run_certsmith.certonly("hostile-account.example.com", extra=("--account", bad))
        assert certonly.returncode == 2, describe(certonly)
    assert accounts_snapshot(run_certsmith) == before
    assert not (run_certsmith.config_dir / "live").exists()
