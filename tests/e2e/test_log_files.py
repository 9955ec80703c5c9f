"""certsmith logs where certbot does: LOGS_DIR/letsencrypt.log, rotated at the start of each run keeping
--max-log-backups older files (0: one file that grows, for logrotate), so certbot and certsmith can share
one logs dir. Every run passes --max-log-backups: certbot still reads Debian's /etc/letsencrypt/cli.ini,
which sets it to 0 (certsmith reads the sandbox's system cli.ini, CERTSMITH_SYSTEM_CLI_INI)."""

from __future__ import annotations

from conftest import describe
from inspect_tree import mode


def log_names(logs_dir) -> list[str]:
    return sorted(p.name for p in logs_dir.iterdir())


def test_three_runs_with_two_backups_keep_three_files(run_certsmith):
    run = run_certsmith
    for _ in range(3):
        result = run("renew", "--max-log-backups", "2")
        assert result.returncode == 0, describe(result)
    assert log_names(run.logs_dir) == ["letsencrypt.log", "letsencrypt.log.1", "letsencrypt.log.2"]
    assert mode(run.logs_dir) == 0o700
    for name in log_names(run.logs_dir):
        assert mode(run.logs_dir / name) == 0o600, name
        assert "certsmith" in (run.logs_dir / name).read_text() and "started: renew" in \
            (run.logs_dir / name).read_text(), name
    # A fourth run drops the oldest.
    oldest = (run.logs_dir / "letsencrypt.log.2").read_text()
    middle = (run.logs_dir / "letsencrypt.log.1").read_text()
    assert run("renew", "--max-log-backups", "2").returncode == 0
    assert log_names(run.logs_dir) == ["letsencrypt.log", "letsencrypt.log.1", "letsencrypt.log.2"]
    assert (run.logs_dir / "letsencrypt.log.2").read_text() == middle
    assert oldest not in [(run.logs_dir / n).read_text() for n in log_names(run.logs_dir)]


def test_zero_backups_append_to_one_growing_file(run_certsmith):
    run = run_certsmith
    sizes = []
    for _ in range(3):
        result = run("renew", "--max-log-backups", "0")
        assert result.returncode == 0, describe(result)
        assert log_names(run.logs_dir) == ["letsencrypt.log"]
        sizes.append((run.logs_dir / "letsencrypt.log").stat().st_size)
    assert sizes[0] < sizes[1] < sizes[2]
    assert (run.logs_dir / "letsencrypt.log").read_text().count("started: renew") == 3


def test_max_log_backups_from_cli_ini(run_certsmith, tmp_path):
    run = run_certsmith
    ini = tmp_path / "c.ini"
    ini.write_text("max-log-backups = 1\n")
    for _ in range(3):
        assert run("renew", "-c", str(ini)).returncode == 0
    assert log_names(run.logs_dir) == ["letsencrypt.log", "letsencrypt.log.1"]


def test_a_symlinked_log_is_moved_aside_never_written_through(run_certsmith, tmp_path):
    run = run_certsmith
    run.logs_dir.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_text("not a log\n")
    (run.logs_dir / "letsencrypt.log").symlink_to(target)
    result = run("renew", "--max-log-backups", "3")
    assert result.returncode == 0, describe(result)
    assert target.read_text() == "not a log\n"
    assert (run.logs_dir / "letsencrypt.log.1").is_symlink()
    assert not (run.logs_dir / "letsencrypt.log").is_symlink()
    # Without rotation the link is refused in one line.
    (run.logs_dir / "letsencrypt.log").unlink()
    (run.logs_dir / "letsencrypt.log").symlink_to(target)
    result = run("renew", "--max-log-backups", "0")
    assert result.returncode == 6, describe(result)
    assert result.stderr.startswith("certsmith: error: cannot open log file"), describe(result)
    assert target.read_text() == "not a log\n"


def test_certbot_and_certsmith_alternate_on_one_logs_dir(run_certsmith, certbot):
    run = run_certsmith
    steps = []
    for tool in ("certsmith", "certbot", "certsmith", "certbot"):
        if tool == "certsmith":
            result = run("renew", "--max-log-backups", "3")
        else:
            result = certbot("certificates", "--max-log-backups", "3")
        assert result.returncode == 0, describe(result)
        steps.append(tool)
    assert log_names(run.logs_dir) == ["letsencrypt.log", "letsencrypt.log.1", "letsencrypt.log.2",
                                       "letsencrypt.log.3"]
    # Newest first: certbot's last run, certsmith's, certbot's, certsmith's first.
    texts = [(run.logs_dir / n).read_text() for n in log_names(run.logs_dir)]
    written_by = ["certsmith" if "started: renew" in text else "certbot" if "certbot" in text else "?"
                  for text in texts]
    assert written_by == list(reversed(steps)), texts
    assert mode(run.logs_dir) == 0o700
    assert mode(run.logs_dir / "letsencrypt.log.1") == 0o600  # certsmith's file
