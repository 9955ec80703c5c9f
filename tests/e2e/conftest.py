"""Fixtures for the end-to-end tests: a real Pebble, the certsmith binary, and a sandbox per test.

Run with Debian's interpreter: `/usr/bin/python3 -m pytest -q tests/e2e`.
CERTSMITH_BIN selects the binary (default build/certsmith).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pebble_env import HarnessError, PebbleEnv  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = float(os.environ.get("CERTSMITH_E2E_TIMEOUT", "120"))
# Commands that talk to the CA named by --server (certonly is handled on its own).
SERVER_COMMANDS = ("register", "update_account", "update-account", "show_account", "show-account",
                   "unregister", "rollover-account-key", "reconfigure")
# Commands that may ask a question, so the harness passes -n.
INTERACTIVE_COMMANDS = ("certonly", "renew", "revoke", "delete", "register", "update_account",
                        "update-account", "unregister", "rollover-account-key", "reconfigure")


def certsmith_path() -> Path:
    return Path(os.environ.get("CERTSMITH_BIN", REPO / "build" / "certsmith")).resolve()


@pytest.fixture(scope="session")
def certsmith() -> Path:
    """Path of the certsmith binary under test; fails (never skips) when it is missing."""
    path = certsmith_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"certsmith binary not found at {path}: build it (`bash tests/run.sh` does) "
                    f"or set CERTSMITH_BIN", pytrace=False)
    return path


def _start_pebble(workdir: Path, options: dict) -> PebbleEnv:
    # Ports are picked free, then bound by Pebble a moment later; with tests running in parallel
    # (pytest-xdist) another process can take one in between, so a failed start is retried on new ports.
    for attempt in range(3):
        env = PebbleEnv(workdir / f"start-{attempt}" if attempt else workdir, **options)
        try:
            return env.start()
        except HarnessError as e:
            if attempt == 2:
                pytest.fail(str(e), pytrace=False)
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def pebble(request, tmp_path_factory):
    """A Pebble + challtestsrv for the whole test module.

    Options (PebbleEnv keyword arguments, e.g. {"nonce_reject": 50}) come from indirect parametrization
    or from a module-level PEBBLE_OPTIONS dict.
    """
    options = dict(getattr(request.module, "PEBBLE_OPTIONS", {}))
    options.update(getattr(request, "param", None) or {})
    env = _start_pebble(tmp_path_factory.mktemp("pebble"), options)
    yield env
    env.stop()


@pytest.fixture
def pebble_factory(tmp_path_factory):
    """Starts extra Pebbles with chosen options inside one test; all are stopped afterwards."""
    started: list[PebbleEnv] = []

    def make(**options) -> PebbleEnv:
        env = _start_pebble(tmp_path_factory.mktemp("pebble"), options)
        started.append(env)
        return env

    yield make
    for env in started:
        env.stop()


def assert_tree_safe(config_dir: Path) -> None:
    """No private key in the tree is group/other accessible and no symlink dangles."""
    config_dir = Path(config_dir)
    if not config_dir.exists():
        return
    problems = []
    for dirpath, dirnames, filenames in os.walk(config_dir):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                if not path.exists():
                    problems.append(f"dangling symlink {path} -> {os.readlink(path)}")
                continue
            is_key = (name.startswith("privkey") and name.endswith(".pem")) or name == "private_key.json"
            if is_key and stat.S_IMODE(st.st_mode) & 0o077:
                problems.append(f"private key {path} has mode {stat.S_IMODE(st.st_mode):04o}")
    assert not problems, "unsafe config tree:\n" + "\n".join(problems)


def describe(result: subprocess.CompletedProcess) -> str:
    """Everything about a run, for assertion messages."""
    return (f"command: {' '.join(map(str, result.args))}\nexit: {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")


@dataclass
class CertsmithRunner:
    """Runs certsmith in one test's sandbox: its own config, work and logs dirs, talking to `server`."""

    binary: Path
    sandbox: Path
    server: str
    ca_bundle: Path
    http_port: int
    runs: list = field(default_factory=list)

    @property
    def config_dir(self) -> Path:
        return self.sandbox / "config"

    @property
    def work_dir(self) -> Path:
        return self.sandbox / "work"

    @property
    def logs_dir(self) -> Path:
        return self.sandbox / "logs"

    @property
    def system_cli_ini(self) -> Path:
        """Where certsmith looks for the system cli.ini in tests (absent unless a test writes it)."""
        return self.sandbox / "etc-letsencrypt" / "cli.ini"

    def argv(self, *args: str, server: str | None = None, dirs: bool = True,
             non_interactive: bool = True) -> list[str]:
        """The command line `certsmith ARGS` runs as; certonly also gets --server, --http-01-port, -n and
        --no-preflight (unless the test gives --dns-resolvers);
        renew gets --no-random-sleep-on-renew (stdin is no TTY, so it would otherwise wait up to 8 minutes)
        and -n; the account commands and reconfigure get --server and -n; revoke and delete get -n
        (revoke takes the lineage's server unless the test gives one). non_interactive=False leaves -n out.

        renew gets no --server/--http-01-port: it must use what each renewal conf recorded, and the renew
        tests check that it does (pass them explicitly to override). dirs=False leaves out
        --config-dir/--work-dir/--logs-dir (e.g. for --version).
        """
        argv = [str(self.binary), *map(str, args)]
        if dirs:
            argv += ["--config-dir", str(self.config_dir), "--work-dir", str(self.work_dir),
                     "--logs-dir", str(self.logs_dir)]
        command = args[0] if args else None
        if command == "certonly":
            if "--server" not in args:
                argv += ["--server", server or self.server]
            if "--http-01-port" not in args:
                argv += ["--http-01-port", str(self.http_port)]
        # The test names resolve only in Pebble's mock DNS: the automatic preflight would warn about each.
        # It runs where a test gives its own resolvers (the test BIND), as test_doctor.py does.
        if "certonly" in args[:2] and "--dns-resolvers" not in args and "--no-preflight" not in args:
            argv.append("--no-preflight")
        if command == "renew" and "--no-random-sleep-on-renew" not in args:
            argv.append("--no-random-sleep-on-renew")
        if command in SERVER_COMMANDS and "--server" not in args:
            argv += ["--server", server or self.server]
        if (non_interactive and command in INTERACTIVE_COMMANDS and "-n" not in args
                and "--non-interactive" not in args):
            argv.append("-n")
        return argv

    def environment(self, env: dict | None = None) -> dict[str, str]:
        """The process environment: ours, REQUESTS_CA_BUNDLE = Pebble's listener cert, XDG_CONFIG_HOME = the
        sandbox's xdg-config (so a developer's ~/.config/letsencrypt/cli.ini never leaks in),
        CERTSMITH_SYSTEM_CLI_INI = the sandbox's etc-letsencrypt/cli.ini (so the machine's
        /etc/letsencrypt/cli.ini never does; see system_cli_ini), then `env` on top (a value of None
        removes a variable).

        The certbot fixture runs with this environment too: certbot ignores CERTSMITH_SYSTEM_CLI_INI and
        still reads /etc/letsencrypt/cli.ini (Debian's sets max-log-backups = 0 and preconfigured-renewal,
        harmless to these tests)."""
        run_env = os.environ.copy()
        run_env["REQUESTS_CA_BUNDLE"] = str(self.ca_bundle)
        run_env["XDG_CONFIG_HOME"] = str(self.sandbox / "xdg-config")
        run_env["CERTSMITH_SYSTEM_CLI_INI"] = str(self.system_cli_ini)
        for key, value in (env or {}).items():
            if value is None:
                run_env.pop(key, None)
            else:
                run_env[key] = value
        return run_env

    def __call__(self, *args: str, server: str | None = None, dirs: bool = True, env: dict | None = None,
                 check_tree: bool = True, timeout: float = RUN_TIMEOUT,
                 non_interactive: bool = True) -> subprocess.CompletedProcess:
        """Runs `certsmith ARGS` (command line as argv() builds it, environment as environment()) to its end."""
        argv = self.argv(*args, server=server, dirs=dirs, non_interactive=non_interactive)
        try:
            result = subprocess.run(argv, cwd=self.sandbox, env=self.environment(env), stdin=subprocess.DEVNULL,
                                    capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"certsmith did not finish within {timeout}s: {' '.join(argv)}\n"
                        f"stdout: {e.stdout}\nstderr: {e.stderr}", pytrace=False)
        self.runs.append(result)
        if check_tree:
            assert_tree_safe(self.config_dir)
        return result

    def start(self, *args: str, env: dict | None = None, **popen_kwargs) -> subprocess.Popen:
        """Starts `certsmith ARGS` in the background (stdout/stderr piped as text unless overridden)."""
        popen_kwargs.setdefault("stdout", subprocess.PIPE)
        popen_kwargs.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.argv(*args), cwd=self.sandbox, env=self.environment(env),
                                stdin=subprocess.DEVNULL, text=True, **popen_kwargs)

    def certonly(self, *domains: str, extra: tuple = (), **kwargs) -> subprocess.CompletedProcess:
        """certonly --standalone for `domains` with an unsafe-without-email account."""
        args = ["certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email"]
        for d in domains:
            args += ["-d", d]
        return self(*args, *extra, **kwargs)


@pytest.fixture
def sandbox(tmp_path) -> Path:
    path = tmp_path / "sandbox"
    path.mkdir()
    return path


@pytest.fixture
def make_runner(certsmith, sandbox):
    """make_runner(pebble_env) -> a CertsmithRunner bound to this test's sandbox and that Pebble."""

    def make(env: PebbleEnv) -> CertsmithRunner:
        return CertsmithRunner(certsmith, sandbox, env.directory_url, env.ca_bundle, env.http_port)

    return make


@pytest.fixture
def run_certsmith(make_runner, pebble) -> CertsmithRunner:
    """A CertsmithRunner bound to this test's sandbox and the module's Pebble."""
    return make_runner(pebble)


@pytest.fixture
def trust_files(pebble, tmp_path):
    """(root, intermediate) PEM files of the module's Pebble, fetched from its management port."""
    return pebble.write_trust_files(tmp_path / "trust")


@pytest.fixture
def certbot(run_certsmith, pebble):
    """Runs the Debian certbot on the test's tree (its config, work and logs dirs), trusting the module's Pebble."""
    binary = shutil.which("certbot")
    if binary is None:
        pytest.fail("certbot is not installed: run `bash packaging/install-deps.sh --test` as root", pytrace=False)
    run = run_certsmith

    def certbot_run(*args: str) -> subprocess.CompletedProcess:
        argv = [binary, *args, "--config-dir", str(run.config_dir), "--work-dir", str(run.work_dir),
                "--logs-dir", str(run.logs_dir), "-n"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=run.sandbox,
                                stdin=subprocess.DEVNULL, env=run.environment())
        return result

    return certbot_run


@pytest.fixture(scope="module")
def bind_pebble(request, tmp_path_factory):
    """(bind, pebble) for the whole test module: a BIND 9 named authoritative for example.test and
    acme-delegate.test (tests/e2e/bind_env.py), and a Pebble whose -dnsserver is that named, so dns-01 is
    validated against what certsmith's RFC 2136 updates wrote. PEBBLE_OPTIONS apply as for `pebble`."""
    from bind_env import BindEnv

    bind = BindEnv(tmp_path_factory.mktemp("bind"))
    try:
        bind.start()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    options = dict(getattr(request.module, "PEBBLE_OPTIONS", {}))
    options["dns_server"] = bind.server
    try:
        env = _start_pebble(tmp_path_factory.mktemp("pebble"), options)
    except BaseException:
        bind.stop()
        raise
    yield bind, env
    env.stop()
    bind.stop()


@pytest.fixture
def nginx_webroot(pebble, tmp_path):
    """A real nginx on Pebble's http-01 port (IPv4 and IPv6 loopback) serving tmp/www (with an index.html)."""
    from nginx_env import Nginx

    webroot = tmp_path / "www"
    webroot.mkdir()
    (webroot / "index.html").write_text("hello\n")
    server = Nginx(tmp_path / "nginx", pebble.http_port, webroot)
    try:
        server.start()
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()
