"""A user whose nginx serves three sites renews their webroot certificates; one site's webroot is broken, that
one lineage fails with a clear reason while the other two renew."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from conftest import describe
from hook_log import HookLog
from inspect_tree import lineage_problems, live_version, not_after, parse_renewal_conf
from nginx_env import Nginx
from pebble_env import HarnessError

SITES = ("alpha.example.com", "bravo.example.com", "charlie.example.com")
BROKEN = "bravo.example.com"
# Pebble reuses a valid authorization half of the time by default; a renewal that needs no challenge never
# touches the webroot, so the broken site would renew by chance (Pebble still reuses one now and then: then
# the test is skipped).
PEBBLE_OPTIONS = {"extra_env": {"PEBBLE_AUTHZREUSE": "0"}}


@pytest.fixture
def nginx_sites(pebble, tmp_path):
    """A real nginx on Pebble's http-01 port with one document root per site (name-based virtual hosts)."""
    roots = {name: tmp_path / "sites" / name for name in SITES}
    for root in roots.values():
        root.mkdir(parents=True)
        (root / "index.html").write_text("hello\n")
    default_root = tmp_path / "default"
    default_root.mkdir()
    server = Nginx(tmp_path / "nginx", pebble.http_port, default_root, vhosts=roots)
    try:
        server.start()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    yield roots
    server.stop()


def _broken_site_got_a_new_authorization(pebble, created_before: int, validated_before: dict[str, int]) -> bool:
    """Whether Pebble made the renewal of BROKEN answer a challenge rather than reuse its valid authorization
    (it does now and then even at PEBBLE_AUTHZREUSE=0). Every new authorization of a good site was validated
    and BROKEN's never can be: a new one for BROKEN is the one Pebble created but did not validate."""
    validated = {name: pebble.validations(name) - before for name, before in validated_before.items()}
    assert validated[BROKEN] == 0, validated
    unvalidated = pebble.authorizations_created() - created_before - sum(validated.values())
    assert unvalidated in (0, 1), f"{unvalidated} new authorizations not validated: {validated}"
    return unvalidated == 1


def test_renew_fails_only_the_lineage_whose_webroot_is_broken(run_certsmith, nginx_sites, pebble, tmp_path):
    run = run_certsmith
    for name, root in nginx_sites.items():
        result = run("certonly", "--webroot", "-w", str(root), "-d", name, "--agree-tos",
                     "--register-unsafely-without-email")
        assert result.returncode == 0, describe(result)
        params = parse_renewal_conf(run.config_dir / "renewal" / f"{name}.conf")["renewalparams"]
        assert params["authenticator"] == "webroot"

    # The site's document root is gone and a regular file stands in its place: nothing can be written below
    # it, not even by root (a 0555 directory would not stop root).
    broken_root = nginx_sites[BROKEN]
    shutil.rmtree(broken_root)
    broken_root.write_text("not a directory\n")

    hooks = HookLog(tmp_path / "hooks.log")
    created_before = pebble.authorizations_created()
    validated_before = {name: pebble.validations(name) for name in SITES}
    result = run("renew", "--force-renewal", "--jobs", "3", "--deploy-hook", hooks.command("deploy"),
                 "--post-hook", hooks.command("post"))
    if not _broken_site_got_a_new_authorization(pebble, created_before, validated_before):
        pytest.skip(f"Pebble reused the valid authorization of {BROKEN} (see PebbleEnv.validations): its renewal "
                    "never needed the broken webroot")
    assert result.returncode == 1, describe(result)

    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error: ")]
    failed = [line for line in errors if line.startswith(f"certsmith: error: {BROKEN}: renewal failed: ")]
    assert len(failed) == 1, describe(result)
    reason = failed[0].split(": renewal failed: ", 1)[1]
    assert str(broken_root) in reason, f"the reason should name the broken webroot: {reason!r}"
    assert not [line for line in errors if line not in failed and re.match(r"certsmith: error: \S+: renewal", line)]

    lines = result.stdout.splitlines()
    for name in SITES:
        if name == BROKEN:
            assert not [line for line in lines if line.startswith(f"{name}: renewed")], describe(result)
            continue
        expiry = not_after(run.config_dir / "live" / name / "cert.pem")
        assert f"{name}: renewed, expires {expiry:%Y-%m-%d}" in lines, describe(result)
    assert lines[-1] == "2 renewed, 0 not due, 1 failed.", describe(result)

    for name in SITES:
        assert lineage_problems(run.config_dir, name) == []
        assert live_version(run.config_dir / "live" / name) == (1 if name == BROKEN else 2)
    assert not (run.config_dir / "archive" / BROKEN / "cert2.pem").exists(), "a failed renewal left archive files"

    calls = hooks.calls()
    assert sorted(c.lineage for c in calls if c.hook == "deploy") == \
        sorted(str(run.config_dir / "live" / n) for n in SITES if n != BROKEN)
    post = [c for c in calls if c.hook == "post"]
    assert len(post) == 1, calls
    assert post[0].failed == BROKEN, f"FAILED_DOMAINS={post[0].failed!r}"
    assert sorted(post[0].domains.split(" ")) == sorted(n for n in SITES if n != BROKEN)

    # Nothing is left in the good sites' webroots, and the next run with the site repaired renews it.
    for name, root in nginx_sites.items():
        if name != BROKEN:
            challenge_dir = root / ".well-known" / "acme-challenge"
            assert not challenge_dir.exists() or os.listdir(challenge_dir) == []
    broken_root.unlink()
    broken_root.mkdir()
    again = run("renew", "--cert-name", BROKEN, "--force-renewal")
    assert again.returncode == 0, describe(again)
    assert live_version(run.config_dir / "live" / BROKEN) == 2
