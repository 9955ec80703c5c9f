"""A user renews from cron with `certsmith renew`: nothing happens when nothing is due; forced renewals run the
pre, deploy and post hooks as certbot does; hooks given to certonly are saved and run again at renewal."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest

from conftest import describe
from hook_log import UNSET, HookLog
from inspect_tree import lineage_problems, live_version, not_after, parse_renewal_conf, sans, serial_hex, snapshot

LINEAGES = {
    "one.example.com": ("one.example.com", "www.one.example.com"),
    "two.example.com": ("two.example.com",),
    "three.example.com": ("three.example.com",),
}
ALL_DOMAINS = {d for names in LINEAGES.values() for d in names}


@pytest.fixture
def three_lineages(run_certsmith):
    """Three lineages issued by certonly --standalone (one with two names), version 1 each."""
    for names in LINEAGES.values():
        result = run_certsmith.certonly(*names)
        assert result.returncode == 0, describe(result)
    return run_certsmith


@pytest.fixture
def hook_log(tmp_path) -> HookLog:
    return HookLog(tmp_path / "hooks.log")


def _cli_hooks(hook_log: HookLog, prefix: str = "cli") -> list[str]:
    return ["--pre-hook", hook_log.command(f"{prefix}-pre"), "--deploy-hook", hook_log.command(f"{prefix}-deploy"),
            "--post-hook", hook_log.command(f"{prefix}-post")]


def _accounts(run, pebble) -> list[str]:
    return sorted(p.name for p in (run.config_dir / "accounts" / pebble.account_server_dir).iterdir())


def test_renew_when_nothing_is_due_changes_nothing_and_runs_no_hooks(three_lineages, hook_log):
    run = three_lineages
    hook_log.install_directory_hooks(run.config_dir)
    before = snapshot(run.config_dir)

    result = run("renew", *_cli_hooks(hook_log))
    assert result.returncode == 0, describe(result)
    lines = result.stdout.splitlines()
    for name, names in LINEAGES.items():
        expiry = not_after(run.config_dir / "live" / name / "cert.pem")
        days_left = (expiry - dt.datetime.now(dt.timezone.utc)).days
        pattern = rf"{re.escape(name)}: not due until \d{{4}}-\d\d-\d\d \(.+\), (\d+) days left"
        matching = [m for m in (re.fullmatch(pattern, line) for line in lines) if m]
        assert len(matching) == 1, describe(result)
        assert abs(int(matching[0].group(1)) - days_left) <= 1, describe(result)
    assert lines[-1] == "No renewals were attempted.", describe(result)
    assert result.stderr == "", describe(result)
    assert hook_log.calls() == [], "hooks ran although nothing was renewed"
    assert snapshot(run.config_dir) == before, "the tree changed although nothing was due"

    quiet = run("renew", "-q", *_cli_hooks(hook_log))
    assert quiet.returncode == 0, describe(quiet)
    assert (quiet.stdout, quiet.stderr) == ("", ""), describe(quiet)

    as_json = run("renew", "--json")
    assert as_json.returncode == 0, describe(as_json)
    summary = json.loads(as_json.stdout)
    assert (summary["dry_run"], summary["renewed"], summary["not_due"], summary["failed"]) == (False, 0, 3, 0)
    assert {entry["name"]: entry["action"] for entry in summary["lineages"]} == dict.fromkeys(LINEAGES, "not_due")
    assert hook_log.calls() == []
    assert snapshot(run.config_dir) == before


def test_force_renewal_with_three_jobs_runs_pre_and_post_once_and_deploy_per_lineage(three_lineages, hook_log,
                                                                                     pebble):
    run = three_lineages
    hook_log.install_directory_hooks(run.config_dir)
    accounts = _accounts(run, pebble)
    serials = {name: serial_hex(run.config_dir / "live" / name / "cert.pem") for name in LINEAGES}

    result = run("renew", "--force-renewal", "--jobs", "3", "--json", *_cli_hooks(hook_log))
    assert result.returncode == 0, describe(result)

    # Hooks as certbot runs them: directory hooks first, then the command line's; pre and post once.
    calls = hook_log.calls()
    hooks = [call.hook for call in calls]
    assert hooks[:2] == ["dir-pre", "cli-pre"], hooks
    assert hooks[-2:] == ["dir-post", "cli-post"], hooks
    deploys = calls[2:-2]
    assert sorted(call.hook for call in deploys) == ["cli-deploy"] * 3 + ["dir-deploy"] * 3, hooks
    for label in ("dir-deploy", "cli-deploy"):
        seen = {call.lineage: call.domains for call in deploys if call.hook == label}
        assert seen.keys() == {str(run.config_dir / "live" / name) for name in LINEAGES}, calls
        for name, names in LINEAGES.items():
            domains = seen[str(run.config_dir / "live" / name)]
            assert sorted(domains.split(" ")) == sorted(names), f"RENEWED_DOMAINS={domains!r}"
    for lineage in {call.lineage for call in deploys}:  # a lineage's dir hook runs before its command-line hook
        order = [call.hook for call in deploys if call.lineage == lineage]
        assert order == ["dir-deploy", "cli-deploy"], (lineage, hooks)
    post = calls[-1]
    assert sorted(post.domains.split(" ")) == sorted(ALL_DOMAINS), f"RENEWED_DOMAINS={post.domains!r}"
    assert post.failed == "", f"FAILED_DOMAINS={post.failed!r}"
    assert not [h for h in hooks if h.startswith(("backup-", "disabled-"))], "ran a ~ backup or non-executable"

    for name, names in LINEAGES.items():
        live = run.config_dir / "live" / name
        assert lineage_problems(run.config_dir, name) == []
        for stem in ("cert", "chain", "fullchain", "privkey"):
            assert os.readlink(live / f"{stem}.pem") == f"../../archive/{name}/{stem}2.pem"
        assert serial_hex(live / "cert.pem") != serials[name]
        assert sans(live / "cert.pem") == set(names)
    assert _accounts(run, pebble) == accounts, "renew registered another account"

    summary = json.loads(result.stdout)
    assert (summary["dry_run"], summary["renewed"], summary["not_due"], summary["failed"]) == (False, 3, 0, 0)
    assert summary["hook_failures"] == []
    by_name = {entry["name"]: entry for entry in summary["lineages"]}
    assert by_name.keys() == LINEAGES.keys()
    for name, names in LINEAGES.items():
        entry = by_name[name]
        assert entry["action"] == "renewed", entry
        assert entry["version"] == 2, entry
        assert sorted(entry["domains"]) == sorted(names), entry
        expiry = not_after(run.config_dir / "live" / name / "cert.pem")
        assert entry["not_after"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ"), entry
        assert entry["reason"], entry

    # certbot saves the hooks a renewal ran with, so the next unattended renewal runs them again.
    params = parse_renewal_conf(run.config_dir / "renewal" / "two.example.com.conf")["renewalparams"]
    assert params["pre_hook"] == hook_log.command("cli-pre")
    assert params["renew_hook"] == hook_log.command("cli-deploy")
    assert params["post_hook"] == hook_log.command("cli-post")


def test_certonly_runs_its_deploy_hook_and_renew_runs_the_saved_one(run_certsmith, hook_log):
    run = run_certsmith
    name = "hooked.example.com"
    result = run.certonly(name, "www.hooked.example.com", extra=_cli_hooks(hook_log, "certonly"))
    assert result.returncode == 0, describe(result)
    live = str(run.config_dir / "live" / name)
    calls = hook_log.calls()
    assert [c.hook for c in calls] == ["certonly-pre", "certonly-deploy", "certonly-post"], calls
    assert calls[1].lineage == live
    assert sorted(calls[1].domains.split(" ")) == [name, "www.hooked.example.com"], calls[1]

    params = parse_renewal_conf(run.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
    assert params["renew_hook"] == hook_log.command("certonly-deploy")
    assert params["pre_hook"] == hook_log.command("certonly-pre")
    assert params["post_hook"] == hook_log.command("certonly-post")

    # From cron: no hooks on the command line, the saved ones run.
    hook_log.clear()
    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    expiry = not_after(run.config_dir / "live" / name / "cert.pem")
    assert f"{name}: renewed, expires {expiry:%Y-%m-%d}" in renewed.stdout.splitlines(), describe(renewed)
    assert renewed.stdout.splitlines()[-1] == "1 renewed, 0 not due, 0 failed.", describe(renewed)
    calls = hook_log.calls()
    assert [c.hook for c in calls] == ["certonly-pre", "certonly-deploy", "certonly-post"], calls
    assert calls[1].lineage == live
    assert live_version(run.config_dir / "live" / name) == 2

    # A deploy hook on the command line replaces the saved one for the run (certbot: the command line wins).
    hook_log.clear()
    overridden = run("renew", "--force-renewal", "--deploy-hook", hook_log.command("override-deploy"))
    assert overridden.returncode == 0, describe(overridden)
    assert [c.hook for c in hook_log.calls()] == ["certonly-pre", "override-deploy", "certonly-post"], \
        hook_log.calls()


def test_no_directory_hooks_skips_renewal_hooks_dirs(three_lineages, hook_log):
    run = three_lineages
    hook_log.install_directory_hooks(run.config_dir)
    result = run("renew", "--force-renewal", "--cert-name", "two.example.com", "--no-directory-hooks",
                 *_cli_hooks(hook_log))
    assert result.returncode == 0, describe(result)
    calls = hook_log.calls()
    assert [c.hook for c in calls] == ["cli-pre", "cli-deploy", "cli-post"], calls
    assert calls[1].lineage == str(run.config_dir / "live" / "two.example.com")
    assert calls[2].domains == "two.example.com" and calls[2].failed == ""
    assert calls[0].lineage == UNSET, "the pre hook has no lineage"
    for name in LINEAGES:
        assert live_version(run.config_dir / "live" / name) == (2 if name == "two.example.com" else 1)


def test_failing_deploy_hook_is_reported_and_does_not_fail_the_renewal(three_lineages, hook_log):
    run = three_lineages
    failing = "echo reload failed >&2; exit 3"
    result = run("renew", "--force-renewal", "--cert-name", "one.example.com", "--json", "--deploy-hook", failing,
                 "--post-hook", hook_log.command("cli-post"))
    assert result.returncode == 0, describe(result)
    summary = json.loads(result.stdout)
    assert (summary["renewed"], summary["failed"]) == (1, 0), summary
    assert len(summary["hook_failures"]) == 1, summary
    failure = summary["hook_failures"][0]
    assert failure["hook"] == failing and "3" in failure["reason"], failure
    assert "exit status 3" in result.stderr, describe(result)
    assert live_version(run.config_dir / "live" / "one.example.com") == 2
    assert [c.hook for c in hook_log.calls()] == ["cli-post"], "the post hook still runs after a failed deploy hook"
