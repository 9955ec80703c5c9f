"""The deploy hooks certsmith ships in hooks/deploy/ (docs/hooks.md): each run against a fake lineage with stub
service commands that record their argv, and checked for what it documents; hostile RENEWED_LINEAGE and
RENEWED_DOMAINS values are refused or handled without running anything; one hook runs under a real
`certsmith certonly --deploy-hook` against Pebble, so the environment certsmith sets is what the hooks read."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, describe

HOOKS_DIR = REPO / "hooks" / "deploy"
COMMON = REPO / "hooks" / "common.sh"
HOOKS = ("reload-nginx", "reload-apache", "haproxy-pem", "restart-dovecot", "restart-exim", "restart-postfix",
         "copy-lineage")
SERVICE_HOOKS = tuple(h for h in HOOKS if h != "copy-lineage")
PEMS = ("cert", "chain", "fullchain", "privkey")
DOMAINS = "example.com www.example.com"
# Every command a hook may run to test a configuration or control a service; each is a stub on PATH.
STUBS = ("systemctl", "service", "nginx", "apachectl", "haproxy", "doveconf", "doveadm", "postfix", "exim4")


@dataclass(frozen=True)
class ServiceHook:
    """What a service hook does: its configuration test (argv), the unit, the systemd and service(8) verbs, and
    the daemon's own command when neither exists (None: the hook refuses)."""

    config_test: tuple
    unit: str
    systemctl_verb: str
    service_verb: str
    own_command: tuple | None
    config_fail_arg: str


SERVICE = {
    "reload-nginx": ServiceHook(("nginx", "-t", "-q"), "nginx", "try-reload-or-restart", "reload",
                                ("nginx", "-s", "reload"), "-t"),
    "reload-apache": ServiceHook(("apachectl", "configtest"), "apache2", "try-reload-or-restart", "reload",
                                 ("apachectl", "graceful"), "configtest"),
    "haproxy-pem": ServiceHook(("haproxy", "-c", "-q", "-f", "/etc/haproxy/haproxy.cfg"), "haproxy",
                               "try-reload-or-restart", "reload", None, "-c"),
    "restart-dovecot": ServiceHook(("doveconf", "-n"), "dovecot", "try-restart", "restart", ("doveadm", "reload"),
                                   "-n"),
    "restart-exim": ServiceHook(("exim4", "-bV"), "exim4", "try-restart", "restart", None, "-bV"),
    "restart-postfix": ServiceHook(("postfix", "check"), "postfix", "try-restart", "restart",
                                   ("postfix", "reload"), "check"),
}

STUB_SCRIPT = """#!/bin/sh
# Records its name and argv (tab-separated) in the call log; fails like a broken configuration when its first
# argument is the one written in <stub>.fail-on.
{{ printf '%s' "${{0##*/}}"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; }} >>{log}
if [ -f "$0.fail-on" ] && [ "${{1-}}" = "$(cat "$0.fail-on")" ]; then
  echo "${{0##*/}}: [emerg] unknown directive \\"sslx\\" in /etc/x.conf:3" >&2
  echo "${{0##*/}}: configuration file /etc/x.conf test failed" >&2
  exit 1
fi
exit 0
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_lineage(config_dir: Path, name: str) -> Path:
    """live/<name>/{cert,chain,fullchain,privkey}.pem as links into archive/<name>/…1.pem, with real PEM content
    (a self-signed leaf as cert, a self-signed 'CA' as chain), as certbot and certsmith lay them out."""
    archive = config_dir / "archive" / name
    live = config_dir / "live" / name
    archive.mkdir(parents=True)
    live.mkdir(parents=True)
    work = config_dir / "openssl"
    work.mkdir(exist_ok=True)
    for label in ("leaf", "ca"):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                 "-subj", f"/CN={label}.example.com", "-keyout", f"{label}.key", "-out", f"{label}.crt", cwd=work)
    leaf, ca, key = ((work / f).read_text() for f in ("leaf.crt", "ca.crt", "leaf.key"))
    contents = {"cert": leaf, "chain": ca, "fullchain": leaf + ca, "privkey": key}
    for pem, text in contents.items():
        target = archive / f"{pem}1.pem"
        target.write_text(text)
        target.chmod(0o600 if pem == "privkey" else 0o644)
        (live / f"{pem}.pem").symlink_to(Path("..", "..", "archive", name, f"{pem}1.pem"))
    return live


class HookBench:
    """A sandbox to run shipped hooks in: a fake lineage, stub commands on PATH recording their argv, a
    directory standing for /run/systemd/system (present: systemd runs) and a clean environment."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        self.calls_log = root / "calls.log"
        for name in STUBS:
            self.add_stub(name)
        self.systemd_dir = root / "run-systemd-system"
        self.systemd_dir.mkdir()
        self.cwd = root / "cwd"
        self.cwd.mkdir()
        self.lineage = make_lineage(root / "letsencrypt", "example.com")
        self.haproxy_dir = root / "haproxy-certs"
        self.haproxy_dir.mkdir(mode=0o700)
        self.copy_dir = root / "copies"

    def add_stub(self, name: str, directory: Path | None = None) -> Path:
        path = (directory or self.bin) / name
        path.write_text(STUB_SCRIPT.format(log=shlex.quote(str(self.calls_log))))
        path.chmod(0o755)
        return path

    def fail_on(self, stub: str, first_arg: str) -> None:
        (self.bin / f"{stub}.fail-on").write_text(first_arg)

    def remove_stub(self, name: str) -> None:
        (self.bin / name).unlink()

    def calls(self) -> list[tuple]:
        if not self.calls_log.exists():
            return []
        return [tuple(line.split("\t")) for line in self.calls_log.read_text().splitlines()]

    def env(self, **overrides) -> dict[str, str]:
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "LC_ALL": "C", "RENEWED_LINEAGE": str(self.lineage),
               "RENEWED_DOMAINS": DOMAINS, "CERTSMITH_HOOK_SYSTEMD_DIR": str(self.systemd_dir),
               "CERTSMITH_HAPROXY_DIR": str(self.haproxy_dir), "CERTSMITH_COPY_DIR": str(self.copy_dir)}
        env.update(unprivileged_copy_group())
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, hook: str, umask: int = 0o022, **overrides) -> subprocess.CompletedProcess:
        return subprocess.run([str(HOOKS_DIR / hook)], cwd=self.cwd, env=self.env(**overrides),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                              preexec_fn=lambda: os.umask(umask))


def unprivileged_copy_group() -> dict[str, str]:
    """Not root (a developer's run; CI runs as root): copies keep the user's own group, since only root may give
    them ssl-cert's."""
    return {} if os.geteuid() == 0 else {"CERTSMITH_COPY_GROUP": grp.getgrgid(os.getgid()).gr_name}


@pytest.fixture
def bench(tmp_path) -> HookBench:
    return HookBench(tmp_path)


def assert_one_line_error(result: subprocess.CompletedProcess, hook: str, *fragments: str) -> None:
    assert result.returncode != 0, describe(result)
    assert result.stderr.startswith(f"{hook}: error: "), describe(result)
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), describe(result)
    for fragment in fragments:
        assert fragment in result.stderr, describe(result)


def lineage_files(directory: Path) -> dict[str, bytes]:
    return {pem: (directory / f"{pem}.pem").read_bytes() for pem in PEMS}


# --- the scripts themselves -------------------------------------------------------------------------------------

def test_every_shipped_hook_is_a_posix_sh_script_that_shellcheck_passes():
    assert sorted(p.name for p in HOOKS_DIR.iterdir()) == sorted(HOOKS)
    for hook in HOOKS:
        path = HOOKS_DIR / hook
        text = path.read_text()
        assert text.startswith("#!/bin/sh\n"), hook
        assert "\nset -eu\n" in text, hook
        assert "eval" not in text.split(), hook
        assert path.stat().st_mode & 0o111 == 0o111, f"{hook} is not executable"
        syntax = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
        assert syntax.returncode == 0, describe(syntax)
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed: run `bash packaging/install-deps.sh --test` as root", pytrace=False)
    scripts = [str(HOOKS_DIR / h) for h in HOOKS] + [str(COMMON)]
    # -x follows each hook's `. .../common.sh` (its source= directive names it from the repo root)
    result = subprocess.run([shellcheck, "-x", "--shell=sh", "--severity=style", *scripts], capture_output=True,
                            text=True, cwd=REPO)
    assert result.returncode == 0, describe(result)


def test_every_hook_sources_hooks_common_sh_and_works_through_a_link(tmp_path, bench):
    for hook in HOOKS:
        assert '. "$(dirname -- "$(readlink -f -- "$0")")/../common.sh"' in (HOOKS_DIR / hook).read_text(), hook
    # As /etc/letsencrypt/renewal-hooks/deploy/ holds it: a symlink elsewhere still finds common.sh.
    link = tmp_path / "renewal-hooks" / "deploy" / "reload-nginx"
    link.parent.mkdir(parents=True)
    link.symlink_to(HOOKS_DIR / "reload-nginx")
    result = subprocess.run([str(link)], capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert "common.sh" not in result.stderr, describe(result)
    assert result.returncode == 1 and "RENEWED_LINEAGE" in result.stderr, describe(result)


def test_every_environment_variable_a_hook_reads_is_documented_in_its_header_and_in_docs_hooks_md():
    docs = (REPO / "docs" / "hooks.md").read_text()
    for hook in HOOKS:
        text = (HOOKS_DIR / hook).read_text()
        header = text.split("\nset -eu\n", 1)[0]
        body = text.split("/../common.sh\"\n", 1)[1]
        # the common block's service control reads its variables only in hooks that call it
        code = body + (COMMON.read_text() if "hook_service " in body else "")
        read = set(re.findall(r"\$\{(CERTSMITH_[A-Z_]+)", code))
        assert read, f"{hook} reads no CERTSMITH_ variable?"
        for variable in read:
            assert variable in header, f"{hook} reads {variable} but its header does not document it"
            assert variable in docs, f"docs/hooks.md does not document {variable}"
        assert f"`{hook}`" in docs, f"docs/hooks.md does not describe {hook}"


# --- service control --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hook", SERVICE_HOOKS)
def test_under_systemd_a_hook_tests_the_configuration_then_reloads_or_restarts_the_running_unit(bench, hook):
    spec = SERVICE[hook]
    result = bench.run(hook)
    assert result.returncode == 0, describe(result)
    assert bench.calls() == [spec.config_test, ("systemctl", spec.systemctl_verb, spec.unit)]
    assert result.stderr == "", describe(result)
    assert "example.com" in result.stdout, describe(result)


@pytest.mark.parametrize("hook", SERVICE_HOOKS)
def test_without_systemd_a_hook_uses_service(bench, hook):
    spec = SERVICE[hook]
    result = bench.run(hook, CERTSMITH_HOOK_SYSTEMD_DIR=str(bench.root / "no-systemd"))
    assert result.returncode == 0, describe(result)
    assert bench.calls() == [spec.config_test, ("service", spec.unit, spec.service_verb)]


@pytest.mark.parametrize("hook", SERVICE_HOOKS)
def test_without_systemd_and_service_a_hook_uses_the_daemons_own_command_or_says_it_cannot(bench, hook):
    spec = SERVICE[hook]
    bench.remove_stub("service")
    result = bench.run(hook, CERTSMITH_HOOK_SYSTEMD_DIR=str(bench.root / "no-systemd"),
                       CERTSMITH_HOOK_SERVICE=str(bench.root / "no-such-service"))
    if spec.own_command is None:
        assert_one_line_error(result, hook, f"cannot {spec.service_verb} {spec.unit}", "neither systemd nor")
        assert bench.calls() == [spec.config_test]
    else:
        assert result.returncode == 0, describe(result)
        assert bench.calls() == [spec.config_test, spec.own_command]


@pytest.mark.parametrize("hook", SERVICE_HOOKS)
def test_a_broken_configuration_is_not_reloaded(bench, hook):
    spec = SERVICE[hook]
    bench.fail_on(spec.config_test[0], spec.config_fail_arg)
    result = bench.run(hook)
    assert_one_line_error(result, hook, "configuration test", "failed, not reloading", "unknown directive")
    assert bench.calls() == [spec.config_test], "the service was touched although its configuration is broken"


@pytest.mark.parametrize("hook", SERVICE_HOOKS)
def test_a_failing_reload_is_an_error(bench, hook):
    spec = SERVICE[hook]
    bench.fail_on("systemctl", spec.systemctl_verb)
    result = bench.run(hook)
    # systemctl's own explanation passes through on stderr; the hook's one line comes last
    assert result.returncode == 1, describe(result)
    assert result.stderr.splitlines()[-1] == (
        f"{hook}: error: 'systemctl {spec.systemctl_verb} {spec.unit}' failed with exit status 1"), describe(result)


def test_command_names_and_service_names_come_from_the_environment(bench):
    other = bench.root / "other-bin"
    other.mkdir()
    systemctl = bench.add_stub("my-systemctl", other)
    nginx = bench.add_stub("my-nginx", other)
    result = bench.run("reload-nginx", CERTSMITH_HOOK_SYSTEMCTL=str(systemctl), CERTSMITH_HOOK_NGINX=str(nginx),
                       CERTSMITH_NGINX_SERVICE="nginx@public.service")
    assert result.returncode == 0, describe(result)
    assert bench.calls() == [("my-nginx", "-t", "-q"), ("my-systemctl", "try-reload-or-restart",
                                                        "nginx@public.service")]

    sysv = bench.add_stub("my-service", other)
    bench.calls_log.unlink()
    result = bench.run("restart-postfix", CERTSMITH_HOOK_SYSTEMD_DIR=str(bench.root / "none"),
                       CERTSMITH_HOOK_SERVICE=str(sysv), CERTSMITH_POSTFIX_SERVICE="postfix-out")
    assert result.returncode == 0, describe(result)
    assert bench.calls() == [("postfix", "check"), ("my-service", "postfix-out", "restart")]

    bench.calls_log.unlink()
    config = bench.root / "haproxy.cfg"
    result = bench.run("haproxy-pem", CERTSMITH_HAPROXY_CONFIG=str(config))
    assert result.returncode == 0, describe(result)
    assert bench.calls()[0] == ("haproxy", "-c", "-q", "-f", str(config))


@pytest.mark.parametrize("unit", ["nginx; touch pwned", "-H evil", "$(touch pwned)", "a b", "nginx\nx", ""])
def test_a_hostile_service_name_is_refused(bench, unit):
    result = bench.run("reload-nginx", CERTSMITH_NGINX_SERVICE=unit)
    if unit == "":
        # empty means "the default", as for every variable with a default
        assert result.returncode == 0, describe(result)
        return
    assert_one_line_error(result, "reload-nginx", "invalid service name")
    assert [c[0] for c in bench.calls()] == ["nginx"], "a service command ran with a hostile unit name"
    assert list(bench.cwd.iterdir()) == []


def test_a_missing_daemon_is_reported_and_nothing_is_reloaded(bench):
    bench.remove_stub("nginx")
    result = bench.run("reload-nginx", CERTSMITH_HOOK_NGINX=str(bench.root / "no-nginx"))
    assert_one_line_error(result, "reload-nginx", "no-nginx not found")
    assert bench.calls() == []


# --- haproxy-pem ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_haproxy_pem_is_fullchain_then_key_mode_0600_replaced_atomically(bench, umask):
    target = bench.haproxy_dir / "example.com.pem"
    target.write_text("old\n")
    target.chmod(0o644)
    old_inode = target.stat().st_ino
    result = bench.run("haproxy-pem", umask=umask)
    assert result.returncode == 0, describe(result)
    live = lineage_files(bench.lineage)
    assert target.read_bytes() == live["fullchain"] + live["privkey"]
    st = target.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_ino != old_inode, "the PEM was rewritten in place instead of renamed over"
    assert sorted(p.name for p in bench.haproxy_dir.iterdir()) == ["example.com.pem"], "a temp file was left"
    assert bench.calls()[-1] == ("systemctl", "try-reload-or-restart", "haproxy")


def test_haproxy_pem_file_is_created_0600_before_any_key_byte_is_written(bench):
    # cat is the one writer of the temporary file: a cat on PATH that looks at its stdout's mode first
    probe = bench.root / "modes.log"
    (bench.bin / "cat").write_text(f"#!/bin/sh\nstat -L -c %a /dev/stdout >>{shlex.quote(str(probe))}\n"
                                   "exec /bin/cat \"$@\"\n")
    (bench.bin / "cat").chmod(0o755)
    result = bench.run("haproxy-pem", umask=0o000)
    assert result.returncode == 0, describe(result)
    assert probe.read_text().split() == ["600"]


def test_haproxy_pem_refuses_a_missing_or_relative_directory_and_writes_nothing(bench):
    result = bench.run("haproxy-pem", CERTSMITH_HAPROXY_DIR=str(bench.root / "absent"))
    assert_one_line_error(result, "haproxy-pem", "CERTSMITH_HAPROXY_DIR is not a directory")
    result = bench.run("haproxy-pem", CERTSMITH_HAPROXY_DIR="haproxy-certs")
    assert_one_line_error(result, "haproxy-pem", "not an absolute path")
    assert bench.calls() == []
    assert list(bench.haproxy_dir.iterdir()) == []


def test_haproxy_pem_is_written_even_when_the_configuration_test_then_fails(bench):
    # The certificate file is sound whatever else is wrong with the configuration; only the reload is withheld.
    bench.fail_on("haproxy", "-c")
    result = bench.run("haproxy-pem")
    assert_one_line_error(result, "haproxy-pem", "failed, not reloading")
    assert (bench.haproxy_dir / "example.com.pem").exists()
    assert [c[0] for c in bench.calls()] == ["haproxy"]


# --- copy-lineage -----------------------------------------------------------------------------------------------

def _expected_default_group() -> int:
    if os.geteuid() != 0:
        return os.getgid()
    try:
        return grp.getgrnam("ssl-cert").gr_gid
    except KeyError:
        return os.getgid()


def test_copy_lineage_writes_regular_files_with_documented_modes(bench):
    result = bench.run("copy-lineage")
    assert result.returncode == 0, describe(result)
    dest = bench.copy_dir / "example.com"
    assert lineage_files(dest) == lineage_files(bench.lineage)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o750
    for pem in PEMS:
        st = (dest / f"{pem}.pem").lstat()
        assert stat.S_ISREG(st.st_mode), f"{pem}.pem is not a regular file"
        assert stat.S_IMODE(st.st_mode) == (0o640 if pem == "privkey" else 0o644), pem
        assert st.st_uid == os.getuid()
        assert st.st_gid == _expected_default_group()
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{p}.pem" for p in PEMS)
    assert stat.S_IMODE(bench.copy_dir.stat().st_mode) == 0o755
    assert bench.calls() == []


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root (CI runs as root)")
def test_copy_lineage_gives_the_copies_the_configured_owner_and_group(bench):
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name  # nogroup on Debian
    result = bench.run("copy-lineage", CERTSMITH_COPY_OWNER="nobody", CERTSMITH_COPY_GROUP=group)
    assert result.returncode == 0, describe(result)
    dest = bench.copy_dir / "example.com"
    for path in [dest] + [dest / f"{pem}.pem" for pem in PEMS]:
        st = path.stat()
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid), path
    assert f"nobody:{group}" in result.stdout


MODE_PROBE = """#!/bin/sh
# {tool} on PATH: records the mode of the private key file it is about to act on, then does its job.
case ${{0##*/}} in mv) file=$3 ;; *) for file; do :; done ;; esac
case $file in *privkey*) printf '%s %s\\n' "${{0##*/}}" "$(stat -c %a "$file")" >>{log} ;; esac
exec /bin/{tool} "$@"
"""


def test_copy_lineage_key_is_never_readable_by_others_at_any_step(bench):
    # chmod and mv on PATH that record the mode of the file they act on before they act: the temporary key is
    # 0600 until its own chmod, and already 0640 (never more) when it is renamed into place.
    probe = bench.root / "steps.log"
    for tool in ("chmod", "mv"):
        (bench.bin / tool).write_text(MODE_PROBE.format(tool=tool, log=shlex.quote(str(probe))))
        (bench.bin / tool).chmod(0o755)
    result = bench.run("copy-lineage", umask=0o000)
    assert result.returncode == 0, describe(result)
    assert probe.read_text().splitlines() == ["chmod 600", "mv 640"]
    assert stat.S_IMODE((bench.copy_dir / "example.com" / "privkey.pem").stat().st_mode) == 0o640


def test_copy_lineage_replaces_old_copies_and_refuses_a_symlinked_destination(bench):
    dest = bench.copy_dir / "example.com"
    dest.mkdir(parents=True)
    (dest / "privkey.pem").write_text("old key")
    (dest / "privkey.pem").chmod(0o666)
    result = bench.run("copy-lineage")
    assert result.returncode == 0, describe(result)
    assert lineage_files(dest) == lineage_files(bench.lineage)
    assert stat.S_IMODE((dest / "privkey.pem").stat().st_mode) == 0o640

    elsewhere = bench.root / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(dest)
    dest.symlink_to(elsewhere)
    result = bench.run("copy-lineage")
    assert_one_line_error(result, "copy-lineage", "is a symbolic link")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("variable,value", [
    ("CERTSMITH_COPY_OWNER", "root; touch pwned"), ("CERTSMITH_COPY_OWNER", "-R"),
    ("CERTSMITH_COPY_OWNER", "a:b"), ("CERTSMITH_COPY_GROUP", "$(touch pwned)"),
    ("CERTSMITH_COPY_GROUP", "no-such-group-xyz"), ("CERTSMITH_COPY_DIR", "relative/dir"),
])
def test_copy_lineage_refuses_hostile_settings_and_writes_nothing(bench, variable, value):
    result = bench.run("copy-lineage", **{variable: value})
    assert_one_line_error(result, "copy-lineage", variable)
    assert not bench.copy_dir.exists()
    assert list(bench.cwd.iterdir()) == []


# --- hostile RENEWED_LINEAGE and RENEWED_DOMAINS ----------------------------------------------------------------

def _hostile_lineages(bench: HookBench) -> dict[str, tuple[str | None, str]]:
    """name -> (RENEWED_LINEAGE value or None for unset, fragment of the expected error)."""
    live = bench.lineage
    dangling = make_lineage(bench.root / "dangling", "example.com")
    (bench.root / "dangling" / "archive" / "example.com" / "privkey1.pem").unlink()
    missing_chain = make_lineage(bench.root / "missing", "example.com")
    (missing_chain / "chain.pem").unlink()
    newline_dir = bench.root / "new\nline" / "example.com"
    newline_dir.parent.mkdir()
    shutil.copytree(live, newline_dir, symlinks=False)
    plain_file = bench.root / "a-file"
    plain_file.write_text("x")
    return {
        "unset": (None, "RENEWED_LINEAGE is not set"),
        "empty": ("", "RENEWED_LINEAGE is not set"),
        "relative": ("letsencrypt/live/example.com", "not an absolute path"),
        "missing": (str(bench.root / "nowhere" / "example.com"), "not a directory"),
        "a file": (str(plain_file), "not a directory"),
        "newline": (str(newline_dir), "control character"),
        "dot-dot": (str(live) + "/..", "does not name a lineage directory"),
        "root": ("/", "does not name a lineage directory"),
        "dangling link": (str(dangling), "privkey.pem is missing, unreadable or a dangling link"),
        "missing pem": (str(missing_chain), "chain.pem is missing"),
        "semicolon": (str(bench.root / "x;touch pwned;" / "example.com"), "not a directory"),
        "command substitution": (str(bench.root / "$(touch pwned)"), "not a directory"),
    }


@pytest.mark.parametrize("hook", HOOKS)
def test_hostile_renewed_lineage_is_refused_with_one_line_and_nothing_runs(bench, hook):
    for label, (value, fragment) in _hostile_lineages(bench).items():
        if bench.calls_log.exists():
            bench.calls_log.unlink()
        result = bench.run(hook, RENEWED_LINEAGE=value)
        assert_one_line_error(result, hook, fragment)
        assert bench.calls() == [], f"{label}: a command ran"
        assert list(bench.cwd.iterdir()) == [], f"{label}: something was created"
        assert list(bench.haproxy_dir.iterdir()) == [], f"{label}: a PEM was written"
        assert not bench.copy_dir.exists(), f"{label}: a copy was made"


@pytest.mark.parametrize("hook", ["haproxy-pem", "copy-lineage"])
def test_a_lineage_named_with_spaces_and_semicolons_is_handled_as_one_literal_name(bench, hook):
    # certbot and certsmith accept such --cert-name values; the hooks quote every path and run nothing from them.
    name = "my site; touch pwned $(touch pwned2)"
    lineage = make_lineage(bench.root / "odd config dir", name)
    result = bench.run(hook, RENEWED_LINEAGE=str(lineage) + "/")
    assert result.returncode == 0, describe(result)
    assert list(bench.cwd.iterdir()) == []
    live = lineage_files(lineage)
    if hook == "haproxy-pem":
        assert (bench.haproxy_dir / f"{name}.pem").read_bytes() == live["fullchain"] + live["privkey"]
    else:
        assert lineage_files(bench.copy_dir / name) == live


HOSTILE_DOMAINS = "a.example.com $(touch pwned) `touch pwned2`; touch pwned3 | x & * ?\n\x1b[31mred"


@pytest.mark.parametrize("hook", HOOKS)
def test_hostile_renewed_domains_are_only_printed_never_run(bench, hook):
    result = bench.run(hook, RENEWED_DOMAINS=HOSTILE_DOMAINS)
    assert result.returncode == 0, describe(result)
    assert list(bench.cwd.iterdir()) == [], "text from RENEWED_DOMAINS was executed or globbed"
    assert "\x1b" not in result.stdout and result.stderr == "", describe(result)
    assert "$(touch pwned) `touch pwned2`; touch pwned3 | x & * ?" in result.stdout, describe(result)
    assert all(line.startswith(f"{hook}: ") for line in result.stdout.splitlines()), describe(result)


# --- under certsmith itself -------------------------------------------------------------------------------------

def test_shipped_hooks_run_as_deploy_hooks_of_certsmith_certonly(run_certsmith, tmp_path):
    (tmp_path / "bench").mkdir()
    bench = HookBench(tmp_path / "bench")
    hooks = [f"--deploy-hook={shlex.quote(str(HOOKS_DIR / h))}" for h in ("copy-lineage", "haproxy-pem")]
    env = {"CERTSMITH_COPY_DIR": str(bench.copy_dir), "CERTSMITH_HAPROXY_DIR": str(bench.haproxy_dir),
           "CERTSMITH_HOOK_SYSTEMD_DIR": str(bench.systemd_dir), "PATH": f"{bench.bin}:{os.environ['PATH']}",
           **unprivileged_copy_group()}
    args = ["certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email",
            "-d", "hooks.example.com", "-d", "www.hooks.example.com"]
    result = run_certsmith(*args, *hooks[:1], env=env)
    assert result.returncode == 0, describe(result)
    live = run_certsmith.config_dir / "live" / "hooks.example.com"
    copies = bench.copy_dir / "hooks.example.com"
    assert lineage_files(copies) == lineage_files(live)
    # certsmith, like certbot, logs what a hook prints
    log = (run_certsmith.logs_dir / "letsencrypt.log").read_text()
    assert "copy-lineage: copied hooks.example.com to " in log
    assert "for hooks.example.com www.hooks.example.com" in log, "RENEWED_DOMAINS did not reach the hook"

    result = run_certsmith(*args, "--force-renewal", *hooks[1:], env=env)
    assert result.returncode == 0, describe(result)
    live_files = lineage_files(live)
    assert (bench.haproxy_dir / "hooks.example.com.pem").read_bytes() == live_files["fullchain"] + live_files["privkey"]
    assert bench.calls()[-1] == ("systemctl", "try-reload-or-restart", "haproxy")


def test_every_hook_in_hooks_deploy_is_tested_and_installed_by_name():
    shipped = sorted(p.name for p in HOOKS_DIR.iterdir())
    assert shipped == sorted(HOOKS), "a new hook needs its tests here"
    install_rules = (REPO / "cmake" / "Install.cmake").read_text()
    for hook in HOOKS:
        assert re.search(rf"\b{re.escape(hook)}\b", install_rules), f"cmake/Install.cmake does not install {hook}"
