"""The Debian package (packaging/deb/build-deb.sh, README "Debian package"): built from the build directory of
the binary under test (CERTSMITH_BIN's directory; nothing is compiled again), checked with dpkg-deb and
lintian, installed with `dpkg -i`, used as /usr/bin/certsmith to issue a certificate against Pebble, then
removed (`dpkg -r`) and purged (`dpkg -P`): /etc/letsencrypt, the admin's data, survives both.

Installing needs root: without it the install test skips, unless CI is set (then it fails). A sanitizer
or Debug build is not what we ship, so every test here skips for it (tests/run.sh's build-asan pass)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, CertsmithRunner, certsmith_path, describe
from inspect_tree import mode, sans

BUILD_DEB = REPO / "packaging" / "deb" / "build-deb.sh"
INSTALLED = Path("/usr/bin/certsmith")
IN_CI = bool(os.environ.get("CI"))
HOOK_DIRS = [Path("/etc/letsencrypt/renewal-hooks") / d for d in ("pre", "deploy", "post")]
TIMER_LINK = Path("/etc/systemd/system/timers.target.wants/certsmith.timer")

# Every lintian tag the package still gets (errors, warnings and info: --display-info), with why it stays.
LINTIAN_ALLOWED = {
    "bash-term-in-posix-shell": "false positive: the hooks' `. \"$(dirname -- ...)/../common.sh\"` is POSIX "
                                "(one argument); shellcheck and dash accept it",
    "package-supports-alternative-init-but-no-init.d-script": "certsmith-serve.service has no sysvinit script; "
                                                              "without systemd renewal runs from /etc/cron.d/certsmith",
}

# What the package must ship whatever the tree holds; optional parts are added by expected_files().
ALWAYS_SHIPPED = [
    "/usr/bin/certsmith",
    "/lib/systemd/system/certsmith.service",
    "/lib/systemd/system/certsmith.timer",
    "/etc/cron.d/certsmith",
    "/usr/share/certsmith/hooks/common.sh",
    "/usr/share/certsmith/hooks/deploy/reload-nginx",
    "/usr/share/doc/certsmith/README.md",
    "/usr/share/doc/certsmith/copyright",
    "/usr/share/doc/certsmith/changelog.gz",
]
# Source file in the tree -> where the package installs it (shipped when the source exists).
SHIPPED_IF_PRESENT = {
    "completions/certsmith.bash": "/usr/share/bash-completion/completions/certsmith",
    "completions/_certsmith": "/usr/share/zsh/vendor-completions/_certsmith",
    "completions/certsmith.fish": "/usr/share/fish/vendor_completions.d/certsmith.fish",
    "packaging/systemd/certsmith-serve.service": "/lib/systemd/system/certsmith-serve.service",
    "docs/hooks.md": "/usr/share/doc/certsmith/hooks.md",
}


def missing_tool(what: str) -> None:
    """A tool the test needs is absent: a failure under CI (install-deps.sh installs it), else a skip."""
    message = f"{what} (packaging/install-deps.sh --test installs it)"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def cache_value(cache: Path, key: str) -> str:
    match = re.search(rf"^{re.escape(key)}:[A-Z]*=(.*)$", cache.read_text(), re.M)
    return match.group(1) if match else ""


@pytest.fixture(scope="module")
def build_dir(certsmith) -> Path:
    """The build directory of the binary under test, when it is a release build we would ship."""
    directory = certsmith_path().parent
    cache = directory / "CMakeCache.txt"
    if not cache.is_file():
        pytest.skip(f"{directory} is not a CMake build directory: the package is built from one")
    build_type = cache_value(cache, "CMAKE_BUILD_TYPE")
    if build_type not in ("RelWithDebInfo", "Release"):
        pytest.skip(f"{directory} is a '{build_type}' build: only a RelWithDebInfo or Release build is packaged")
    if cache_value(cache, "CERTSMITH_SANITIZE").upper() in ("ON", "TRUE", "1"):
        pytest.skip(f"{directory} is a sanitizer build: not a binary we ship")
    return directory


@pytest.fixture(scope="module")
def deb(build_dir, tmp_path_factory) -> Path:
    """The .deb build-deb.sh makes from the build directory."""
    for tool in ("dpkg-deb", "dpkg-shlibdeps", "cmake", "strip"):
        if not shutil.which(tool):
            missing_tool(f"{tool} is not installed")
    out = tmp_path_factory.mktemp("deb")
    result = subprocess.run(["bash", str(BUILD_DEB), str(build_dir), str(out)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, describe(result)
    package = Path(result.stdout.strip().splitlines()[-1])
    assert package.is_file() and package.parent == out, describe(result)
    return package


def control_field(package: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(package), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def expected_files() -> list[str]:
    files = list(ALWAYS_SHIPPED)
    files += [installed for source, installed in SHIPPED_IF_PRESENT.items() if (REPO / source).exists()]
    # Rendered by scdoc at build time: CI installs it; a developer machine without it builds no pages.
    if IN_CI or shutil.which("scdoc"):
        files += ["/usr/share/man/man1/certsmith.1.gz", "/usr/share/man/man1/certsmith-renew.1.gz",
                  "/usr/share/man/man5/certsmith.ini.5.gz"]
    return files


def library_packages(binary: Path) -> set[str]:
    """The Debian packages holding the shared libraries `binary` needs (its DT_NEEDED entries)."""
    ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    needed = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    packages = set()
    for name in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed):
        path = re.search(rf"^\s*{re.escape(name)} => (\S+)", ldd, re.M)
        assert path, f"ldd does not resolve {name}:\n{ldd}"
        resolved = Path(path.group(1))
        # Merged /usr: ldd may name /lib/... for a file its package ships as /usr/lib/... (or the reverse).
        candidates = [str(resolved), str(resolved.resolve()), "/usr" + str(resolved),
                      str(resolved).removeprefix("/usr")]
        for candidate in candidates:
            owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if owner.returncode == 0:
                packages.add(owner.stdout.split(":")[0].strip())
                break
        else:
            pytest.fail(f"no package owns {resolved} ({name})", pytrace=False)
    return packages


def test_package_metadata_and_contents(deb, certsmith, tmp_path):
    version = subprocess.run([str(certsmith), "--version"], capture_output=True, text=True).stdout.split()[-1]
    assert control_field(deb, "Package") == "certsmith"
    assert control_field(deb, "Version") == version
    assert control_field(deb, "Architecture") == subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    assert not control_field(deb, "Conflicts"), "certsmith must coexist with certbot and everything else"

    # Depends names the package of every library the binary links (dpkg-shlibdeps), with a version.
    depends = {re.match(r"[\w.+-]+", d.strip()).group(0): d.strip()
               for d in control_field(deb, "Depends").split(",")}
    for package in library_packages(certsmith):
        assert package in depends, f"Depends lacks {package}: {depends}"
    assert "(>=" in depends["libc6"], depends

    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {line.split()[-1].removeprefix("."): line.split()[0] for line in listing.splitlines()}
    for path in expected_files():
        assert path in entries, f"{path} is not in the package:\n{listing}"
    assert entries["/usr/bin/certsmith"] == "-rwxr-xr-x"
    assert entries["/usr/share/certsmith/hooks/deploy/reload-nginx"] == "-rwxr-xr-x"
    assert all(" root/root " in line for line in listing.splitlines()), listing

    control = subprocess.run(["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True, text=True).stdout
    assert control.split() == ["/etc/cron.d/certsmith"], control
    # Shipped stripped: the debug info stays in the build directory.
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "unpacked")], check=True)
    sections = subprocess.run(["readelf", "-S", str(tmp_path / "unpacked/usr/bin/certsmith")], capture_output=True,
                              text=True, check=True).stdout
    assert ".debug_info" not in sections and ".symtab" not in sections, sections


def test_lintian_reports_only_explained_tags(deb):
    if not shutil.which("lintian"):
        missing_tool("lintian is not installed")
    result = subprocess.run(["lintian", "--display-info", str(deb)], capture_output=True, text=True,
                            timeout=300)
    tags = re.findall(r"^([EWIXPO]): certsmith(?: \w+)?: (\S+)", result.stdout, re.M)
    unexplained = sorted({f"{level}: {tag}" for level, tag in tags if tag not in LINTIAN_ALLOWED})
    assert not unexplained, f"lintian tags without a reason in LINTIAN_ALLOWED: {unexplained}\n{describe(result)}"
    assert result.returncode == 0 or tags, describe(result)


def dpkg(*args: str) -> subprocess.CompletedProcess:
    """Runs dpkg, waiting (up to 3 minutes) while another dpkg or apt holds the lock."""
    deadline = time.monotonic() + 180
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    while True:
        result = subprocess.run(["dpkg", *args], capture_output=True, text=True, env=env, timeout=300)
        if result.returncode != 0 and "lock" in result.stderr and time.monotonic() < deadline:
            time.sleep(2)
            continue
        return result


def package_status() -> str:
    result = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "certsmith"], capture_output=True,
                            text=True)
    return result.stdout.strip() if result.returncode == 0 else "not-installed"


@pytest.fixture
def root_machine():
    """Skips (fails under CI) unless this test may install packages here."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("installing the package needs root (run the CI job as root)", pytrace=False)
        pytest.skip("installing the package needs root; run as root or with CI=true to test dpkg -i")
    owner = subprocess.run(["dpkg", "-S", str(INSTALLED)], capture_output=True, text=True)
    if INSTALLED.exists() and owner.returncode != 0:
        message = f"{INSTALLED} exists and belongs to no package: not overwriting someone's install"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # The test ends by purging the package: on a developer's machine that would be their install.
    if package_status() != "not-installed" and not IN_CI:
        pytest.skip("the certsmith package is installed here: the test would purge it (set CI=true to allow)")


def test_install_issue_remove_purge(deb, root_machine, pebble, sandbox):
    hook_dirs_before = {directory: directory.is_dir() for directory in HOOK_DIRS}
    try:
        installed = dpkg("-i", str(deb))
        assert installed.returncode == 0, describe(installed)
        assert "warning" not in installed.stderr.lower(), describe(installed)
        assert package_status() == "installed"

        version = subprocess.run([str(INSTALLED), "--version"], capture_output=True, text=True)
        assert version.returncode == 0 and version.stdout.startswith("certsmith "), describe(version)

        listed = set(dpkg("-L", "certsmith").stdout.split())
        for path in expected_files():
            assert path in listed, f"dpkg -L certsmith lacks {path}"

        # postinst: certbot's hook directories, and certsmith.timer enabled (started too under a running systemd).
        for directory, existed in hook_dirs_before.items():
            assert directory.is_dir(), f"postinst did not create {directory}"
            if not existed:
                assert mode(directory) == 0o755, f"{directory} has mode {mode(directory):04o}"
        assert TIMER_LINK.is_symlink(), f"{TIMER_LINK}: certsmith.timer is not enabled"
        assert os.readlink(TIMER_LINK).endswith("/certsmith.timer")
        if Path("/run/systemd/system").is_dir():
            active = subprocess.run(["systemctl", "is-active", "certsmith.timer"], capture_output=True, text=True)
            assert active.stdout.strip() == "active", describe(active)

        # The installed hooks find their common.sh one directory up: a hook run without a lineage says so.
        hook = subprocess.run(["/usr/share/certsmith/hooks/deploy/reload-nginx"], capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items() if k != "RENEWED_LINEAGE"})
        assert hook.returncode != 0 and "RENEWED_LINEAGE is not set" in hook.stderr, describe(hook)

        # The installed binary issues a certificate, with the arguments the other e2e tests use.
        run = CertsmithRunner(INSTALLED, sandbox, pebble.directory_url, pebble.ca_bundle, pebble.http_port)
        name = "deb-package.example.com"
        issued = run.certonly(name)
        assert issued.returncode == 0, describe(issued)
        assert issued.args[0] == str(INSTALLED)
        assert sans(run.config_dir / "live" / name / "cert.pem") == {name}

        # dpkg -r: the program goes, conffiles and the admin's /etc/letsencrypt stay; the timer is masked.
        removed = dpkg("-r", "certsmith")
        assert removed.returncode == 0, describe(removed)
        assert "warning" not in removed.stderr.lower(), describe(removed)
        assert package_status() == "config-files"
        assert not INSTALLED.exists()
        assert not Path("/lib/systemd/system/certsmith.timer").exists()
        assert Path("/etc/cron.d/certsmith").is_file(), "a conffile is kept until purge"
        for directory in HOOK_DIRS:
            assert directory.is_dir(), f"dpkg -r removed {directory}"

        # dpkg -P: the conffile and the timer's links go; certificates and hook dirs still stay (as certbot).
        purged = dpkg("-P", "certsmith")
        assert purged.returncode == 0, describe(purged)
        assert "warning" not in purged.stderr.lower(), describe(purged)
        assert package_status() == "not-installed"
        assert not Path("/etc/cron.d/certsmith").exists()
        assert not TIMER_LINK.is_symlink() and not TIMER_LINK.exists()
        mask = Path("/etc/systemd/system/certsmith.timer")
        assert not (mask.is_symlink() or mask.exists()), f"{mask} left behind"
        for directory in HOOK_DIRS:
            assert directory.is_dir(), f"dpkg -P removed {directory}"
        assert stat.S_ISDIR(os.stat("/etc/letsencrypt").st_mode)
    finally:
        if package_status() != "not-installed":
            dpkg("-P", "certsmith")
