"""Benchmark: `renew`, certsmith vs certbot, on trees that certbot itself made (issue 3).

Scenario A, nothing due. certbot issues one real lineage from the local Pebble; the benchmark copies
it under 1,000 names (live/NAME with relative links into archive/NAME, renewal/NAME.conf with every
path rewritten), once per client, so both read the same kind of tree and neither sees the other's
writes. Then `renew` runs with nothing due:

  - certsmith "cold": its work dir emptied first, so whatever it caches there (an expiry index) is
    rebuilt during the run;
  - certsmith "steady": the work dir as the previous run left it;
  - certbot.

The three alternate, `--runs` times each. The same again at 10,000 lineages, where certbot runs once
and only when its 1,000-lineage median predicts under `--certbot-limit` seconds.

Scenario B, `renew --force-renewal` of 50 lineages. certbot issues 50 distinct names (standalone, on
Pebble's httpPort); each client run gets a fresh copy of that tree. certsmith runs with `--jobs 16`
`--force-runs` times, certbot (serial) once, since it takes about 1.5 s per lineage.

Every run is measured as in certonly_bench.py: wall time around the child, peak RSS from GNU time,
CPU time from wait4(), and the requests Pebble logged meanwhile. A run that fails (exit status, a
lineage not renewed or renewed when it should not be, a request to the CA when nothing is due)
stops the benchmark with the reason. It exits 0 whether or not the targets are met.

    /usr/bin/python3 bench/renew_bench.py --json renew.json      # or: bash bench/run.sh --renew ...
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from certonly_bench import (GNU_TIME, PEBBLE_REQUEST, PYTHON_ENV_VARS, REPO, BenchError,  # noqa: E402
                            GrowingFile, _dpkg_version, _git_describe, _indent, _sha256, _version, run_child,
                            wrapper_overhead)
from pebble_env import HarnessError, PebbleEnv  # noqa: E402

# Targets of issue 3.
TARGET_NOT_DUE_SPEEDUP = 50.0  # certbot / certsmith, nothing due, 1,000 lineages
TARGET_RSS_BYTES = 10_000_000  # certsmith's peak RSS, nothing due, 1,000 lineages
TARGET_LINEAR = 10.0  # certsmith(10,000) < 10 x certsmith(1,000)
TARGET_FORCE_SPEEDUP = 20.0  # certbot (serial) / certsmith --jobs 16, 50 forced renewals

SEED_NAME = "seed.example.com"
ARCHIVE_FILES = ("cert", "chain", "fullchain", "privkey")
CERTBOT_NOT_DUE = "Certificate not yet due for renewal"
CERTSMITH_NONE_ATTEMPTED = "no renewal was attempted"
SERIAL = re.compile(r"serial=([0-9A-Fa-f]+)")


@dataclass
class Run:
    scenario: str  # "not-due-1000", "force-50", ...
    client: str  # "certsmith", "certsmith-cold", "certbot"
    index: int
    wall_s: float
    peak_rss_kib: int
    cpu_s: float
    requests: int  # Pebble's log, during the run
    extra: dict = field(default_factory=dict)


def _summ(runs: list[Run]) -> dict:
    walls = [r.wall_s for r in runs]
    return {
        "runs": len(runs),
        "wall_s_median": statistics.median(walls), "wall_s_min": min(walls), "wall_s_max": max(walls),
        "peak_rss_kib_median": statistics.median(r.peak_rss_kib for r in runs),
        "peak_rss_kib_max": max(r.peak_rss_kib for r in runs),
        "cpu_s_median": statistics.median(r.cpu_s for r in runs),
        "requests_median": statistics.median(r.requests for r in runs),
    }


def _mb(kib: float) -> str:
    return f"{kib * 1024 / 1e6:.1f} MB"


# ----- trees ---------------------------------------------------------------------------------------


class Tree:
    """A certbot-layout tree: root/{config,work,logs}."""

    def __init__(self, root: Path):
        self.root = root
        self.config, self.work, self.logs = root / "config", root / "work", root / "logs"

    def dir_flags(self) -> list[str]:
        return ["--config-dir", str(self.config), "--work-dir", str(self.work), "--logs-dir", str(self.logs),
                "--max-log-backups", "0"]  # both clients append to one log, as Debian's cli.ini sets

    def lineages(self) -> list[str]:
        return sorted(p.name[:-5] for p in (self.config / "renewal").glob("*.conf"))

    def reset_dir(self, directory: Path) -> None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)

    def current_version(self, name: str) -> str:
        """The archive file live/NAME/cert.pem points to, e.g. cert1.pem."""
        return os.readlink(self.config / "live" / name / "cert.pem").rsplit("/", 1)[-1]


def new_tree(source: Tree, root: Path) -> Tree:
    """An empty tree at root with source's account(s) and the usual directories."""
    tree = Tree(root)
    for d in (tree.work, tree.logs):
        d.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source.config / "accounts", tree.config / "accounts", symlinks=True)
    for d in ("renewal-hooks/pre", "renewal-hooks/deploy", "renewal-hooks/post", "live", "archive", "renewal"):
        (tree.config / d).mkdir(parents=True, exist_ok=True)
    if (source.config / "live" / "README").exists():
        shutil.copy2(source.config / "live" / "README", tree.config / "live" / "README")
    return tree


def clone_lineage(source: Tree, name: str, tree: Tree, new_name: str) -> None:
    """Copies lineage `name` of source into tree as `new_name`: archive files (their own inodes, the
    original modes), live/ links relative as certbot makes them, renewal conf with paths rewritten."""
    src_archive = source.config / "archive" / name
    archive = tree.config / "archive" / new_name
    live = tree.config / "live" / new_name
    archive.mkdir(mode=0o700)
    live.mkdir()
    for entry in sorted(src_archive.iterdir()):
        data = entry.read_bytes()
        fd = os.open(archive / entry.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, entry.stat().st_mode & 0o777)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    for kind in ARCHIVE_FILES:
        target = os.readlink(source.config / "live" / name / f"{kind}.pem").rsplit("/", 1)[-1]
        os.symlink(f"../../archive/{new_name}/{target}", live / f"{kind}.pem")
    readme = source.config / "live" / name / "README"
    if readme.exists():
        shutil.copy2(readme, live / "README")
    conf = (source.config / "renewal" / f"{name}.conf").read_text()
    conf = conf.replace(str(source.root), str(tree.root))
    if new_name != name:
        conf = conf.replace(f"/{name}/", f"/{new_name}/").replace(f"/{name}\n", f"/{new_name}\n")
    (tree.config / "renewal" / f"{new_name}.conf").write_text(conf)


def copy_tree(source: Tree, root: Path, names: list[str] | None = None) -> Tree:
    """A copy of source (all its lineages, or `names`) at root, paths rewritten."""
    tree = new_tree(source, root)
    for name in names if names is not None else source.lineages():
        clone_lineage(source, name, tree, name)
    return tree


def fan_out(source: Tree, name: str, root: Path, count: int) -> Tree:
    """A tree at root holding lineage `name` of source copied under `count` names."""
    tree = new_tree(source, root)
    width = max(5, len(str(count - 1)))
    for i in range(count):
        clone_lineage(source, name, tree, f"lineage{i:0{width}d}.example.com")
    return tree


# ----- clients -------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path, binary: Path, pebble: PebbleEnv,
                 env: dict[str, str]):
        self.args = args
        self.workdir = workdir
        self.binary = binary
        self.pebble = pebble
        self.env = env
        self.pebble_log = GrowingFile(pebble.pebble_log)
        self.out_dir = workdir / "output"
        self.out_dir.mkdir(exist_ok=True)
        self.runs: list[Run] = []
        self.notes: list[str] = []

    def execute(self, argv: list[str], tag: str, timeout: float | None = None):
        """Runs argv (timed); returns (result, Pebble requests meanwhile)."""
        self.pebble_log.new_bytes()
        child = run_child(argv, self.env, self.out_dir / f"{tag}.out", timeout or self.args.timeout)
        requests = [(m.decode(), p.decode()) for m, p in PEBBLE_REQUEST.findall(self.pebble_log.new_bytes())]
        if child.returncode != 0:
            raise BenchError(f"{tag} exited with status {child.returncode}\n  command: {' '.join(argv)}\n"
                             f"  output:\n{_indent(child.output)}")
        return child, requests

    # argv ------------------------------------------------------------------------------------------

    def certsmith_renew(self, tree: Tree, *extra: str) -> list[str]:
        return [str(self.binary), "renew", *tree.dir_flags(), "--no-random-sleep-on-renew", "-q", *extra]

    def certbot_renew(self, tree: Tree, *extra: str) -> list[str]:
        return [self.args.certbot, "renew", *tree.dir_flags(), "--no-random-sleep-on-renew", "-q",
                "--non-interactive", *extra]

    def ca_flags(self) -> list[str]:
        return ["--server", self.pebble.directory_url, "--http-01-port", str(self.pebble.http_port)]

    # seeding ---------------------------------------------------------------------------------------

    def seed(self, names: list[str]) -> Tree:
        """certbot registers an account and issues one lineage per name, standalone on Pebble's httpPort."""
        tree = Tree(self.workdir / "seed")
        flags = tree.dir_flags() + ["--server", self.pebble.directory_url]
        self.execute([self.args.certbot, "register", "--agree-tos", "--register-unsafely-without-email",
                      "--non-interactive"] + flags, "seed-register")
        start = time.perf_counter()
        for i, name in enumerate(names, 1):
            self.execute([self.args.certbot, "certonly", "--standalone", "--http-01-port",
                          str(self.pebble.http_port), "--non-interactive", "--no-random-sleep-on-renew",
                          "-d", name] + flags, f"seed-{name}")
            if i % 10 == 0 or i == len(names):
                print(f"bench: certbot issued {i}/{len(names)} seed lineages "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        return tree

    # scenario A ------------------------------------------------------------------------------------

    def not_due_run(self, client: str, tree: Tree, count: int, index: int, scenario: str) -> Run:
        """One timed `renew` with nothing due; checks nothing was renewed and the CA was not asked."""
        if client == "certsmith-cold":
            tree.reset_dir(tree.work)
        tree.reset_dir(tree.logs)  # each run starts with an empty log, for both clients
        argv = self.certsmith_renew(tree) if client.startswith("certsmith") else self.certbot_renew(tree)
        child, requests = self.execute(argv, f"{scenario}-{client}-{index}", timeout=self.args.big_timeout)
        # Reading the directory (is there ARI?) and ARI itself are fine; anything that changes state is not.
        writes = [r for r in requests if r[0] not in ("GET", "HEAD")]
        if writes:
            raise BenchError(f"{client} sent {len(writes)} POSTs to the CA with nothing due: {writes[:5]}")
        log = "".join(p.read_text(errors="replace") for p in sorted(tree.logs.iterdir()) if p.is_file())
        if client.startswith("certsmith"):
            if CERTSMITH_NONE_ATTEMPTED not in log:
                raise BenchError(f"{client}: no '{CERTSMITH_NONE_ATTEMPTED}' in its log\n{_indent(log)}")
        else:
            seen = log.count(CERTBOT_NOT_DUE)
            if seen != count:
                raise BenchError(f"certbot reported {seen} lineages not due, expected {count}\n{_indent(log)}")
        for name in (tree.lineages()[0], tree.lineages()[-1]):
            if tree.current_version(name) != "cert1.pem":
                raise BenchError(f"{client} renewed {name} although nothing was due")
        work_files = {p.name: p.stat().st_size for p in tree.work.iterdir() if p.is_file()}
        run = Run(scenario, client, index, child.wall_s, child.peak_rss_kib, child.cpu_s, len(requests),
                  {"work_dir_files": work_files,
                   "log_bytes": sum(p.stat().st_size for p in tree.logs.iterdir() if p.is_file())})
        self.runs.append(run)
        print(f"  {scenario:<14} {client:<15} #{index:<2} {run.wall_s:8.3f} s  {run.peak_rss_kib:>7} KiB  "
              f"cpu {run.cpu_s:7.3f} s  {len(requests)} requests", flush=True)
        return run

    def verify_certsmith_json(self, tree: Tree, count: int) -> None:
        """Untimed: certsmith's --json summary must list every lineage as not due."""
        argv = [str(self.binary), "renew", *tree.dir_flags(), "--no-random-sleep-on-renew", "--json"]
        child, _ = self.execute(argv, f"verify-json-{count}", timeout=self.args.big_timeout)
        try:
            text = child.output
            summary = json.loads(text[text.index("{"):])
        except ValueError as e:
            raise BenchError(f"certsmith renew --json printed no JSON: {e}\n{_indent(child.output)}") from e
        if summary.get("not_due") != count or summary.get("renewed") != 0 or summary.get("failed") != 0:
            brief = {k: v for k, v in summary.items() if k != "lineages"}
            raise BenchError(f"certsmith renew --json over {count} lineages: {brief}")

    def scenario_a(self, seed: Tree) -> dict:
        results: dict = {}
        for count in self.args.lineages:
            scenario = f"not-due-{count}"
            t0 = time.perf_counter()
            cs_tree = fan_out(seed, SEED_NAME, self.workdir / scenario / "certsmith", count)
            cb_tree = fan_out(seed, SEED_NAME, self.workdir / scenario / "certbot", count)
            print(f"bench: {scenario}: two trees of {count} lineages made in {time.perf_counter() - t0:.1f} s",
                  flush=True)
            self.verify_certsmith_json(cs_tree, count)
            small = count == min(self.args.lineages)
            certbot_runs = self.args.runs if small else 0
            if not small:
                estimate = self._certbot_estimate(count)
                if self.args.certbot_big == "always" or (self.args.certbot_big == "auto" and estimate is not None
                                                         and estimate < self.args.certbot_limit):
                    certbot_runs = 1
                else:
                    why = (f"predicted {estimate:.0f} s >= {self.args.certbot_limit:g} s" if estimate is not None
                           else "--certbot-big never")
                    self.notes.append(f"certbot skipped at {count} lineages ({why})")
            load_before = os.getloadavg()
            for i in range(1, self.args.runs + 1):
                self.not_due_run("certsmith-cold", cs_tree, count, i, scenario)
                self.not_due_run("certsmith", cs_tree, count, i, scenario)
                if i <= certbot_runs:
                    self.not_due_run("certbot", cb_tree, count, i, scenario)
            load_after = os.getloadavg()
            mine = [r for r in self.runs if r.scenario == scenario]
            results[count] = {
                "loadavg_before": load_before, "loadavg_after": load_after,
                "summary": {c: _summ([r for r in mine if r.client == c])
                            for c in ("certsmith-cold", "certsmith", "certbot") if any(r.client == c for r in mine)},
                "certsmith_work_dir_files": [r for r in mine if r.client == "certsmith"][-1].extra["work_dir_files"],
            }
            for d in (cs_tree.root, cb_tree.root):
                if not self.args.keep:
                    shutil.rmtree(d, ignore_errors=True)
        return results

    def _certbot_estimate(self, count: int) -> float | None:
        base = [r for r in self.runs if r.client == "certbot" and r.scenario.startswith("not-due-")]
        if not base:
            return None
        small = min(self.args.lineages)
        return statistics.median(r.wall_s for r in base) * count / small * 1.1

    # scenario B ------------------------------------------------------------------------------------

    def force_run(self, client: str, source: Tree, names: list[str], index: int) -> Run:
        tree = copy_tree(source, self.workdir / "force" / f"{client}-{index}", names)
        before = {n: self._serial(tree, n) for n in names}
        if client == "certsmith":
            argv = self.certsmith_renew(tree, "--force-renewal", "--jobs", str(self.args.jobs), *self.ca_flags())
        else:
            argv = self.certbot_renew(tree, "--force-renewal", *self.ca_flags())
        child, requests = self.execute(argv, f"force-{client}-{index}", timeout=self.args.force_timeout)
        for name in names:
            version = tree.current_version(name)
            if version != "cert2.pem":
                raise BenchError(f"{client} run {index}: {name} points at {version}, not cert2.pem")
            if self._serial(tree, name) == before[name]:
                raise BenchError(f"{client} run {index}: {name} has the same serial after renewal")
        if any(p.startswith("/sign-me-up") for _, p in requests):
            raise BenchError(f"{client} run {index} registered a new account")
        orders = sum(1 for m, p in requests if p.startswith("/order-plz"))
        challenges = sum(1 for m, p in requests if p.startswith("/chalZ/"))
        if orders != len(names):
            raise BenchError(f"{client} run {index}: {orders} new orders for {len(names)} lineages")
        run = Run("force-renewal", client, index, child.wall_s, child.peak_rss_kib, child.cpu_s, len(requests),
                  {"orders": orders, "challenges_answered": challenges})
        self.runs.append(run)
        print(f"  force-{len(names):<8} {client:<15} #{index:<2} {run.wall_s:8.3f} s  {run.peak_rss_kib:>7} KiB  "
              f"cpu {run.cpu_s:7.3f} s  {len(requests)} requests, {orders} orders, {challenges} challenges",
              flush=True)
        if not self.args.keep:
            shutil.rmtree(tree.root, ignore_errors=True)
        return run

    def _serial(self, tree: Tree, name: str) -> str:
        out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                              str(tree.config / "live" / name / "cert.pem")], capture_output=True, text=True)
        match = SERIAL.search(out.stdout)
        if not match:
            raise BenchError(f"cannot read the serial of {name}: {out.stderr.strip()}")
        return match.group(1).upper()

    def scenario_b(self, seed: Tree, names: list[str]) -> dict:
        load_before = os.getloadavg()
        certbot_done = False
        for i in range(1, self.args.force_runs + 1):
            self.force_run("certsmith", seed, names, i)
            if not certbot_done and i == (self.args.force_runs + 1) // 2 and self.args.certbot_force:
                self.force_run("certbot", seed, names, 1)
                certbot_done = True
        load_after = os.getloadavg()
        mine = [r for r in self.runs if r.scenario == "force-renewal"]
        return {"loadavg_before": load_before, "loadavg_after": load_after,
                "summary": {c: _summ([r for r in mine if r.client == c])
                            for c in ("certsmith", "certbot") if any(r.client == c for r in mine)}}


# ----- report --------------------------------------------------------------------------------------


def _load(pair: tuple) -> str:
    return f"{pair[0]:.1f}/{pair[1]:.1f}/{pair[2]:.1f}"


def report_a(results: dict, args: argparse.Namespace, notes: list[str]) -> tuple[str, dict]:
    lines: list[str] = []
    targets: dict = {}
    lines.append(f"Scenario A: renew, nothing due; {args.runs} runs each, alternating "
                 f"(certsmith cold = work dir emptied first)")
    lines.append(f"{'lineages':>8}  {'client':<15} {'wall median':>12} {'wall min..max':>17} {'peak RSS':>9} "
                 f"{'CPU median':>11} {'CA requests':>11}  load 1/5/15 before -> after")
    for count, res in results.items():
        for client, s in res["summary"].items():
            lines.append(f"{count:>8}  {client:<15} {s['wall_s_median']:>10.3f} s "
                         f"{s['wall_s_min']:>7.3f}..{s['wall_s_max']:.3f} s {_mb(s['peak_rss_kib_median']):>9} "
                         f"{s['cpu_s_median']:>9.3f} s {s['requests_median']:>11g}  {_load(res['loadavg_before'])} -> "
                         f"{_load(res['loadavg_after'])}")
    small, big = min(results), max(results)
    files = results[small]["certsmith_work_dir_files"]
    lines.append(f"certsmith's work dir after a run over {small}: "
                 + (", ".join(f"{n} ({b} bytes)" for n, b in sorted(files.items())) or "no files (no index)"))
    lines.append("")
    lines.append(f"{'certbot / certsmith (medians)':<38} {'measured':>9}   {'target (issue 3)':<40} status")

    def row(key: str, what: str, measured: str, target: str, met: bool, value: float) -> None:
        targets[key] = {"target": target, "measured": value, "met": met}
        lines.append(f"{what:<38} {measured:>9}   {target:<40} {'met' if met else 'NOT MET'}")

    s = results[small]["summary"]
    if "certbot" in s:
        for client, label in (("certsmith", "steady"), ("certsmith-cold", "cold")):
            ratio = s["certbot"]["wall_s_median"] / s[client]["wall_s_median"]
            row(f"speedup_{small}_{label}", f"speedup, {small} lineages ({label})", f"{ratio:.1f}x",
                f">= {TARGET_NOT_DUE_SPEEDUP:g}x faster", ratio >= TARGET_NOT_DUE_SPEEDUP, ratio)
        cpu = s["certbot"]["cpu_s_median"] / s["certsmith"]["cpu_s_median"]
        lines.append(f"{f'CPU time, {small} lineages (steady)':<38} {f'{cpu:.1f}x':>9}   "
                     "(no target; steadier than wall time under load)")
        rss = s["certsmith"]["peak_rss_kib_median"]
        ratio = s["certbot"]["peak_rss_kib_median"] / rss
        row(f"peak_rss_{small}", f"peak RSS, {small} lineages (steady)", f"{ratio:.1f}x",
            f"certsmith < 10 MB (is {_mb(rss)})", rss * 1024 < TARGET_RSS_BYTES, rss * 1024)
    if big != small:
        b = results[big]["summary"]
        if "certbot" in b:
            ratio = b["certbot"]["wall_s_median"] / b["certsmith"]["wall_s_median"]
            lines.append(f"{f'speedup, {big} lineages (steady)':<38} {f'{ratio:.1f}x':>9}   "
                         "(no target; certbot ran once)")
        for client, label in (("certsmith", "steady"), ("certsmith-cold", "cold")):
            growth = b[client]["wall_s_median"] / s[client]["wall_s_median"]
            row(f"linear_{label}", f"certsmith {big} / {small} ({label})", f"{growth:.1f}x",
                f"< {TARGET_LINEAR:g}x ({b[client]['wall_s_median']:.3f} s vs "
                f"{s[client]['wall_s_median']:.3f} s)", growth < TARGET_LINEAR, growth)
        for client, label in (("certsmith", "steady"), ("certsmith-cold", "cold")):
            per = (b[client]["wall_s_median"] - s[client]["wall_s_median"]) / (big - small)
            fixed = s[client]["wall_s_median"] - per * small
            fixed_text = f"{fixed * 1000:.1f} ms" if fixed >= 0 else "below 0: noise"
            lines.append(f"certsmith per lineage ({label}): {per * 1e6:.1f} us wall "
                         f"(fixed part {fixed_text}), CPU "
                         f"{(b[client]['cpu_s_median'] - s[client]['cpu_s_median']) / (big - small) * 1e6:.1f} us")
    for note in notes:
        lines.append(f"note: {note}")
    return "\n".join(lines), targets


def report_b(result: dict, args: argparse.Namespace, names: list[str], runs: list[Run]) -> tuple[str, dict]:
    lines = [f"Scenario B: renew --force-renewal, {len(names)} lineages issued by certbot; certsmith --jobs "
             f"{args.jobs} x{args.force_runs}, certbot (serial) x1"]
    lines.append(f"{'client':<10} {'wall median':>12} {'wall min..max':>17} {'peak RSS':>9} {'CPU median':>11}  "
                 f"requests  challenges")
    for client, s in result["summary"].items():
        mine = [r for r in runs if r.scenario == "force-renewal" and r.client == client]
        challenges = "/".join(str(r.extra["challenges_answered"]) for r in mine)
        requests = "/".join(str(r.requests) for r in mine)
        lines.append(f"{client:<10} {s['wall_s_median']:>10.3f} s {s['wall_s_min']:>7.3f}..{s['wall_s_max']:.3f} s "
                     f"{_mb(s['peak_rss_kib_median']):>9} {s['cpu_s_median']:>9.3f} s  {requests}  {challenges}")
    lines.append(f"load 1/5/15 {_load(result['loadavg_before'])} before, {_load(result['loadavg_after'])} after")
    targets: dict = {}
    if "certbot" in result["summary"]:
        ratio = result["summary"]["certbot"]["wall_s_median"] / result["summary"]["certsmith"]["wall_s_median"]
        met = ratio >= TARGET_FORCE_SPEEDUP
        targets["force_speedup"] = {"target": f">= {TARGET_FORCE_SPEEDUP:g}x", "measured": ratio, "met": met}
        lines.append("")
        lines.append(f"{'certbot / certsmith (medians)':<38} {'measured':>9}   {'target (issue 3)':<40} status")
        lines.append(f"{'speedup, force-renewal':<38} {f'{ratio:.1f}x':>9}   "
                     f"{f'>= {TARGET_FORCE_SPEEDUP:g}x faster':<40} {'met' if met else 'NOT MET'}")
    return "\n".join(lines), targets


# ----- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=("a", "b", "all"), default="all")
    parser.add_argument("--lineages", default="1000,10000",
                        help="scenario A tree sizes, comma list (default 1000,10000; the smallest is the "
                             "one with the targets and certbot's full runs)")
    parser.add_argument("--runs", type=int, default=5, help="scenario A runs per client and size (default 5)")
    parser.add_argument("--certbot-big", choices=("auto", "always", "never"), default="auto",
                        help="certbot once at the larger sizes: auto = when predicted under --certbot-limit")
    parser.add_argument("--certbot-limit", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--force-lineages", type=int, default=50, help="scenario B lineages (default 50)")
    parser.add_argument("--force-runs", type=int, default=3, help="scenario B certsmith runs (default 3)")
    parser.add_argument("--jobs", type=int, default=16, help="certsmith --jobs in scenario B (default 16)")
    parser.add_argument("--no-certbot-force", dest="certbot_force", action="store_false",
                        help="skip certbot's (~90 s) run in scenario B")
    parser.add_argument("--certsmith", default=str(REPO / "build" / "certsmith"),
                        help="certsmith binary (default build/certsmith; copied first)")
    parser.add_argument("--certbot", default="/usr/bin/certbot")
    parser.add_argument("--json", metavar="PATH", help="also write every run and the summaries as JSON here")
    parser.add_argument("--workdir", help="where Pebble and the trees go (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and every tree afterwards")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for one seeding step")
    parser.add_argument("--big-timeout", type=float, default=300.0, help="seconds for one not-due renew")
    parser.add_argument("--force-timeout", type=float, default=600.0, help="seconds for one forced renew")
    args = parser.parse_args(argv)
    try:
        args.lineages = sorted({int(x) for x in args.lineages.split(",") if x.strip()})
    except ValueError:
        parser.error("--lineages takes a comma list of numbers")
    if not args.lineages or min(args.lineages) < 1 or args.runs < 1 or args.force_runs < 1:
        parser.error("--lineages, --runs and --force-runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source = Path(args.certsmith).resolve()
    for path, what in ((source, "certsmith (build it, or pass --certsmith PATH)"), (Path(args.certbot), "certbot"),
                       (Path(GNU_TIME), "GNU time (apt-get install time)")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            print(f"bench: {what} not found at {path}", file=sys.stderr)
            return 2

    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="certsmith-renew-"))
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
        bench = Bench(args, workdir, binary, pebble, env)
        print(f"bench: Pebble at {pebble.directory_url}, http-01 on port {pebble.http_port}; work dir {workdir}; "
              f"load {_load(os.getloadavg())}", flush=True)
        force_names = [f"renew-{i:03d}.example.com" for i in range(1, args.force_lineages + 1)]
        want_a, want_b = args.scenario in ("a", "all"), args.scenario in ("b", "all")
        seed = bench.seed(([SEED_NAME] if want_a else []) + (force_names if want_b else []))
        overhead = wrapper_overhead(workdir)
        print(f"bench: measurement overhead (`time /bin/true`): {overhead['wall_s_median'] * 1000:.1f} ms, "
              f"{overhead['peak_rss_kib_median']:g} KiB", flush=True)

        certsmith_version = _version([str(binary), "--version"], env)
        certbot_version = _version([args.certbot, "--version"], env)
        header = (f"Pebble {_dpkg_version('pebble')} (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0); "
                  f"{certsmith_version} (sha256 {_sha256(binary)[:16]}, repo HEAD {_git_describe()}); "
                  f"{certbot_version}; {os.cpu_count()} CPUs")
        texts = [header]
        result: dict = {"targets": {}}
        if want_a:
            a = bench.scenario_a(seed)
            text, targets = report_a(a, args, bench.notes)
            texts.append(text)
            result["not_due"] = {str(k): v for k, v in a.items()}
            result["targets"].update(targets)
        if want_b:
            b = bench.scenario_b(seed, force_names)
            text, targets = report_b(b, args, force_names, bench.runs)
            texts.append(text)
            result["force_renewal"] = b
            result["targets"].update(targets)
        report = "\n\n".join(texts)
        print()
        print(report)

        if args.json:
            result.update({
                "scenario": "renew: nothing due over N lineages; --force-renewal of 50 (issue 3)",
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "environment": {
                    "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "pebble": _dpkg_version("pebble"),
                    "pebble_env": {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
                    "certsmith": certsmith_version, "certsmith_binary": str(source),
                    "certsmith_sha256": _sha256(binary), "certsmith_git": _git_describe(),
                    "certbot": certbot_version, "certbot_path": args.certbot,
                },
                "arguments": {k: v for k, v in vars(args).items() if k not in ("json",)},
                "measurement_overhead": overhead,
                "notes": bench.notes,
                "runs": [asdict(r) for r in bench.runs],
                "report": report,
            })
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
