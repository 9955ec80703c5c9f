"""A user whose live/ links were broken (a restored backup, a hand edit, a crash of another tool) runs
`certsmith update_symlinks`, certbot's command, and gets live/ pointing at a complete version again;
`certsmith certificates` says which lineages are broken and that this command repairs them."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from conftest import assert_tree_safe, describe
from inspect_tree import lineage_problems, live_version, snapshot

LIVE_FILES = ("cert", "privkey", "chain", "fullchain")


def _issue_two_versions(run, *names: str) -> None:
    for name in names:
        result = run.certonly(name)
        assert result.returncode == 0, describe(result)
    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)


def _relink(link: Path, target: str) -> None:
    link.unlink()
    os.symlink(target, link)


def _invalid(run, name: str) -> dict:
    document = json.loads(run("certificates", "--json", check_tree=False).stdout)
    return next(entry for entry in document["certificates"] if entry["name"] == name)


def test_update_symlinks_repairs_missing_and_disagreeing_links(run_certsmith, certbot):
    run = run_certsmith
    _issue_two_versions(run, "dangle.example.com", "missing.example.com", "mixed.example.com",
                        "fine.example.com")
    config = run.config_dir
    (config / "archive" / "dangle.example.com" / "chain2.pem").unlink()
    (config / "live" / "missing.example.com" / "fullchain.pem").unlink()
    _relink(config / "live" / "mixed.example.com" / "privkey.pem",
            "../../archive/mixed.example.com/privkey1.pem")
    fine_before = snapshot(config / "live" / "fine.example.com")
    dangle_before = snapshot(config / "live" / "dangle.example.com")

    listing = run("certificates", check_tree=False)
    assert listing.returncode == 0, describe(listing)
    lines = listing.stdout.splitlines()
    assert "The following renewal configurations were invalid:" in lines, describe(listing)
    for name in ("missing.example.com", "mixed.example.com"):
        line = next((line for line in lines if line.startswith(f"  {name}: ")), None)
        assert line and line.endswith('; run "certsmith update_symlinks" to repair it'), describe(listing)
        assert _invalid(run, name)["fix"] == "certsmith update_symlinks"
    # Only version 1 is complete: repairing would roll live/ back (perhaps to a revoked key), so no hint.
    dangle = next(line for line in lines if line.startswith("  dangle.example.com: "))
    assert 'run "certsmith update_symlinks"' not in dangle, describe(listing)
    assert _invalid(run, "dangle.example.com")["fix"] is None
    assert "  Certificate Name: fine.example.com" in lines, describe(listing)
    assert "dangle.example.com/chain.pem: points to ../../archive/dangle.example.com/chain2.pem, which does " \
           "not exist" in listing.stdout, describe(listing)

    result = run("update_symlinks", check_tree=False)
    assert result.returncode == 1, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error: ")]
    assert len(errors) == 1 and errors[0].startswith("certsmith: error: dangle.example.com: not repaired: ") \
        and "chain2.pem: missing" in errors[0], describe(result)
    assert snapshot(config / "live" / "dangle.example.com") == dangle_before
    assert live_version(config / "live" / "dangle.example.com", "cert") == 2
    for name in ("missing.example.com", "mixed.example.com", "fine.example.com"):
        assert lineage_problems(config, name) == [], name
    assert live_version(config / "live" / "missing.example.com") == 2
    assert live_version(config / "live" / "mixed.example.com") == 2
    assert snapshot(config / "live" / "fine.example.com") == fine_before

    # certbot reads the repaired lineages as its own.
    theirs = certbot("certificates")
    assert theirs.returncode == 0, theirs.stderr
    for name in ("missing.example.com", "mixed.example.com"):
        assert f"Certificate Name: {name}" in theirs.stdout, theirs.stdout


def test_update_symlinks_moves_forward_to_a_newer_complete_version(run_certsmith):
    """Links left on version 1 (a crash before the switch, a restored backup) whose version lost a file go
    forward to version 2, never back."""
    run = run_certsmith
    _issue_two_versions(run, "forward.example.com")
    live = run.config_dir / "live" / "forward.example.com"
    for stem in LIVE_FILES:
        _relink(live / f"{stem}.pem", f"../../archive/forward.example.com/{stem}1.pem")
    (run.config_dir / "archive" / "forward.example.com" / "chain1.pem").unlink()
    assert _invalid(run, "forward.example.com")["fix"] == "certsmith update_symlinks"
    result = run("update_symlinks")
    assert result.returncode == 0, describe(result)
    assert live_version(live) == 2
    assert lineage_problems(run.config_dir, "forward.example.com") == []


def test_update_symlinks_leaves_a_directory_the_conf_names_outside_live_alone(run_certsmith, tmp_path):
    """A conf naming `cert = /somewhere/victim/cert.pem`: that directory is not replaced (its inode, owner
    and files stay), and neither is one named by a relative path."""
    run = run_certsmith
    assert run.certonly("victim.example.com").returncode == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "data").write_text("precious\n")
    inode = victim.stat().st_ino
    conf = run.config_dir / "renewal" / "victim.example.com.conf"
    original = conf.read_text()
    live = run.config_dir / "live" / "victim.example.com"
    conf.write_text(original.replace(f"= {live}/", f"= {victim}/"))
    before = snapshot(run.config_dir)

    listing = run("certificates", check_tree=False)
    assert _invalid(run, "victim.example.com")["fix"] is None, describe(listing)
    result = run("update_symlinks", "--cert-name", "victim.example.com", check_tree=False)
    assert result.returncode == 1, describe(result)
    assert result.stderr.startswith("certsmith: error: victim.example.com: not repaired: "), describe(result)
    assert "outside" in result.stderr, describe(result)
    assert victim.stat().st_ino == inode
    assert sorted(p.name for p in victim.iterdir()) == ["data"]
    assert not (tmp_path / ".victim.new").exists()
    assert snapshot(run.config_dir) == before

    conf.write_text(original.replace(f"cert = {live}/cert.pem", "cert = live/victim.example.com/cert.pem"))
    result = run("update_symlinks", "--cert-name", "victim.example.com", check_tree=False)
    assert result.returncode == 1, describe(result)
    assert "not an absolute path" in result.stderr, describe(result)


def test_an_archive_file_that_is_a_symlink_inside_the_archive_is_valid_as_for_certbot(run_certsmith, certbot):
    """certbot follows archive files that are themselves symlinks; so does certsmith, inside config/archive."""
    run = run_certsmith
    _issue_two_versions(run, "linked.example.com")
    archive = run.config_dir / "archive" / "linked.example.com"
    shared = run.config_dir / "archive" / "shared"
    shared.mkdir()
    os.rename(archive / "chain2.pem", shared / "chain.pem")
    os.symlink("../shared/chain.pem", archive / "chain2.pem")
    os.rename(archive / "cert2.pem", archive / "cert2.real")
    os.symlink(archive / "cert2.real", archive / "cert2.pem")

    theirs = certbot("certificates")
    assert theirs.returncode == 0, theirs.stderr
    assert "Certificate Name: linked.example.com" in theirs.stdout, theirs.stdout + theirs.stderr
    assert "VALID" in theirs.stdout and "INVALID" not in theirs.stdout, theirs.stdout
    assert _invalid(run, "linked.example.com")["status"] == "valid"
    result = run("update_symlinks")
    assert result.returncode == 0, describe(result)
    assert live_version(run.config_dir / "live" / "linked.example.com") == 2

    # Out of config/archive is refused, as any link leading out of the tree.
    outside = run.sandbox / "chain-outside.pem"
    os.rename(shared / "chain.pem", outside)
    (archive / "chain2.pem").unlink()
    os.symlink(outside, archive / "chain2.pem")
    entry = _invalid(run, "linked.example.com")
    assert entry["status"] != "valid" and "not a regular file inside" in json.dumps(entry), entry


def test_update_symlinks_rewrites_absolute_links_as_certbot(run_certsmith):
    """certbot's update_symlinks: each link relative into the conf's archive_dir, keeping its version."""
    run = run_certsmith
    _issue_two_versions(run, "abs.example.com")
    live = run.config_dir / "live" / "abs.example.com"
    archive = run.config_dir / "archive" / "abs.example.com"
    for stem in LIVE_FILES:
        _relink(live / f"{stem}.pem", str(archive / f"{stem}1.pem"))
    assert run("certificates").returncode == 0
    assert _invalid(run, "abs.example.com")["status"] == "valid"

    result = run("update-symlinks", "--cert-name", "abs.example.com")
    assert result.returncode == 0, describe(result)
    for stem in LIVE_FILES:
        assert os.readlink(live / f"{stem}.pem") == f"../../archive/abs.example.com/{stem}1.pem"
    assert lineage_problems(run.config_dir, "abs.example.com") == []


def test_one_unrepairable_lineage_is_named_and_the_others_are_still_repaired(run_certsmith):
    run = run_certsmith
    for name in ("plain.example.com", "nover.example.com", "ok.example.com"):
        assert run.certonly(name).returncode == 0
    config = run.config_dir
    # A user's own file where a link belongs is never replaced.
    cert = config / "live" / "plain.example.com" / "cert.pem"
    content = cert.read_text()
    cert.unlink()
    cert.write_text(content)
    # The only version lost a file: nothing complete to point at.
    (config / "archive" / "nover.example.com" / "privkey1.pem").unlink()
    (config / "live" / "ok.example.com" / "chain.pem").unlink()

    listing = run("certificates", check_tree=False)
    assert "  plain.example.com: " in listing.stdout, describe(listing)
    plain = next(line for line in listing.stdout.splitlines() if line.startswith("  plain.example.com: "))
    assert "not a symlink" in plain and "update_symlinks" not in plain, describe(listing)
    assert _invalid(run, "nover.example.com")["fix"] is None

    result = run("update_symlinks", check_tree=False)
    assert result.returncode == 1, describe(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("certsmith: error: ")]
    assert any(line.startswith("certsmith: error: plain.example.com: not repaired: ") and "not a symlink" in line
               for line in errors), describe(result)
    assert any(line.startswith("certsmith: error: nover.example.com: not repaired: ")
               and "privkey1.pem: missing" in line
               for line in errors), describe(result)
    assert len(errors) == 2, describe(result)
    assert cert.read_text() == content and not cert.is_symlink()
    assert lineage_problems(config, "ok.example.com") == []


def test_update_symlinks_refuses_an_archive_dir_outside_the_tree(run_certsmith, tmp_path):
    run = run_certsmith
    assert run.certonly("away.example.com").returncode == 0
    outside = tmp_path / "outside-archive"
    outside.mkdir()
    conf = run.config_dir / "renewal" / "away.example.com.conf"
    text = conf.read_text()
    archive = run.config_dir / "archive" / "away.example.com"
    conf.write_text(text.replace(f"archive_dir = {archive}", f"archive_dir = {outside}"))
    (run.config_dir / "live" / "away.example.com" / "chain.pem").unlink()
    before = snapshot(run.config_dir)

    result = run("update_symlinks", "--cert-name", "away.example.com", check_tree=False)
    assert result.returncode == 1, describe(result)
    assert "away.example.com: not repaired: archive_dir" in result.stderr, describe(result)
    assert "only links to an archive directly inside it" in result.stderr, describe(result)
    assert snapshot(run.config_dir) == before


def test_update_symlinks_names_an_unknown_lineage(run_certsmith):
    result = run_certsmith("update_symlinks", "--cert-name", "nothing.example.com")
    assert result.returncode != 0, describe(result)
    assert "No certificate found with name nothing.example.com" in result.stderr, describe(result)


def test_update_symlinks_is_refused_while_certbot_holds_the_tree_lock(run_certsmith):
    """It takes the tree lock like every writing command: refused while certbot runs, nothing changed."""
    run = run_certsmith
    assert run.certonly("locked.example.com").returncode == 0
    (run.config_dir / "live" / "locked.example.com" / "chain.pem").unlink()
    with open(run.config_dir / ".certbot.lock", "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        before = snapshot(run.config_dir / "live")
        refused = run("update_symlinks", check_tree=False)
        assert refused.returncode != 0, describe(refused)
        assert "already running" in refused.stderr, describe(refused)
        assert snapshot(run.config_dir / "live") == before
        fcntl.lockf(lock, fcntl.LOCK_UN)
    (run.config_dir / ".certbot.lock").unlink(missing_ok=True)
    assert run("update_symlinks").returncode == 0
    assert lineage_problems(run.config_dir, "locked.example.com") == []


def test_update_symlinks_refuses_a_hostile_cert_name_before_touching_anything(run_certsmith):
    for hostile in ("../../etc", "a/b", ".hidden", "x\nexample.com"):
        result = run_certsmith("update_symlinks", "--cert-name", hostile)
        assert result.returncode == 2, describe(result)
        assert result.stderr.startswith("certsmith: error: "), describe(result)
    assert not (run_certsmith.config_dir / "live").exists()
