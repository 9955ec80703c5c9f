"""`delete` keeps a lineage's certificate for a later `certonly` of the same names (issue 7, rate-limit care:
Cloudron keeps certificates on uninstall so a reinstall does not spend the CA's limits); `delete --purge` keeps
nothing, as certbot. The kept entry lives outside certbot's live/ archive/ renewal/, so certbot still reads the
tree and still issues for the same name."""

from __future__ import annotations

import os
import stat
import time

from conftest import describe
from inspect_tree import lineage_problems, serial_hex, snapshot

# certbot 2.1 takes part in one test and does not always retry a rejected nonce (TESTING.md).
PEBBLE_OPTIONS = {"nonce_reject": 0}


def _kept(run) -> object:
    return run.config_dir / "certsmith" / "kept"


def _one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    return lines[0]


def _pebble_activity(pebble, *names: str) -> tuple:
    return (pebble.authorizations_created(), *(pebble.validations(name) for name in names))


def test_delete_keeps_and_certonly_reuses_without_an_order(run_certsmith, pebble):
    names = ("keep-a.example.com", "www.keep-a.example.com")
    assert run_certsmith.certonly(*names).returncode == 0
    config = run_certsmith.config_dir
    serial = serial_hex(config / "live" / "keep-a.example.com" / "cert.pem")

    deleted = run_certsmith("delete", "--cert-name", "keep-a.example.com")
    assert deleted.returncode == 0, describe(deleted)
    assert str(_kept(run_certsmith)) in deleted.stdout and "--purge" in deleted.stdout, describe(deleted)
    for gone in (config / "renewal" / "keep-a.example.com.conf", config / "live" / "keep-a.example.com",
                 config / "archive" / "keep-a.example.com"):
        assert not os.path.lexists(gone), gone
    entry = _kept(run_certsmith) / "keep-a.example.com"
    assert sorted(p.name for p in entry.iterdir()) == ["cert.pem", "chain.pem", "fullchain.pem", "privkey.pem",
                                                       "renewal.conf"]
    for directory in (config / "certsmith", _kept(run_certsmith), entry):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    assert stat.S_IMODE((entry / "privkey.pem").stat().st_mode) == 0o600
    assert "keep-a.example.com" not in run_certsmith("certificates").stdout

    before = _pebble_activity(pebble, *names)
    again = run_certsmith.certonly(*names)
    assert again.returncode == 0, describe(again)
    assert "Reused the certificate kept when keep-a.example.com was deleted" in again.stdout, describe(again)
    assert "--force-renewal" in again.stdout, describe(again)
    assert "Certificate restored" in again.stdout and "Successfully received" not in again.stdout, \
        describe(again)
    assert _pebble_activity(pebble, *names) == before, "a kept certificate was reused, yet Pebble saw an order"
    assert serial_hex(config / "live" / "keep-a.example.com" / "cert.pem") == serial
    assert lineage_problems(config, "keep-a.example.com") == []
    assert not os.path.lexists(entry)
    assert "keep-a.example.com" in run_certsmith("certificates").stdout

    # --purge: certbot's delete, nothing kept, and the next certonly orders anew.
    purged = run_certsmith("delete", "--purge", "--cert-name", "keep-a.example.com")
    assert purged.returncode == 0, describe(purged)
    assert "Deleted all files relating to certificate keep-a.example.com." in purged.stdout, describe(purged)
    assert list(_kept(run_certsmith).iterdir()) == []
    fresh = run_certsmith.certonly(*names)
    assert fresh.returncode == 0, describe(fresh)
    assert "Reused" not in fresh.stdout, describe(fresh)
    assert serial_hex(config / "live" / "keep-a.example.com" / "cert.pem") != serial


def test_other_names_or_force_renewal_order_a_new_certificate(run_certsmith, pebble):
    config = run_certsmith.config_dir
    assert run_certsmith.certonly("keep-b.example.com").returncode == 0
    serial = serial_hex(config / "live" / "keep-b.example.com" / "cert.pem")
    assert run_certsmith("delete", "--cert-name", "keep-b.example.com").returncode == 0

    more = run_certsmith.certonly("keep-b.example.com", "www.keep-b.example.com")  # another name set
    assert more.returncode == 0 and "Reused" not in more.stdout, describe(more)
    assert run_certsmith("delete", "--purge", "--cert-name", "keep-b.example.com").returncode == 0

    forced = run_certsmith.certonly("keep-b.example.com", extra=("--force-renewal",))
    assert forced.returncode == 0 and "Reused" not in forced.stdout, describe(forced)
    assert serial_hex(config / "live" / "keep-b.example.com" / "cert.pem") != serial


def test_expired_kept_certificate_is_removed_and_not_reused(make_runner, pebble_factory):
    short = pebble_factory(nonce_reject=0, validity_seconds=4)
    run = make_runner(short)
    assert run.certonly("keep-old.example.com").returncode == 0
    assert run("delete", "--cert-name", "keep-old.example.com").returncode == 0
    time.sleep(5)
    again = run.certonly("keep-old.example.com")
    assert again.returncode == 0, describe(again)
    assert "Removed the expired kept certificate keep-old.example.com." in again.stdout, describe(again)
    assert "Reused" not in again.stdout
    assert list(_kept(run).iterdir()) == []


def _keep_one(run, name: str):
    assert run.certonly(name).returncode == 0
    assert run("delete", "--cert-name", name).returncode == 0
    return _kept(run) / name


def test_truncated_or_mismatched_kept_files_are_skipped_with_a_warning(run_certsmith):
    truncated = _keep_one(run_certsmith, "keep-cut.example.com")
    text = (truncated / "cert.pem").read_text()
    (truncated / "cert.pem").write_text(text[: len(text) // 2])
    result = run_certsmith.certonly("keep-cut.example.com")
    assert result.returncode == 0, describe(result)
    assert "kept certificate keep-cut.example.com not reused" in result.stderr + result.stdout, describe(result)
    assert "Reused" not in result.stdout

    mismatched = _keep_one(run_certsmith, "keep-key.example.com")
    other = _keep_one(run_certsmith, "keep-other.example.com")
    (mismatched / "privkey.pem").write_bytes((other / "privkey.pem").read_bytes())
    result = run_certsmith.certonly("keep-key.example.com")
    assert result.returncode == 0, describe(result)
    assert "key does not match" in result.stderr + result.stdout, describe(result)
    assert "Reused" not in result.stdout


def test_a_symlinked_or_foreign_kept_dir_is_not_used(run_certsmith, sandbox):
    config = run_certsmith.config_dir
    assert run_certsmith.certonly("keep-link.example.com").returncode == 0
    outside = sandbox / "outside"
    outside.mkdir()
    (config / "certsmith").mkdir(mode=0o700)
    _kept(run_certsmith).symlink_to(outside, target_is_directory=True)
    before = snapshot(config)
    refused = run_certsmith("delete", "--cert-name", "keep-link.example.com")
    assert refused.returncode == 1, describe(refused)
    assert "--purge" in _one_error_line(refused)
    assert snapshot(config) == before and list(outside.iterdir()) == []
    assert lineage_problems(config, "keep-link.example.com") == []
    # certonly for names without a lineage warns and orders as usual.
    fresh = run_certsmith.certonly("keep-link2.example.com")
    assert fresh.returncode == 0, describe(fresh)
    assert "kept certificates not considered" in fresh.stderr + fresh.stdout, describe(fresh)
    # --purge needs no kept dir.
    assert run_certsmith("delete", "--purge", "--cert-name", "keep-link.example.com").returncode == 0

    _kept(run_certsmith).unlink()
    _kept(run_certsmith).mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(_kept(run_certsmith), 65534, 65534)
    else:
        os.chmod(_kept(run_certsmith), 0o777)
    refused = run_certsmith("delete", "--cert-name", "keep-link2.example.com")
    assert refused.returncode == 1, describe(refused)
    assert "kept" in _one_error_line(refused)
    assert lineage_problems(config, "keep-link2.example.com") == []


def test_certbot_reads_and_extends_a_tree_with_a_kept_certificate(run_certsmith, certbot, pebble):
    name = "keep-cb.example.com"
    _keep_one(run_certsmith, name)
    listed = certbot("certificates")
    assert listed.returncode == 0, describe(listed)
    assert "Traceback" not in listed.stderr and "invalid" not in (listed.stdout + listed.stderr).lower(), \
        describe(listed)
    issued = certbot("certonly", "--standalone", "--http-01-port", str(pebble.http_port), "--server",
                     pebble.directory_url, "--agree-tos", "--register-unsafely-without-email", "-d", name)
    assert issued.returncode == 0, describe(issued)
    assert lineage_problems(run_certsmith.config_dir, name) == []
    # The lineage certbot made is the one certsmith now keeps (not the kept certificate).
    kept_again = run_certsmith.certonly(name)
    assert kept_again.returncode == 0 and "not yet due" in kept_again.stdout, describe(kept_again)


def test_a_lineage_whose_conf_cannot_be_read_is_deleted_without_keeping(run_certsmith):
    """certbot's delete removes such a lineage (the default layout); keeping must not make it undeletable."""
    assert run_certsmith.certonly("keep-bad.example.com").returncode == 0
    config = run_certsmith.config_dir
    (config / "renewal" / "keep-bad.example.com.conf").write_text("[[[ not a renewal conf\n")
    result = run_certsmith("delete", "--cert-name", "keep-bad.example.com")
    assert result.returncode == 0, describe(result)
    assert "Nothing of keep-bad.example.com is kept for reuse" in result.stdout, describe(result)
    assert "Deleted all files relating to certificate keep-bad.example.com." in result.stdout
    assert not os.path.lexists(config / "archive" / "keep-bad.example.com")
    assert not os.path.lexists(_kept(run_certsmith) / "keep-bad.example.com")


def test_what_a_crashed_keep_leaves_is_ignored_then_cleared(run_certsmith, certbot):
    """A keep killed before its publishing rename leaves kept/.NAME.partial and the lineage whole (unit tests
    crash it at each step): certonly ignores the leftover, certbot is not disturbed, the next delete clears it."""
    name = "keep-crash.example.com"
    assert run_certsmith.certonly(name).returncode == 0
    partial = _kept(run_certsmith) / f".{name}.partial"
    partial.mkdir(parents=True, mode=0o700)
    os.chmod(run_certsmith.config_dir / "certsmith", 0o700)
    os.chmod(_kept(run_certsmith), 0o700)
    (partial / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\ntruncated")
    again = run_certsmith.certonly(name)
    assert again.returncode == 0 and "not yet due" in again.stdout, describe(again)
    assert "warning" not in again.stderr.lower(), describe(again)
    listed = certbot("certificates")
    assert listed.returncode == 0 and name in listed.stdout, describe(listed)
    assert run_certsmith("delete", "--cert-name", name).returncode == 0
    assert not partial.exists()
    assert (_kept(run_certsmith) / name / "cert.pem").exists()


def test_a_reused_certificate_runs_the_deploy_hook_and_keeps_the_fallback_flags(run_certsmith, pebble, tmp_path):
    """New files in live/ must reach the server: the deploy hook runs for a restored certificate as after an
    issuance, with RENEWED_LINEAGE naming it; fallback flags given to that certonly are saved in its conf."""
    config = run_certsmith.config_dir
    assert run_certsmith.certonly("keep-hook.example.com").returncode == 0
    assert run_certsmith("delete", "--cert-name", "keep-hook.example.com").returncode == 0

    marker = tmp_path / "deployed"
    hook = f'printf "%s" "$RENEWED_LINEAGE" > {marker}'
    again = run_certsmith.certonly("keep-hook.example.com", extra=("--deploy-hook", hook, "--fallback-self-signed"))
    assert again.returncode == 0, describe(again)
    assert "Reused the certificate kept" in again.stdout, describe(again)
    assert marker.read_text() == str(config / "live" / "keep-hook.example.com"), describe(again)
    conf = (config / "renewal" / "keep-hook.example.com.conf").read_text()
    assert "certsmith_fallback_self_signed = True" in conf, conf
