"""certbot and certsmith never work on one tree at once: while the real certbot runs (held inside its
pre-hook), certsmith refuses to start, names the lock, exits with the storage code and writes nothing; and
while certsmith runs, certbot refuses with its own message."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from conftest import describe
from inspect_tree import lineage_problems, live_version, snapshot

LOCKED = "another instance of certsmith or certbot is already running"
CERTBOT_LOCKED = "Another instance of Certbot is already running"
# certbot 2.1 does not always retry a rejected nonce (TESTING.md).
PEBBLE_OPTIONS = {"nonce_reject": 0}

EXIT_STORAGE = 6  # lib/util/error.hpp ExitCode::storage
NAME = "lock-interplay.example.com"


def _holding_hook(tmp_path):
    """A pre-hook that says it started, then waits (at most 30 s) until the test lets it go."""
    started, release = tmp_path / "started", tmp_path / "release"
    hook = (f"touch {started}; i=0; while [ ! -e {release} ] && [ $i -lt 600 ]; do sleep 0.05; "
            f"i=$((i+1)); done")
    return hook, started, release


def _wait_for(path, proc: subprocess.Popen, who: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"{who} ended before its pre-hook ran ({proc.returncode}):\n{out}\n{err}",
                        pytrace=False)
        assert time.monotonic() < deadline, f"{who}'s pre-hook never ran"
        time.sleep(0.05)


def _start_certbot(run, *args: str) -> subprocess.Popen:
    binary = shutil.which("certbot")
    if binary is None:
        pytest.fail("certbot is not installed: run `bash packaging/install-deps.sh --test` as root",
                    pytrace=False)
    argv = [binary, *args, "--config-dir", str(run.config_dir), "--work-dir", str(run.work_dir),
            "--logs-dir", str(run.logs_dir), "-n"]
    return subprocess.Popen(argv, cwd=run.sandbox, env=run.environment(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_refused(result: subprocess.CompletedProcess, lock_file) -> None:
    assert result.returncode == EXIT_STORAGE, describe(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    refusal = [line for line in lines if LOCKED in line]
    assert refusal, describe(result)
    assert refusal[0].startswith("certsmith: error: "), describe(result)
    assert str(lock_file) in refusal[0], describe(result)  # the lock is named
    assert "renewed" not in result.stdout, describe(result)


def test_certsmith_refuses_while_certbot_renews(run_certsmith, certbot, pebble, tmp_path):
    run = run_certsmith
    issued = certbot("certonly", "--standalone", "--server", pebble.directory_url, "--http-01-port",
                     str(pebble.http_port), "--agree-tos", "--register-unsafely-without-email", "-d", NAME)
    assert issued.returncode == 0, describe(issued)

    hook, started, release = _holding_hook(tmp_path)
    holder = _start_certbot(run, "renew", "--force-renewal", "--no-random-sleep-on-renew",
                            "--pre-hook", hook)
    try:
        _wait_for(started, holder, "certbot renew")
        before = snapshot(run.config_dir)
        lock_file = run.logs_dir / ".certbot.lock"  # certbot's first lock, and certsmith's first try

        t0 = time.monotonic()
        renew = run("renew", "--force-renewal")
        assert time.monotonic() - t0 < 10, "certsmith waited for certbot instead of refusing at once"
        _assert_refused(renew, lock_file)

        certonly = run.certonly(NAME, extra=("--force-renewal",))
        _assert_refused(certonly, lock_file)

        assert snapshot(run.config_dir) == before, "a refused certsmith run changed the tree"
    finally:
        release.touch()
        out, err = holder.communicate(timeout=120)
    assert holder.returncode == 0, f"{out}\n{err}"
    assert live_version(run.config_dir / "live" / NAME) == 2
    assert lineage_problems(run.config_dir, NAME) == []

    # certbot is done: certsmith runs and continues the numbering.
    after = run("renew", "--force-renewal")
    assert after.returncode == 0, describe(after)
    assert live_version(run.config_dir / "live" / NAME) == 3


def test_certbot_refuses_while_certsmith_renews(run_certsmith, certbot, pebble, tmp_path):
    run = run_certsmith
    issued = run.certonly(NAME)
    assert issued.returncode == 0, describe(issued)

    hook, started, release = _holding_hook(tmp_path)
    holder = run.start("renew", "--force-renewal", "--pre-hook", hook)
    try:
        _wait_for(started, holder, "certsmith renew")
        before = snapshot(run.config_dir)
        for args in (("renew", "--force-renewal", "--no-random-sleep-on-renew"),
                     ("certonly", "--standalone", "--server", pebble.directory_url, "--agree-tos",
                      "--register-unsafely-without-email", "-d", "other.example.com"),
                     ("certificates",)):
            refused = certbot(*args)
            assert refused.returncode != 0, describe(refused)
            # certbot locks its three dirs before any command (main.make_or_verify_needed_dirs);
            # lock.py says "Another instance of Certbot is already running." and it exits 1.
            assert CERTBOT_LOCKED in refused.stdout + refused.stderr, describe(refused)
        assert snapshot(run.config_dir) == before, "a refused certbot run changed the tree"
    finally:
        release.touch()
        out, err = holder.communicate(timeout=120)
    assert holder.returncode == 0, f"{out}\n{err}"
    assert f"{NAME}: renewed" in out
    assert live_version(run.config_dir / "live" / NAME) == 2
    assert lineage_problems(run.config_dir, NAME) == []

    # certsmith is done: certbot runs on the tree it left.
    renewed = certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    assert renewed.returncode == 0, describe(renewed)
    assert live_version(run.config_dir / "live" / NAME) == 3
