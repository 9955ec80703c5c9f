"""A user's timer fires while a renewal is still running (or while certbot works on the same tree): the second
run is refused at once instead of writing the tree at the same time."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import time

import pytest

from conftest import describe
from inspect_tree import lineage_problems, live_version, snapshot

LOCKED = "another instance of certsmith or certbot is already running"
NAME = "locked.example.com"


def _wait_for(path, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the first renew ended early ({proc.returncode}):\n{out}\n{err}", pytrace=False)
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_second_renew_is_refused_while_the_first_runs(run_certsmith, tmp_path):
    run = run_certsmith
    result = run.certonly(NAME)
    assert result.returncode == 0, describe(result)

    # The first run's pre hook holds it inside its locked section until the test lets it go.
    started, release = tmp_path / "started", tmp_path / "release"
    pre_hook = (f"touch {started}; i=0; while [ ! -e {release} ] && [ $i -lt 600 ]; do sleep 0.05; "
                f"i=$((i+1)); done")
    first = run.start("renew", "--force-renewal", "--pre-hook", pre_hook)
    try:
        _wait_for(started, first)
        before = snapshot(run.config_dir)
        t0 = time.monotonic()
        second = run("renew", "--force-renewal")
        assert time.monotonic() - t0 < 5, "the second run waited instead of giving up at once"
        assert second.returncode != 0, describe(second)
        assert LOCKED in second.stderr, describe(second)
        assert "renewed" not in second.stdout, describe(second)

        certonly = run.certonly(NAME, extra=("--force-renewal",))
        assert certonly.returncode != 0 and LOCKED in certonly.stderr, describe(certonly)

        # certbot takes the same lock files, so it is kept out too.
        certbot = shutil.which("certbot")
        if certbot is not None:
            refused = subprocess.run(
                [certbot, "renew", "--config-dir", str(run.config_dir), "--work-dir", str(run.work_dir),
                 "--logs-dir", str(run.logs_dir), "--no-random-sleep-on-renew", "-n"],
                capture_output=True, text=True, timeout=60, env=run.environment())
            assert refused.returncode != 0, describe(refused)
            assert "Another instance of Certbot is already running" in refused.stdout + refused.stderr, \
                describe(refused)
        assert snapshot(run.config_dir) == before, "a refused run changed the tree"
    finally:
        release.touch()
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, f"{out}\n{err}"
    assert f"{NAME}: renewed" in out
    assert live_version(run.config_dir / "live" / NAME) == 2
    assert lineage_problems(run.config_dir, NAME) == []

    after = run("renew", "--force-renewal")  # the lock is free again
    assert after.returncode == 0, describe(after)
    assert live_version(run.config_dir / "live" / NAME) == 3


def test_renew_is_refused_while_another_process_holds_certbots_lock(run_certsmith):
    run = run_certsmith
    result = run.certonly(NAME)
    assert result.returncode == 0, describe(result)
    before = snapshot(run.config_dir)

    # What certbot does while it runs: lockf() on config_dir/.certbot.lock.
    with open(run.config_dir / ".certbot.lock", "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused = run("renew", "--force-renewal")
        assert refused.returncode != 0, describe(refused)
        assert LOCKED in refused.stderr, describe(refused)
        assert str(run.config_dir / ".certbot.lock") in refused.stderr, describe(refused)
        fcntl.lockf(lock, fcntl.LOCK_UN)
    (run.config_dir / ".certbot.lock").unlink(missing_ok=True)
    assert snapshot(run.config_dir) == before

    renewed = run("renew", "--force-renewal")
    assert renewed.returncode == 0, describe(renewed)
    assert live_version(run.config_dir / "live" / NAME) == 2
