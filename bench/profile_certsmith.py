"""Where does one certsmith `certonly` spend its wall time? A phase breakdown against a local Pebble.

Runs the benchmark's scenario (fresh name, existing account, standalone http-01) N times for
certsmith alone and splits each run's wall time using the timestamps of certsmith's own debug log
(--logs-dir/letsencrypt.log, millisecond resolution), so no tracer slows the runs down:

  startup           process spawned -> "certsmith ... started" (exec, dynamic linking, static init)
  load store        "started" -> first request (renewal confs, account, OpenSSL and curl set-up)
  request X         "X url" -> "-> status" (the round trip; the first one includes the TLS handshake)
  client before X   previous response -> "X url" (sleeps between polls, key and CSR generation, ...)
  write lineage     last response -> "N requests to the CA" (archive files, live/ swap, renewal conf)
  exit              last log line -> process reaped (printing, destructors, exit)

--lineages K issues K certificates before measuring (certonly looks at every existing lineage).
With --strace, one more run goes under `strace -f -tt -T` and the syscalls that block are summed
(fsync, sleeps, waits on sockets), plus the time until the first file the program itself opens.

    /usr/bin/python3 bench/profile_certsmith.py --runs 15
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from pebble_env import HarnessError, PebbleEnv  # noqa: E402

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (\w+) (.*)$")
REQUEST = re.compile(r"^(GET|HEAD|POST) https?://[^/]+/([^/\s]+)(/?)")
RESPONSE = re.compile(r"^-> \d+")
STRACE_LINE = re.compile(r"^(\d+) +(\d\d):(\d\d):(\d\d\.\d+) (.*?)(?: <([0-9.]+)>)?$")


def log_entries(text: str) -> list[tuple[float, str]]:
    """(epoch seconds, message) for each timestamped line of letsencrypt.log."""
    entries = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            stamp = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            entries.append((stamp, m.group(3)))
    return entries


def phases(entries: list[tuple[float, str]], spawned: float, reaped: float) -> list[tuple[str, float]]:
    """Splits one run into labelled segments (seconds) that add up to its wall time."""
    started = next(t for t, msg in entries if msg.startswith("certsmith ") and msg.endswith(" started"))
    out = [("startup (exec, dynamic linking, init)", started - spawned)]
    seen: dict[str, int] = defaultdict(int)
    previous, previous_label = started, None
    request_start, request_label = None, None
    for t, msg in entries:
        m = REQUEST.match(msg)
        if m:
            name = f"{m.group(1)} /{m.group(2)}{m.group(3)}"
            seen[name] += 1
            request_label = name if seen[name] == 1 else f"{name} ({seen[name]})"
            gap = "load store, account, TLS set-up" if previous_label is None else f"client before {request_label}"
            out.append((gap, t - previous))
            request_start = t
        elif RESPONSE.match(msg) and request_start is not None:
            out.append((f"request {request_label}", t - request_start))
            previous, previous_label, request_start = t, request_label, None
        elif re.match(r"^\d+ requests to the CA$", msg):
            out.append(("write lineage (after last response)", t - previous))
            previous = t
    out.append(("output + exit", reaped - entries[-1][0]))
    out.append(("(log lines after the count)", entries[-1][0] - previous))
    return out


def certonly_argv(binary: str, pebble: PebbleEnv, root: Path, name: str, first: bool) -> list[str]:
    account = ["--register-unsafely-without-email", "--agree-tos"] if first else []
    return ([binary, "certonly", "--standalone", "-d", name, "--http-01-port", str(pebble.http_port),
             "--server", pebble.directory_url, "--config-dir", str(root / "config"),
             "--work-dir", str(root / "work"), "--logs-dir", str(root / "logs"), "--max-log-backups", "0", "-n"] + account)


def run_once(argv: list[str], env: dict[str, str], log: Path) -> tuple[float, float, str]:
    """Runs argv; returns (spawned, reaped) epoch times and what it appended to the log."""
    offset = log.stat().st_size if log.exists() else 0
    spawned = time.time()
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    reaped = time.time()
    if result.returncode != 0:
        raise RuntimeError(f"exit status {result.returncode}: {' '.join(argv)}\n{result.stdout}{result.stderr}")
    with open(log, "rb") as f:
        f.seek(offset)
        return spawned, reaped, f.read().decode(errors="replace")


def strace_summary(trace: Path) -> list[tuple[str, float, int]]:
    """Sums blocking syscalls of a `strace -f -tt -T` trace: (what, seconds, count)."""
    sums: dict[str, list] = defaultdict(lambda: [0.0, 0])
    first_time = None
    startup = None
    main_pid = None
    for line in trace.read_text(errors="replace").splitlines():
        m = STRACE_LINE.match(line)
        if not m:
            continue
        pid, rest = m.group(1), m.group(5)
        stamp = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
        if first_time is None:
            first_time, main_pid = stamp, pid
        if startup is None and "letsencrypt.log" in rest:
            startup = stamp - first_time
        if pid != main_pid or m.group(6) is None:
            continue  # the responder thread mostly waits for Pebble: not on the critical path
        duration = float(m.group(6))
        call = rest.split("(", 1)[0].lstrip("<. ").replace("resumed>", "").strip()
        if rest.startswith("<..."):
            call = rest.split()[1]
        for key in ("fsync", "fdatasync", "clock_nanosleep", "nanosleep", "poll", "epoll_wait", "connect",
                    "openat", "mmap", "rename", "renameat2", "read", "write"):
            if call == key:
                sums[key][0] += duration
                sums[key][1] += 1
    rows = [(f"syscall {k}", v[0], v[1]) for k, v in sums.items()]
    if startup is not None:
        rows.append(("execve -> opening letsencrypt.log (startup under strace)", startup, 1))
    return sorted(rows, key=lambda r: -r[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="measured runs (default 15)")
    parser.add_argument("--certsmith", default=str(REPO / "build" / "certsmith"), help="binary (default build/certsmith)")
    parser.add_argument("--lineages", type=int, default=0,
                        help="issue this many extra certificates first, to see how the lineage count weighs")
    parser.add_argument("--strace", action="store_true", help="also trace one run with strace -f -tt -T")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="certsmith-profile-"))
    binary = workdir / "bin" / "certsmith"
    binary.parent.mkdir()
    shutil.copy2(args.certsmith, binary)
    pebble = PebbleEnv(workdir / "pebble", nonce_reject=0, default_ipv6="",
                       extra_env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"})
    try:
        pebble.start()
    except HarnessError as e:
        print(f"profile: {e}", file=sys.stderr)
        return 1
    try:
        env = dict(os.environ, REQUESTS_CA_BUNDLE=str(pebble.ca_bundle))
        root = workdir / "certsmith"
        log = root / "logs" / "letsencrypt.log"
        run_once(certonly_argv(str(binary), pebble, root, "setup.example.com", True), env, log)
        for i in range(args.lineages):
            run_once(certonly_argv(str(binary), pebble, root, f"filler-{i}.example.com", False), env, log)

        per_label: dict[str, list[float]] = defaultdict(list)
        order: list[str] = []
        walls = []
        for i in range(1, args.runs + 1):
            spawned, reaped, text = run_once(certonly_argv(str(binary), pebble, root, f"p-{i}.example.com", False),
                                             env, log)
            walls.append(reaped - spawned)
            run_sums: dict[str, float] = defaultdict(float)
            for label, seconds in phases(log_entries(text), spawned, reaped):
                run_sums[label] += seconds
                if label not in order:
                    order.append(label)
            for label in order:
                per_label[label].append(run_sums.get(label, 0.0))

        wall = statistics.median(walls)
        print(f"certsmith certonly, {args.runs} runs, {args.lineages + 1}+ lineages in the config dir: wall median {wall * 1000:.1f} ms "
              f"(min {min(walls) * 1000:.1f}, max {max(walls) * 1000:.1f}); phases from letsencrypt.log (ms resolution)")
        print(f"{'phase':<52} {'median ms':>9} {'max ms':>7} {'share':>6}")
        for label in order:
            values = per_label[label]
            median = statistics.median(values)
            print(f"{label:<52} {median * 1000:9.1f} {max(values) * 1000:7.1f} {median / wall:6.0%}")

        if args.strace:
            trace = workdir / "certonly.strace"
            run_once(["strace", "-f", "-tt", "-T", "-o", str(trace)]
                     + certonly_argv(str(binary), pebble, root, "strace.example.com", False), env, log)
            print("\none run under strace -f -tt -T (main thread; strace itself slows syscalls down)")
            print(f"{'what':<56} {'total ms':>9} {'count':>6}")
            for what, seconds, count in strace_summary(trace):
                print(f"{what:<56} {seconds * 1000:9.1f} {count:6d}")
        return 0
    finally:
        pebble.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
