"""A user checks with `certsmith renew --dry-run` that renewal would work: certificates are obtained from the CA
but nothing is saved, and deploy hooks run only with --run-deploy-hooks."""

from __future__ import annotations

import json

import pytest

from conftest import describe
from hook_log import HookLog
from inspect_tree import snapshot

NAMES = ("dry-a.example.com", "dry-b.example.com", "dry-c.example.com")


@pytest.fixture
def lineages(run_certsmith, tmp_path):
    for name in NAMES:
        result = run_certsmith.certonly(name)
        assert result.returncode == 0, describe(result)
    hooks = HookLog(tmp_path / "hooks.log")
    hooks.install_directory_hooks(run_certsmith.config_dir)
    return run_certsmith, hooks


def _issued(pebble) -> int:
    return pebble.log_text().count("Issued certificate serial")


def _hook_args(hooks: HookLog) -> list[str]:
    return ["--pre-hook", hooks.command("cli-pre"), "--deploy-hook", hooks.command("cli-deploy"),
            "--post-hook", hooks.command("cli-post")]


def test_dry_run_obtains_certificates_but_saves_nothing(lineages, pebble):
    run, hooks = lineages
    before = snapshot(run.config_dir)
    issued = _issued(pebble)

    # --server: like certbot, a dry run without it goes to Let's Encrypt's staging server.
    result = run("renew", "--dry-run", "--force-renewal", "--server", pebble.directory_url, *_hook_args(hooks))
    assert result.returncode == 0, describe(result)
    assert _issued(pebble) == issued + 3, "a dry run must really obtain each certificate"
    assert result.stdout.splitlines()[-1] == "3 renewed, 0 not due, 0 failed.", describe(result)
    assert snapshot(run.config_dir) == before, "a dry run changed the tree"
    # certbot: pre and post hooks run in a dry run, deploy hooks do not.
    assert hooks.hooks() == ["dir-pre", "cli-pre", "dir-post", "cli-post"]

    hooks.clear()
    with_deploy = run("renew", "--dry-run", "--force-renewal", "--run-deploy-hooks", "--server",
                      pebble.directory_url, *_hook_args(hooks))
    assert with_deploy.returncode == 0, describe(with_deploy)
    deployed = [c for c in hooks.calls() if c.hook.endswith("-deploy")]
    assert sorted(c.hook for c in deployed) == ["cli-deploy"] * 3 + ["dir-deploy"] * 3, hooks.calls()
    assert {c.lineage for c in deployed} == {str(run.config_dir / "live" / n) for n in NAMES}
    assert snapshot(run.config_dir) == before, "a dry run changed the tree"


def test_dry_run_simulates_renewal_of_certificates_not_yet_due(lineages, pebble):
    run, hooks = lineages
    before = snapshot(run.config_dir)
    issued = _issued(pebble)
    result = run("renew", "--dry-run", "--server", pebble.directory_url)
    assert result.returncode == 0, describe(result)
    assert _issued(pebble) == issued + 3, describe(result)
    assert snapshot(run.config_dir) == before


def test_dry_run_json_summary_is_the_only_output(lineages, pebble):
    run, hooks = lineages
    result = run("renew", "--dry-run", "--force-renewal", "--json", "--server", pebble.directory_url,
                 *_hook_args(hooks))
    assert result.returncode == 0, describe(result)
    summary = json.loads(result.stdout)
    assert (summary["dry_run"], summary["renewed"], summary["not_due"], summary["failed"]) == (True, 3, 0, 0)
    assert {entry["name"]: entry["action"] for entry in summary["lineages"]} == dict.fromkeys(NAMES, "renewed")
