"""Benchmark: one `certonly --standalone` for a fresh name with an existing account, certsmith vs certbot.

Both clients run against the same local Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0), each
with its own config dir and an account registered beforehand. The timed runs alternate
(certsmith, certbot, certsmith, ...), each for a new name, and every run is measured for

  - wall time      time.perf_counter() around the child process,
  - peak RSS       ru_maxrss of the client as GNU time reports it (%M, KiB; see run_child),
  - CPU time       ru_utime + ru_stime of the client (os.wait4() on GNU time, which includes it),
  - CA requests    lines "<METHOD> <path> -> calling handler()" that Pebble logged during the run,
                   cross-checked against the client's own count (certsmith's log line
                   "N requests to the CA", certbot's "Sending <METHOD> request" debug lines).

A run that fails (exit status, missing certificate, request counts that disagree, a new account
registered) aborts the benchmark with the reason. This is a benchmark, not a test: it prints numbers
and the issue's targets beside them, and exits 0 whether or not the targets are met.

Run through bench/run.sh, or directly with Debian's interpreter:
    /usr/bin/python3 bench/certonly_bench.py --runs 15 --json results.json
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from pebble_env import HarnessError, PebbleEnv  # noqa: E402

# Targets of issue 2 (the first performance issue).
TARGET_SPEEDUP = 10.0  # certbot's median wall time / certsmith's, at least
TARGET_RSS_BYTES = 10_000_000  # certsmith's median peak RSS below 10 MB (decimal megabytes)

PEBBLE_REQUEST = re.compile(rb"^Pebble \S+ \S+ (GET|HEAD|POST|PUT|DELETE) (\S+) -> calling handler\(\)$",
                            re.MULTILINE)
CERTSMITH_COUNT = re.compile(r"(\d+) requests to the CA")
CERTBOT_REQUEST = re.compile(r":acme\.client:Sending (GET|HEAD|POST) request to ")
GNU_TIME = "/usr/bin/time"  # Debian package `time`
# Variables that could make Debian's certbot pick up another Python's modules.
PYTHON_ENV_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")


class BenchError(RuntimeError):
    """A run failed or a measurement cannot be trusted: the benchmark stops."""


@dataclass
class Run:
    client: str
    index: int
    name: str
    wall_s: float
    peak_rss_kib: int
    cpu_s: float
    requests: int  # counted in Pebble's log
    client_requests: int  # what the client itself says it sent


@dataclass
class ChildResult:
    returncode: int
    wall_s: float
    peak_rss_kib: int
    cpu_s: float
    output: str


def run_child(argv: list[str], env: dict[str, str], output_path: Path, timeout: float) -> ChildResult:
    """Runs argv under GNU time to completion; measures wall time, CPU time and peak RSS.

    Peak RSS comes from GNU time (%M), not from our own wait4(): Linux carries the high-water mark
    of the image a process replaced at exec into ru_maxrss, and our child starts as a copy of this
    Python process (~25 MB), which would hide any client smaller than that. GNU time's child is
    forked from a ~2 MB image. CPU time comes from wait4() on time, which includes its child.
    """
    rss_path = output_path.with_suffix(".maxrss")
    with open(output_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", str(rss_path)] + argv, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, env=env)
        # A blocking wait4 wakes exactly when the child ends; a timer thread enforces the time limit.
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        finally:
            watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    if proc.returncode == -9 and wall >= timeout:
        raise BenchError(f"{argv[0]} did not finish within {timeout:.0f}s: {' '.join(argv)}")
    try:
        peak_rss_kib = int(rss_path.read_text().split()[-1])
    except (OSError, ValueError, IndexError) as e:
        raise BenchError(f"GNU time wrote no peak RSS for {' '.join(argv)}: {e}") from e
    return ChildResult(proc.returncode, wall, peak_rss_kib, usage.ru_utime + usage.ru_stime,
                       output_path.read_text(errors="replace"))


def wrapper_overhead(workdir: Path, runs: int = 15) -> dict:
    """Median wall time and peak RSS of `time /bin/true`: what the measurement itself adds to every run."""
    results = [run_child(["/bin/true"], dict(os.environ), workdir / "overhead.out", 10) for _ in range(runs)]
    return {"wall_s_median": statistics.median(r.wall_s for r in results),
            "peak_rss_kib_median": statistics.median(r.peak_rss_kib for r in results)}


class GrowingFile:
    """Hands out what was appended to a file since the last call (starts over if the file shrank)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def new_bytes(self) -> bytes:
        if not self.path.exists():
            return b""
        size = self.path.stat().st_size
        if size < self.offset:
            self.offset = 0
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        return data


class Client:
    """One ACME client with its own config/work/logs dirs below `root`."""

    def __init__(self, label: str, binary: str, root: Path, pebble: PebbleEnv, env: dict[str, str],
                 timeout: float):
        self.label = label
        self.binary = binary
        self.root = root
        self.pebble = pebble
        self.env = env
        self.timeout = timeout
        self.config_dir, self.work_dir, self.logs_dir = root / "config", root / "work", root / "logs"
        self.out_dir = root / "output"
        for d in (self.config_dir, self.work_dir, self.logs_dir, self.out_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.pebble_log = GrowingFile(pebble.pebble_log)

    def dir_flags(self) -> list[str]:
        return ["--config-dir", str(self.config_dir), "--work-dir", str(self.work_dir),
                "--logs-dir", str(self.logs_dir), "--server", self.pebble.directory_url,
                # one growing log per client (no rotation at each run), read by GrowingFile
                "--max-log-backups", "0"]

    def certonly_argv(self, name: str, setup: bool) -> list[str]:
        raise NotImplementedError

    def setup_argv(self) -> list[str]:
        raise NotImplementedError

    def client_request_count(self, child: ChildResult) -> int:
        """Requests the client reports for the run that just ended."""
        raise NotImplementedError

    def execute(self, argv: list[str], tag: str) -> tuple[ChildResult, list[tuple[str, str]]]:
        """Runs argv; returns its result and the (method, path) requests Pebble logged meanwhile."""
        self.pebble_log.new_bytes()
        child = run_child(argv, self.env, self.out_dir / f"{tag}.out", self.timeout)
        requests = [(m.decode(), p.decode()) for m, p in PEBBLE_REQUEST.findall(self.pebble_log.new_bytes())]
        if child.returncode != 0:
            raise BenchError(f"{self.label} {tag} exited with status {child.returncode}\n"
                             f"  command: {' '.join(argv)}\n  output:\n{_indent(child.output)}")
        return child, requests

    def setup(self) -> None:
        """Registers the client's account, which every timed run then reuses."""
        self.execute(self.setup_argv(), "setup")

    def certonly(self, index: int, name: str) -> Run:
        argv = self.certonly_argv(name, setup=False)
        child, requests = self.execute(argv, f"run-{index:03d}")
        cert = self.config_dir / "live" / name / "fullchain.pem"
        if not cert.is_file() or b"BEGIN CERTIFICATE" not in cert.read_bytes():
            raise BenchError(f"{self.label} run {index} exited 0 but {cert} is missing or empty\n"
                             f"  output:\n{_indent(child.output)}")
        if any(path.startswith("/sign-me-up") for _, path in requests):
            raise BenchError(f"{self.label} run {index} registered a new account; the scenario needs the "
                             f"existing one\n  output:\n{_indent(child.output)}")
        own = self.client_request_count(child)
        if own != len(requests):
            raise BenchError(f"{self.label} run {index}: Pebble logged {len(requests)} requests but the client "
                             f"reports {own}: {requests}")
        return Run(self.label, index, name, child.wall_s, child.peak_rss_kib, child.cpu_s, len(requests), own)


class Certsmith(Client):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_log = GrowingFile(self.logs_dir / "letsencrypt.log")
        self.verified_verbose = (0, 0)  # (printed by -v, logged by Pebble), set by setup()

    def certonly_argv(self, name: str, setup: bool) -> list[str]:
        account = ["--register-unsafely-without-email", "--agree-tos"] if setup else []
        return ([self.binary, "certonly", "--standalone", "-d", name, "--http-01-port", str(self.pebble.http_port)]
                + account + self.dir_flags() + ["-n"])

    def setup_argv(self) -> list[str]:
        return self.certonly_argv("cs-setup.example.com", setup=True)

    def client_request_count(self, child: ChildResult) -> int:
        # certsmith always writes a debug log to --logs-dir, ending with the line `-v` prints.
        counts = CERTSMITH_COUNT.findall(self.own_log.new_bytes().decode(errors="replace"))
        if not counts:
            raise BenchError(f"certsmith wrote no 'N requests to the CA' line to {self.own_log.path}")
        return int(counts[-1])

    def setup(self) -> None:
        super().setup()
        self.own_log.new_bytes()
        self.verify_verbose_count()

    def verify_verbose_count(self) -> None:
        """An untimed `-v` run: the count certsmith prints must equal Pebble's, or counting is broken."""
        argv = self.certonly_argv("cs-verify.example.com", setup=False) + ["-v"]
        child, requests = self.execute(argv, "verify-v")
        self.own_log.new_bytes()
        printed = CERTSMITH_COUNT.findall(child.output)
        if not printed:
            raise BenchError(f"`certsmith -v` printed no 'N requests to the CA' line:\n{_indent(child.output)}")
        if int(printed[-1]) != len(requests):
            raise BenchError(f"`certsmith -v` says {printed[-1]} requests, Pebble logged {len(requests)}: "
                             f"{requests}")
        self.verified_verbose = (int(printed[-1]), len(requests))


class Certbot(Client):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_log = GrowingFile(self.logs_dir / "letsencrypt.log")

    def setup(self) -> None:
        super().setup()
        self.own_log.new_bytes()

    def certonly_argv(self, name: str, setup: bool) -> list[str]:
        return ([self.binary, "certonly", "--standalone", "--http-01-port", str(self.pebble.http_port),
                 "--non-interactive", "--no-random-sleep-on-renew", "-d", name] + self.dir_flags())

    def setup_argv(self) -> list[str]:
        return [self.binary, "register", "--agree-tos", "--register-unsafely-without-email",
                "--non-interactive"] + self.dir_flags()

    def client_request_count(self, child: ChildResult) -> int:
        # certbot appends to letsencrypt.log (and rolls it over when it grows big).
        return len(CERTBOT_REQUEST.findall(self.own_log.new_bytes().decode(errors="replace")))


def _indent(text: str, lines: int = 40) -> str:
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _version(argv: list[str], env: dict[str, str]) -> str:
    try:
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def _dpkg_version(package: str) -> str:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _git_describe() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summarize(runs: list[Run]) -> dict:
    walls = [r.wall_s for r in runs]
    return {
        "runs": len(runs),
        "wall_s_median": statistics.median(walls),
        "wall_s_min": min(walls),
        "wall_s_max": max(walls),
        "peak_rss_kib_median": statistics.median(r.peak_rss_kib for r in runs),
        "peak_rss_kib_max": max(r.peak_rss_kib for r in runs),
        "cpu_s_median": statistics.median(r.cpu_s for r in runs),
        "requests_median": statistics.median(r.requests for r in runs),
        "requests_min": min(r.requests for r in runs),
        "requests_max": max(r.requests for r in runs),
    }


def _mb(kib: float) -> str:
    return f"{kib * 1024 / 1e6:.1f} MB"


def _num(value: float) -> str:
    return f"{value:g}"


def report(summary: dict, ratios: dict, targets: dict, header: str) -> str:
    cs, cb = summary["certsmith"], summary["certbot"]
    lines = [header, ""]
    lines.append(f"{'client':<10} {'wall median':>12} {'wall min..max':>17} {'peak RSS median':>16} "
                 f"{'CPU median':>11}  requests median (min..max)")
    for label, s in (("certsmith", cs), ("certbot", cb)):
        lines.append(f"{label:<10} {s['wall_s_median']:>10.3f} s {s['wall_s_min']:>7.3f}..{s['wall_s_max']:.3f} s "
                     f"{_mb(s['peak_rss_kib_median']):>16} {s['cpu_s_median']:>9.3f} s "
                     f" {_num(s['requests_median'])} ({s['requests_min']}..{s['requests_max']})")
    lines.append("")
    lines.append(f"{'certbot / certsmith (medians)':<31} {'measured':>9}   {'target (issue 2)':<38} status")

    def row(what: str, measured: str, target: str, met: bool) -> None:
        lines.append(f"{what:<31} {measured:>9}   {target:<38} {'met' if met else 'NOT MET'}")

    row("speedup (wall time)", f"{ratios['wall_time']:.1f}x", f">= {TARGET_SPEEDUP:g}x faster", targets["speedup"]["met"])
    row("peak RSS", f"{ratios['peak_rss']:.1f}x",
        f"certsmith < 10 MB (is {_mb(cs['peak_rss_kib_median'])})", targets["peak_rss"]["met"])
    row("requests", f"{ratios['requests']:.2f}x",
        f"certsmith <= certbot ({_num(cs['requests_median'])} vs {_num(cb['requests_median'])})",
        targets["requests"]["met"])
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per client (default 15)")
    parser.add_argument("--certsmith", default=str(REPO / "build" / "certsmith"),
                        help="certsmith binary (default build/certsmith; copied first, so a rebuild cannot "
                             "change it mid-run)")
    parser.add_argument("--certbot", default="/usr/bin/certbot", help="certbot executable (default /usr/bin/certbot)")
    parser.add_argument("--json", metavar="PATH", help="also write all runs and the summary as JSON here")
    parser.add_argument("--workdir", help="where Pebble and the clients' trees go (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir afterwards (kept anyway on failure)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one client run may take (default 120)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source = Path(args.certsmith).resolve()
    if not (source.is_file() and os.access(source, os.X_OK)):
        print(f"bench: certsmith binary not found at {source} (build it, or pass --certsmith PATH)", file=sys.stderr)
        return 2
    if not os.access(GNU_TIME, os.X_OK):
        print(f"bench: {GNU_TIME} not found (apt-get install time)", file=sys.stderr)
        return 2
    if not (os.path.isfile(args.certbot) and os.access(args.certbot, os.X_OK)):
        print(f"bench: certbot not found at {args.certbot} (apt-get install certbot, or pass --certbot PATH)",
              file=sys.stderr)
        return 2

    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="certsmith-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    binary = workdir / "bin" / "certsmith"
    binary.parent.mkdir(exist_ok=True)
    shutil.copy2(source, binary)

    env = {k: v for k, v in os.environ.items() if k not in PYTHON_ENV_VARS}
    pebble = PebbleEnv(workdir / "pebble", nonce_reject=0, default_ipv6="",
                       extra_env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"})
    ok = False
    try:
        try:
            pebble.start()
        except HarnessError as e:
            raise BenchError(str(e)) from e
        env["REQUESTS_CA_BUNDLE"] = str(pebble.ca_bundle)
        certsmith = Certsmith("certsmith", str(binary), workdir / "certsmith", pebble, env, args.timeout)
        certbot = Certbot("certbot", args.certbot, workdir / "certbot", pebble, env, args.timeout)

        print(f"bench: Pebble at {pebble.directory_url}, http-01 on port {pebble.http_port}; work dir {workdir}",
              flush=True)
        certsmith.setup()
        certbot.setup()
        overhead = wrapper_overhead(workdir)
        print(f"bench: measurement overhead (`time /bin/true`): {overhead['wall_s_median'] * 1000:.1f} ms, "
              f"{overhead['peak_rss_kib_median']:g} KiB", flush=True)
        print(f"bench: accounts registered; `certsmith -v` count check: prints {certsmith.verified_verbose[0]}, "
              f"Pebble logged {certsmith.verified_verbose[1]}", flush=True)

        load_before = os.getloadavg()[0]
        runs: list[Run] = []
        for i in range(1, args.runs + 1):
            for client, prefix in ((certsmith, "cs"), (certbot, "cb")):
                run = client.certonly(i, f"{prefix}-{i}.example.com")
                runs.append(run)
                print(f"  {run.client:<9} #{i:<3} {run.name:<22} {run.wall_s:7.3f} s  {run.peak_rss_kib:>7} KiB  "
                      f"cpu {run.cpu_s:6.3f} s  {run.requests} requests", flush=True)

        load_after = os.getloadavg()[0]
        summary = {c: summarize([r for r in runs if r.client == c]) for c in ("certsmith", "certbot")}
        cs, cb = summary["certsmith"], summary["certbot"]
        ratios = {
            "wall_time": cb["wall_s_median"] / cs["wall_s_median"],
            "peak_rss": cb["peak_rss_kib_median"] / cs["peak_rss_kib_median"],
            "requests": cb["requests_median"] / cs["requests_median"],
        }
        targets = {
            "speedup": {"target": f">= {TARGET_SPEEDUP:g}x", "measured": ratios["wall_time"],
                        "met": ratios["wall_time"] >= TARGET_SPEEDUP},
            "peak_rss": {"target": "< 10 MB", "measured_bytes": cs["peak_rss_kib_median"] * 1024,
                         "met": cs["peak_rss_kib_median"] * 1024 < TARGET_RSS_BYTES},
            "requests": {"target": "<= certbot", "measured": cs["requests_median"],
                         "certbot": cb["requests_median"], "met": cs["requests_median"] <= cb["requests_median"]},
        }
        certsmith_version = _version([str(binary), "--version"], env)
        certbot_version = _version([args.certbot, "--version"], env)
        header = (f"Scenario: certonly --standalone, fresh name, existing account; {args.runs} runs each, "
                  f"alternating\nPebble {_dpkg_version('pebble')} (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0); "
                  f"{certsmith_version} (repo HEAD {_git_describe()}); {certbot_version}\n"
                  f"{os.cpu_count()} CPUs, load average {load_before:.1f} before the runs, {load_after:.1f} after")
        text = report(summary, ratios, targets, header)
        print()
        print(text)

        if args.json:
            result = {
                "scenario": "certonly --standalone, fresh name, existing account (issue 2)",
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "environment": {
                    "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
                    "loadavg_1min_before": load_before, "loadavg_1min_after": load_after,
                    "python": platform.python_version(), "pebble": _dpkg_version("pebble"),
                    "pebble_env": {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
                    "certsmith": certsmith_version, "certsmith_binary": str(source),
                    "certsmith_sha256": _sha256(binary), "certsmith_git": _git_describe(),
                    "certbot": certbot_version, "certbot_path": args.certbot,
                },
                "measurement_overhead": overhead,
                "verbose_count_check": {"printed": certsmith.verified_verbose[0],
                                        "pebble_logged": certsmith.verified_verbose[1]},
                "runs": [asdict(r) for r in runs],
                "summary": summary,
                "ratios_certbot_over_certsmith": ratios,
                "targets": targets,
                "report": text,
            }
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
            print(f"\nbench: results written to {args.json}")
        ok = True
        return 0
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1
    finally:
        pebble.stop()
        if ok and not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not ok or args.keep:
            print(f"bench: work dir kept at {workdir}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
