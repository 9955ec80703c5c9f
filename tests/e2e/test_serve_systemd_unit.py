"""packaging/systemd/certsmith-serve.service (review B 10): systemd accepts it, and its SystemCallFilter
allows every system call `certsmith serve` makes while it starts, answers, redirects and stops."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from pebble_env import free_ports
from test_serve import TOKEN, http_get

UNIT = Path(__file__).resolve().parents[2] / "packaging" / "systemd" / "certsmith-serve.service"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed: the serve unit is not checked")
    return path


def unit_setting(name: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.read_text().splitlines() if line.startswith(f"{name}=")]


def test_systemd_analyze_verify_accepts_the_serve_unit(certsmith, tmp_path):
    analyze = need("systemd-analyze")
    # The unit names /usr/bin/certsmith; verify checks that it is executable, so point it at this build.
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/bin/certsmith", str(Path(certsmith).resolve())))
    result = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert f"{unit.name}:" not in result.stderr, result.stderr  # no complaint about our unit


def test_the_unit_keeps_port_80_bindable(certsmith):
    assert "--http-01-port 80" in unit_setting("ExecStart")[0]
    assert "CAP_NET_BIND_SERVICE" in unit_setting("CapabilityBoundingSet")[0].split()
    assert "CAP_NET_BIND_SERVICE" in unit_setting("AmbientCapabilities")[0].split()


def expand_filter_groups(analyze: str) -> dict[str, set[str]]:
    """Every @group systemd knows -> the system calls in it, nested groups expanded."""
    text = subprocess.run([analyze, "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("@"):
            current = stripped
            groups[current] = []
        elif current and stripped and not stripped.startswith("#"):
            groups[current].append(stripped)

    def expand(name: str, seen: frozenset = frozenset()) -> set[str]:
        calls = set()
        for member in groups.get(name, []):
            calls |= expand(member, seen | {name}) if member.startswith("@") and member not in seen else {member}
        return calls

    return {name: expand(name) for name in groups}


def allowed_by_unit(groups: dict[str, set[str]]) -> set[str]:
    """SystemCallFilter= lines in order: the first allow-list, then each ~ line takes calls away."""
    allowed: set[str] = set()
    for value in unit_setting("SystemCallFilter"):
        deny = value.startswith("~")
        calls = set()
        for item in value.lstrip("~").split():
            calls |= groups[item] if item.startswith("@") else {item}
        allowed = allowed - calls if deny else allowed | calls
    return allowed


def test_system_call_filter_allows_what_serve_does(run_certsmith, tmp_path):
    analyze = need("systemd-analyze")
    strace = need("strace")
    cache = Path(run_certsmith.binary).parent / "CMakeCache.txt"
    if cache.is_file() and "CERTSMITH_SANITIZE:BOOL=ON" in cache.read_text():
        pytest.skip("a sanitizer build: its system calls are not the shipped binary's, and LeakSanitizer "
                    "cannot run under strace")
    allowed = allowed_by_unit(expand_filter_groups(analyze))
    assert {"accept4", "bind", "listen", "openat", "renameat", "rt_sigtimedwait"} <= allowed

    port = free_ports(1)[0]
    trace = tmp_path / "serve.strace"
    token_dir = tmp_path / "tokens"
    argv = run_certsmith.argv("serve", "--http-01-address", "127.0.0.1", "--http-01-port", str(port),
                              "--serve-token-dir", str(token_dir), "--redirect-https")
    proc = subprocess.Popen([strace, "-f", "-qq", "-o", str(trace), *argv], cwd=run_certsmith.sandbox,
                            env=run_certsmith.environment(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
                time.sleep(0.1)
        (token_dir / TOKEN).write_text("ka")
        assert http_get(port, f"/.well-known/acme-challenge/{TOKEN}")[:3:2] == (200, b"ka")
        assert http_get(port, "/.well-known/acme-challenge/unknown")[0] == 404
        assert http_get(port, "/page", host="example.com")[0] == 301
        # Signal serve itself (its heartbeat names it): a SIGTERM to strace would only detach it.
        serve_pid = int((token_dir / ".serve.pid").read_text())
        os.kill(serve_pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()  # strace -f: its tracees die with it
            proc.communicate()
    assert proc.returncode == 0, f"{out}\n{err}"
    made = set()
    for line in trace.read_text().splitlines():
        match = re.match(r"\d+\s+([a-z0-9_]+)\(", line)
        if match:
            made.add(match.group(1))
    # systemd sets the filter before it executes ExecStart: execve counts too.
    assert made, "strace saw no system call"
    assert made - allowed == set(), f"SystemCallFilter would kill serve on: {sorted(made - allowed)}"
