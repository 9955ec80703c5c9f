"""A user deletes a lineage they no longer need; only that lineage goes, and hostile or unknown names change
nothing."""

from __future__ import annotations

import pytest

from conftest import describe
from inspect_tree import lineage_problems, snapshot


def _one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certsmith: error: "), describe(result)
    return lines[0]


def test_delete_removes_exactly_that_lineage(run_certsmith):
    for name in ("del-a.example.com", "del-b.example.com"):
        assert run_certsmith.certonly(name).returncode == 0
    result = run_certsmith("delete", "--purge", "--cert-name", "del-a.example.com")  # certbot's delete
    assert result.returncode == 0, describe(result)
    assert "Deleted all files relating to certificate del-a.example.com." in result.stdout, describe(result)
    assert not (run_certsmith.config_dir / "certsmith" / "kept" / "del-a.example.com").exists()
    config = run_certsmith.config_dir
    assert not (config / "renewal" / "del-a.example.com.conf").exists()
    assert not (config / "live" / "del-a.example.com").exists()
    assert not (config / "archive" / "del-a.example.com").exists()
    assert lineage_problems(config, "del-b.example.com") == []
    listing = run_certsmith("certificates")
    assert "del-a.example.com" not in listing.stdout and "del-b.example.com" in listing.stdout
    # The name is free again: certonly makes a fresh lineage under it.
    again = run_certsmith.certonly("del-a.example.com")
    assert again.returncode == 0, describe(again)
    assert (config / "live" / "del-a.example.com" / "cert.pem").exists()


def test_delete_of_an_unknown_name_is_refused(run_certsmith):
    assert run_certsmith.certonly("del-keep.example.com").returncode == 0
    before = snapshot(run_certsmith.config_dir)
    result = run_certsmith("delete", "--cert-name", "del-nope.example.com")
    assert result.returncode == 1, describe(result)
    assert "No certificate found with name del-nope.example.com" in _one_error_line(result)
    assert snapshot(run_certsmith.config_dir) == before


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "..", "../renewal/del-keep.example.com", "-n"])
def test_delete_with_a_hostile_name_touches_nothing(run_certsmith, name):
    assert run_certsmith.certonly("del-keep.example.com").returncode == 0
    before = snapshot(run_certsmith.config_dir.parent)
    result = run_certsmith("delete", f"--cert-name={name}")
    assert result.returncode == 2, describe(result)
    _one_error_line(result)
    after = snapshot(run_certsmith.config_dir.parent)
    after = {k: v for k, v in after.items() if not k.startswith("logs")}
    assert after == {k: v for k, v in before.items() if not k.startswith("logs")}


def test_delete_without_a_name_is_a_usage_error(run_certsmith):
    result = run_certsmith("delete")
    assert result.returncode == 2, describe(result)
    assert "--cert-name" in _one_error_line(result)


def test_delete_does_not_follow_a_symlinked_live_dir(run_certsmith, sandbox):
    assert run_certsmith.certonly("del-link.example.com").returncode == 0
    outside = sandbox / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    live = run_certsmith.config_dir / "live" / "del-link.example.com"
    for item in live.iterdir():
        item.unlink()
    live.rmdir()
    live.symlink_to(outside, target_is_directory=True)
    result = run_certsmith("delete", "--cert-name", "del-link.example.com", check_tree=False)
    assert result.returncode == 0, describe(result)
    assert (outside / "precious.txt").read_text() == "keep me"
    assert not live.is_symlink() and not live.exists()
    assert not (run_certsmith.config_dir / "archive" / "del-link.example.com").exists()


def _run_with_terminal(run, args, answer: str):
    """certsmith ARGS with a pseudo-terminal on stdin that answers `answer`."""
    import os
    import pty
    import subprocess
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer.encode())
        return subprocess.run(run.argv(*args, non_interactive=False), cwd=run.sandbox,
                              env=run.environment(), stdin=secondary, capture_output=True, text=True,
                              timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)


def test_delete_asks_certbots_question_on_a_terminal(run_certsmith):
    assert run_certsmith.certonly("del-ask.example.com").returncode == 0
    conf = run_certsmith.config_dir / "renewal" / "del-ask.example.com.conf"

    declined = _run_with_terminal(run_certsmith, ("delete", "--cert-name", "del-ask.example.com"), "n\n")
    assert declined.returncode == 0, describe(declined)
    assert "Are you sure you want to delete the above certificate(s)?" in declined.stdout, describe(declined)
    assert "  * del-ask.example.com" in declined.stdout
    assert conf.exists()

    accepted = _run_with_terminal(run_certsmith, ("delete", "--cert-name", "del-ask.example.com"), "y\n")
    assert accepted.returncode == 0, describe(accepted)
    assert not conf.exists()
    assert not (run_certsmith.config_dir / "live" / "del-ask.example.com").exists()


def _set_archive_dir(config, name: str, archive_dir) -> None:
    """Point the conf's archive_dir (certbot and certsmith write one) at archive_dir."""
    conf = config / "renewal" / f"{name}.conf"
    text = conf.read_text()
    start = text.index("archive_dir = ")
    conf.write_text(text[:start] + f"archive_dir = {archive_dir}" + text[text.index("\n", start):])


def test_delete_keeps_files_a_user_added_to_the_live_dir(run_certsmith):
    """certbot's delete_files: only the four links and README go; the directory stays when not empty."""
    assert run_certsmith.certonly("del-extra.example.com").returncode == 0
    live = run_certsmith.config_dir / "live" / "del-extra.example.com"
    (live / "ssl-dhparams.pem").write_text("the user's own file")
    result = run_certsmith("delete", "--cert-name", "del-extra.example.com", check_tree=False)
    assert result.returncode == 0, describe(result)
    assert (live / "ssl-dhparams.pem").read_text() == "the user's own file"
    assert sorted(p.name for p in live.iterdir()) == ["ssl-dhparams.pem"]
    assert "left in place" in result.stdout + result.stderr, describe(result)
    assert not (run_certsmith.config_dir / "renewal" / "del-extra.example.com.conf").exists()
    assert not (run_certsmith.config_dir / "archive" / "del-extra.example.com").exists()


def test_delete_refuses_an_archive_dir_outside_the_tree(run_certsmith, sandbox):
    assert run_certsmith.certonly("del-out.example.com").returncode == 0
    outside = sandbox / "elsewhere"
    outside.mkdir()
    (outside / "cert1.pem").write_text("not certsmith's to remove")
    _set_archive_dir(run_certsmith.config_dir, "del-out.example.com", outside)
    before = snapshot(sandbox)
    result = run_certsmith("delete", "--cert-name", "del-out.example.com")
    assert result.returncode == 1, describe(result)
    line = _one_error_line(result)
    assert str(outside) in line and "outside" in line, describe(result)
    after = {k: v for k, v in snapshot(sandbox).items() if "logs" not in k}
    assert after == {k: v for k, v in before.items() if "logs" not in k}


def test_delete_refuses_an_archive_dir_another_lineage_uses(run_certsmith):
    """certbot's overlap check: deleting would take another lineage's archive with it."""
    for name in ("del-own.example.com", "del-shared.example.com"):
        assert run_certsmith.certonly(name).returncode == 0
    config = run_certsmith.config_dir
    _set_archive_dir(config, "del-own.example.com", config / "archive" / "del-shared.example.com")
    before = snapshot(config)
    result = run_certsmith("delete", "--cert-name", "del-own.example.com")
    assert result.returncode == 1, describe(result)
    line = _one_error_line(result)
    assert "overlapping archive dirs. More than one certificate is using" in line, describe(result)
    assert snapshot(config) == before
    assert lineage_problems(config, "del-shared.example.com") == []
