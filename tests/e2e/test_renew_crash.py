"""A user's machine loses power (or the OOM killer strikes) in the middle of `certsmith renew`: whenever that
happens, every lineage stays complete and consistent, version numbers never repeat, and the next run works.

`renew --force-renewal --jobs 4` over four lineages is SIGKILLed again and again after a random delay spread
over its whole run time; after each kill the tree is checked as a web server and certbot would read it.
CERTSMITH_CRASH_SEED replays a sequence of delays. Pebble validates at once (the harness sets PEBBLE_VA_NOSLEEP),
so a run takes well under a second.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import stat
import statistics
import subprocess
import time
from pathlib import Path

from conftest import describe
from inspect_tree import lineage_problems, live_version, parse_renewal_conf

NAMES = ("crash-a.example.com", "crash-b.example.com", "crash-c.example.com", "crash-d.example.com")
MIN_KILLS = 50
MAX_KILLS = 150
TIME_BUDGET = 35.0  # seconds for the kill loop; it stops early only once MIN_KILLS are done
LOCKED = "another instance of certsmith or certbot is already running"
ARCHIVE_FILE = re.compile(r"(cert|chain|fullchain|privkey)(\d+)\.pem")
LIVE_ENTRIES = {"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem", "README"}


class TreeWatch:
    """What must hold between runs, whatever moment a run was killed at; remembers what it saw before."""

    def __init__(self, config_dir: Path):
        self.config_dir = config_dir
        self.archive_hashes: dict[Path, str] = {}  # every archive file ever seen -> its content's hash
        self.live_versions = dict.fromkeys(NAMES, 0)
        self.hidden_leftovers: set[Path] = set()

    def check(self, when: str) -> list[str]:
        problems = []
        for name in NAMES:
            problems += [f"{when}: {p}" for p in lineage_problems(self.config_dir, name)]
            if problems:
                continue
            version = live_version(self.config_dir / "live" / name)
            if version < self.live_versions[name]:
                problems.append(f"{when}: live/{name} went back from version {self.live_versions[name]} to {version}")
            self.live_versions[name] = version
            problems += [f"{when}: {p}" for p in self._check_archive(name) + self._check_conf(name)]
        problems += [f"{when}: {p}" for p in self._check_entries() + self._check_key_modes()]
        return problems

    def _check_archive(self, name: str) -> list[str]:
        problems = []
        for path in sorted((self.config_dir / "archive" / name).iterdir()):
            if path.name.startswith("."):
                continue
            if not ARCHIVE_FILE.fullmatch(path.name):
                problems.append(f"unexpected file {path} (certbot reads every archive entry)")
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if self.archive_hashes.setdefault(path, digest) != digest:
                problems.append(f"{path} was written again with other content: a version number repeated")
        return problems

    def _check_conf(self, name: str) -> list[str]:
        conf_path = self.config_dir / "renewal" / f"{name}.conf"
        try:
            conf = parse_renewal_conf(conf_path)
        except (AssertionError, OSError) as e:
            return [f"{conf_path} does not parse: {e}"]
        live = self.config_dir / "live" / name
        expected = {"cert": live / "cert.pem", "privkey": live / "privkey.pem", "chain": live / "chain.pem",
                    "fullchain": live / "fullchain.pem"}
        problems = [f"{conf_path}: {key} = {conf.get(key)!r}" for key, path in expected.items()
                    if conf.get(key) != str(path)]
        params = conf.get("renewalparams", {})
        if params.get("authenticator") != "standalone" or not params.get("account") or not params.get("server"):
            problems.append(f"{conf_path}: renewalparams incomplete: {params}")
        return problems

    def _check_entries(self) -> list[str]:
        """Only hidden names may be left over (certbot lists renewal/*.conf and archive/NAME/KINDN.pem only)."""
        problems = []
        for sub, allowed in (("renewal", {f"{n}.conf" for n in NAMES}), ("live", set(NAMES) | {"README"}),
                             ("archive", set(NAMES))):
            for path in (self.config_dir / sub).iterdir():
                if path.name.startswith("."):
                    self.hidden_leftovers.add(path)
                elif path.name not in allowed:
                    problems.append(f"unexpected entry {path}")
        for name in NAMES:
            for path in (self.config_dir / "live" / name).iterdir():
                if path.name.startswith("."):
                    self.hidden_leftovers.add(path)
                elif path.name not in LIVE_ENTRIES:
                    problems.append(f"unexpected entry {path}")
            self.hidden_leftovers.update(p for p in (self.config_dir / "archive" / name).iterdir()
                                         if p.name.startswith("."))
        return problems

    def _check_key_modes(self) -> list[str]:
        """No private key, finished or half-written, is readable by group or others."""
        problems = []
        for dirpath, _, filenames in os.walk(self.config_dir):
            for filename in filenames:
                if "privkey" in filename or "private_key" in filename:
                    path = Path(dirpath) / filename
                    st = path.lstat()
                    if stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
                        problems.append(f"private key {path} has mode {stat.S_IMODE(st.st_mode):04o}")
        return problems


def _listing_problems(run) -> list[str]:
    listing = run("certificates", check_tree=False)
    if listing.returncode != 0 or "invalid" in listing.stdout.lower() + listing.stderr.lower():
        return [f"`certsmith certificates` is unhappy:\n{describe(listing)}"]
    missing = [n for n in NAMES if f"Certificate Name: {n}" not in listing.stdout]
    return [f"`certsmith certificates` does not list {missing}:\n{describe(listing)}"] if missing else []


def test_kill_9_at_any_moment_of_renew_leaves_every_lineage_consistent(run_certsmith):
    run = run_certsmith
    for name in NAMES:
        result = run.certonly(name)
        assert result.returncode == 0, describe(result)
    watch = TreeWatch(run.config_dir)
    assert watch.check("after issuance") == []
    renew = ("renew", "--force-renewal", "--jobs", "4")

    # How long a whole run takes here, from start to exit as the kill loop sees it (sanitizer builds are
    # slower): the kills spread over that.
    durations = []
    for _ in range(3):
        t0 = time.monotonic()
        proc = run.start(*renew)
        out, err = proc.communicate(timeout=60)
        durations.append(time.monotonic() - t0)
        assert proc.returncode == 0, f"{out}\n{err}"
    typical = statistics.median(durations)
    assert watch.check("after a complete run") == []

    seed = int(os.environ.get("CERTSMITH_CRASH_SEED", random.randrange(1 << 32)))
    rng = random.Random(seed)
    kills = completed = 0
    versions_before = dict(watch.live_versions)
    loop_start = time.monotonic()
    while kills < MAX_KILLS and not (kills >= MIN_KILLS and time.monotonic() - loop_start > TIME_BUDGET):
        delay = rng.uniform(0, 1.2 * typical)
        proc = run.start(*renew)
        started = time.monotonic()
        remaining = started + delay - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, err = proc.communicate(timeout=30)
        when = f"seed {seed}, run {kills + completed + 1}, delay {delay * 1000:.0f} ms of ~{typical * 1000:.0f} ms"
        if proc.returncode != -signal.SIGKILL:
            completed += 1
            # A run that was not killed must have worked: a stale lock or leftovers of a kill must not stop it.
            assert proc.returncode == 0, f"{when}: a run after a kill failed ({proc.returncode}):\n{out}\n{err}"
            assert LOCKED not in err
        problems = watch.check(when)
        assert problems == [], "\n".join(problems)
        assert time.monotonic() - loop_start < 3 * TIME_BUDGET, f"the kill loop is far too slow ({kills} kills)"
    assert kills >= MIN_KILLS, f"only {kills} kills (seed {seed})"
    assert _listing_problems(run) == []

    # A normal run afterwards completes and moves every lineage on.
    final = run(*renew)
    assert final.returncode == 0, describe(final)
    assert final.stdout.splitlines()[-1] == "4 renewed, 0 not due, 0 failed.", describe(final)
    problems = watch.check("after the final run")
    assert problems == [], "\n".join(problems)
    for name in NAMES:
        assert watch.live_versions[name] > versions_before[name]
    assert _listing_problems(run) == []

    # A stale .NAME.new (half-built live set) is cleared by the next run; hidden temp files may stay, but none
    # may be in live/ where a web server or certbot looks.
    left_in_live = sorted(str(p) for p in watch.hidden_leftovers if p.parent == run.config_dir / "live" and p.exists())
    assert left_in_live == [], f"seed {seed}: left in live/: {left_in_live}"

    certbot = shutil.which("certbot")
    if certbot is not None:  # certbot itself reads the tree the kills left
        listed = subprocess.run([certbot, "certificates", "--config-dir", str(run.config_dir), "--work-dir",
                                 str(run.work_dir), "--logs-dir", str(run.logs_dir)],
                                capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0, describe(listed)
        assert "invalid" not in listed.stdout.lower() + listed.stderr.lower(), describe(listed)
        assert all(f"Certificate Name: {n}" in listed.stdout for n in NAMES), describe(listed)
    print(f"crash test: seed {seed}, {kills} kills, {completed} runs finished, typical run {typical * 1000:.0f} ms,"
          f" loop {time.monotonic() - loop_start:.1f} s, final versions {watch.live_versions},"
          f" hidden leftovers {len([p for p in watch.hidden_leftovers if p.exists()])}")

