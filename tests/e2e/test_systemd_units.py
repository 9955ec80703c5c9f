"""The systemd units in packaging/systemd/: `systemd-analyze verify` has nothing to say about any of them, the
renewal service keeps the sandbox README and docs/hooks.md describe, the timer runs twice a day, and, where
systemd is PID 1, certsmith runs under the service's sandbox.

systemd-analyze comes with systemd: absent, the tests fail under CI and are skipped elsewhere."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

UNITS_DIR = REPO / "packaging" / "systemd"
UNITS = sorted(p.name for p in UNITS_DIR.iterdir() if p.suffix in (".service", ".timer"))
IN_CI = bool(os.environ.get("CI"))
INSTALLED_BINARY = "/usr/bin/certsmith"


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        message = "systemd-analyze is not installed (it comes with the systemd package)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def settings(unit: Path, key: str) -> list[str]:
    """Every value of `key` in the unit (a key may be given several times)."""
    return re.findall(rf"^{re.escape(key)}=(.*)$", unit.read_text(), re.M)


@pytest.fixture
def unit_copies(tmp_path: Path, certsmith: Path) -> Path:
    """The units copied to a directory of their own, ExecStart= pointing at the binary under test.

    verify checks that each ExecStart= binary exists and is executable; the units name /usr/bin/certsmith, which
    is not there before the package is installed. The copies name a copy of the binary under test instead (the
    only change), and sit together so that the timer finds its service."""
    binary = tmp_path / "bin" / "certsmith"
    binary.parent.mkdir()
    shutil.copy2(certsmith, binary)
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        text = (UNITS_DIR / name).read_text()
        (units / name).write_text(text.replace(INSTALLED_BINARY, str(binary)))
    return units


def test_every_unit_is_shipped():
    assert {"certsmith.service", "certsmith.timer"} <= set(UNITS)


def test_execstart_names_the_installed_binary():
    for name in UNITS:
        for command in settings(UNITS_DIR / name, "ExecStart"):
            assert command.startswith(INSTALLED_BINARY + " "), (name, command)


@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verify_is_silent(unit_copies, name):
    # --man=no: verify would run man(1) for each Documentation=man:... page, which only the installed package
    # provides (man/ renders them at build time; test_man_pages.py lints them).
    result = subprocess.run([systemd_analyze(), "verify", "--man=no", str(unit_copies / name)],
                            capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values, only printing them: any output is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, ""), result.stdout + result.stderr


def test_verify_notices_a_broken_unit(unit_copies):
    # The check above is worth something only if verify reports what this test plants.
    unit = unit_copies / "certsmith.service"
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystem=strictly")
                    + "NoSuchSetting=yes\n")
    result = subprocess.run([systemd_analyze(), "verify", "--man=no", str(unit)], capture_output=True, text=True,
                            timeout=60)
    output = result.stdout + result.stderr
    assert "strictly" in output and "NoSuchSetting" in output, output


def test_security_exposure_is_printed_for_information(unit_copies, capsys):
    analyze = systemd_analyze()
    for name in UNITS:
        if not name.endswith(".service"):
            continue
        result = subprocess.run([analyze, "security", "--offline=true", str(unit_copies / name)],
                                capture_output=True, text=True, timeout=60)
        summary = [line for line in result.stdout.splitlines() if "Overall exposure level" in line]
        with capsys.disabled():
            print(f"\n{name}: {summary[-1].strip() if summary else result.stderr.strip()}")


def test_renewal_service_is_sandboxed():
    unit = UNITS_DIR / "certsmith.service"
    one = {key: settings(unit, key) for key in (
        "Type", "ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges", "RestrictSUIDSGID",
        "LockPersonality", "RestrictRealtime", "MemoryDenyWriteExecute", "SystemCallArchitectures",
        "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups")}
    assert one == {"Type": ["oneshot"], "ProtectSystem": ["strict"], "ProtectHome": ["read-only"],
                   "PrivateTmp": ["yes"], "NoNewPrivileges": ["yes"], "RestrictSUIDSGID": ["yes"],
                   "LockPersonality": ["yes"], "RestrictRealtime": ["yes"], "MemoryDenyWriteExecute": ["yes"],
                   "SystemCallArchitectures": ["native"], "ProtectKernelTunables": ["yes"],
                   "ProtectKernelModules": ["yes"], "ProtectKernelLogs": ["yes"], "ProtectControlGroups": ["yes"]}
    writable = " ".join(settings(unit, "ReadWritePaths")).split()
    # The tree must exist (ReadWritePaths= without "-"): the *Directory= settings create it first.
    assert writable[:3] == ["/etc/letsencrypt", "/var/lib/letsencrypt", "/var/log/letsencrypt"]
    assert settings(unit, "ConfigurationDirectory") == settings(unit, "StateDirectory") == \
        settings(unit, "LogsDirectory") == ["letsencrypt"]
    # The shipped hooks' default directories (docs/hooks.md), optional.
    assert {"-/etc/haproxy/certs", "-/etc/ssl/certsmith"} <= set(writable)
    assert {"-/var/www", "-/srv"} <= set(writable)  # --webroot renewals write their token under the webroot
    families = settings(unit, "RestrictAddressFamilies")[0].split()
    assert sorted(families) == ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"]
    capabilities = settings(unit, "CapabilityBoundingSet")[0].split()
    assert "CAP_NET_BIND_SERVICE" in capabilities  # standalone and tls-alpn-01 on ports 80 and 443
    assert not {"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE"} & set(capabilities)


def test_binary_needs_no_writable_executable_memory(certsmith):
    # MemoryDenyWriteExecute=yes kills a process that maps W+X memory: the binary must not ask for an executable
    # stack or carry text relocations (its libraries are Debian's OpenSSL and libcurl, which JIT nothing).
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf (binutils) is not installed")
    headers = subprocess.run([readelf, "-lW", str(certsmith)], capture_output=True, text=True, check=True).stdout
    stack = [line for line in headers.splitlines() if "GNU_STACK" in line]
    assert stack and "RWE" not in stack[0], stack
    dynamic = subprocess.run([readelf, "-dW", str(certsmith)], capture_output=True, text=True, check=True).stdout
    assert "TEXTREL" not in dynamic


def test_timer_runs_twice_a_day_spread_and_persistent():
    timer = UNITS_DIR / "certsmith.timer"
    assert settings(timer, "OnCalendar") == ["*-*-* 00,12:00:00"]
    assert settings(timer, "RandomizedDelaySec") == ["12h"]
    assert settings(timer, "Persistent") == ["true"]
    assert settings(timer, "WantedBy") == ["timers.target"]


def systemd_is_pid1() -> bool:
    return Path("/run/systemd/system").is_dir() and Path("/proc/1/comm").read_text().strip() == "systemd"


def test_certsmith_runs_inside_the_service_sandbox(certsmith, tmp_path):
    """certsmith --version and a renew of an empty tree under the renewal service's own sandbox settings."""
    if not systemd_is_pid1():
        pytest.skip("systemd is not PID 1 here (a container?): systemd-run cannot apply the unit's sandbox")
    if os.geteuid() != 0:
        pytest.skip("systemd-run --system needs root")
    cache = Path(certsmith).parent / "CMakeCache.txt"
    if cache.is_file() and "CERTSMITH_SANITIZE:BOOL=ON" in cache.read_text():
        pytest.skip("a sanitizer build: LeakSanitizer needs ptrace, which the unit's SystemCallFilter denies")
    unit = UNITS_DIR / "certsmith.service"
    properties = []
    for line in unit.read_text().splitlines():
        key, _, value = line.partition("=")
        # PrivateTmp= is left out: the binary and the tree under test are in pytest's directory under /tmp,
        # which a private /tmp would hide. Every other sandbox setting applies as in the unit.
        if line.startswith("#") or not value or key in ("Type", "ExecStart", "Description", "Documentation",
                                                        "Wants", "After", "WantedBy", "PrivateTmp"):
            continue
        properties += ["-p", f"{key}={value}"]
    # The tree under test lives in a temporary directory: make it writable too (ProtectSystem=strict).
    tree = tmp_path / "tree"
    tree.mkdir()
    properties += ["-p", f"ReadWritePaths={tree}"]
    binary = tmp_path / "certsmith"
    shutil.copy2(certsmith, binary)
    for argv in ([str(binary), "--version"],
                 [str(binary), "renew", "-q", "--no-random-sleep-on-renew", "--config-dir", str(tree / "config"),
                  "--work-dir", str(tree / "work"), "--logs-dir", str(tree / "logs")]):
        result = subprocess.run(["systemd-run", "--wait", "--pipe", "--quiet", "--collect", *properties, *argv],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
