"""A real Pebble ACME server plus pebble-challtestsrv on free loopback ports.

Used by the e2e tests (tests/e2e/conftest.py) and by packaging/demo.sh:

    /usr/bin/python3 tests/e2e/pebble_env.py up --state-dir DIR

starts both, writes DIR/env (shell variables: PEBBLE_DIRECTORY_URL,
PEBBLE_CA_BUNDLE, PEBBLE_HTTP_PORT, ...) once the directory answers, and stays
running until SIGTERM/SIGINT, when it stops both servers.

Only the standard library is used, so it runs with Debian's /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

INSTALL_HINT = "pebble is not installed: run `bash packaging/install-deps.sh --test` as root"

_PR_SET_PDEATHSIG = 1


class HarnessError(RuntimeError):
    """The test environment itself could not be set up."""


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Returns `count` distinct ports that were free on `host` a moment ago."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the harness dies, so no Pebble outlives a crashed test run."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def generate_tls_cert(directory: Path) -> tuple[Path, Path]:
    """Creates a self-signed P-256 cert/key for localhost and 127.0.0.1; returns (cert, key)."""
    cert = directory / "pebble-tls.pem"
    key = directory / "pebble-tls.key"
    openssl = shutil.which("openssl")
    if openssl is None:
        raise HarnessError("openssl is not installed: run `bash packaging/install-deps.sh --test` as root")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-days", "2", "-keyout", str(key), "-out", str(cert)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


# /usr/share/doc/pebble/examples/pebble-config-external-account-bindings.json
EXAMPLE_EAB_KEYS = {
    "kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W",
    "kid-2": "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH",
}


class PebbleEnv:
    """Pebble + pebble-challtestsrv, both on 127.0.0.1, with their logs in `workdir`.

    nonce_reject: percentage of nonces Pebble rejects (PEBBLE_WFE_NONCEREJECT; Pebble's own default is 5,
    ours is 0 so a failure means something). validity_seconds: certificateValidityPeriod (None = Pebble's
    5 years). default_ipv6: AAAA answer of the mock DNS ("" = no AAAA, so Pebble validates over IPv4 only).
    eab_keys: {kid: base64url HMAC key}; when set, Pebble requires external account binding (RFC 8555
    §7.3.4) and accepts these keys (EXAMPLE_EAB_KEYS are the ones Debian's Pebble documents).
    dns_server: "HOST:PORT" of a real DNS server (tests/e2e/bind_env.py) for Pebble's -dnsserver; then no
    challtestsrv is started and its helpers (set_txt, add_a, ...) are not available.
    """

    def __init__(self, workdir: str | os.PathLike, nonce_reject: int = 0, validity_seconds: int | None = None,
                 default_ipv6: str | None = None, extra_env: dict[str, str] | None = None,
                 startup_timeout: float = 20.0, eab_keys: dict[str, str] | None = None,
                 dns_server: str | None = None):
        self.workdir = Path(workdir)
        self.nonce_reject = nonce_reject
        self.validity_seconds = validity_seconds
        self.default_ipv6 = default_ipv6
        self.extra_env = dict(extra_env or {})
        self.startup_timeout = startup_timeout
        self.eab_keys = dict(eab_keys) if eab_keys is not None else None
        self.dns_server = dns_server
        self._pebble: subprocess.Popen | None = None
        self._challtestsrv: subprocess.Popen | None = None
        self._log_files: list = []
        self.listen_port = self.management_port = self.http_port = self.tls_port = 0
        self.dns_port = self.challtestsrv_management_port = 0
        self.ca_bundle = self.workdir / "pebble-tls.pem"  # Pebble's listener cert: the client's CA bundle
        self.tls_key = self.workdir / "pebble-tls.key"
        self.pebble_log = self.workdir / "pebble.log"
        self.challtestsrv_log = self.workdir / "challtestsrv.log"

    # ----- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "PebbleEnv":
        pebble_bin = shutil.which("pebble")
        challtestsrv_bin = shutil.which("pebble-challtestsrv")
        if pebble_bin is None or challtestsrv_bin is None:
            raise HarnessError(INSTALL_HINT)
        self.workdir.mkdir(parents=True, exist_ok=True)
        cert, key = generate_tls_cert(self.workdir)
        self.ca_bundle, self.tls_key = cert, key
        (self.listen_port, self.management_port, self.http_port, self.tls_port,
         self.dns_port, self.challtestsrv_management_port) = free_ports(6)

        config = {
            "listenAddress": f"127.0.0.1:{self.listen_port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(cert),
            "privateKey": str(key),
            "httpPort": self.http_port,
            "tlsPort": self.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self.eab_keys is not None,
        }
        if self.eab_keys is not None:
            config["externalAccountMACKeys"] = self.eab_keys
        if self.validity_seconds is not None:
            config["certificateValidityPeriod"] = self.validity_seconds
        config_path = self.workdir / "pebble-config.json"
        config_path.write_text(json.dumps({"pebble": config}, indent=2) + "\n")

        try:
            if self.dns_server is None:
                self._challtestsrv = self._spawn(
                    [challtestsrv_bin, "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "", "-https01", "",
                     "-tlsalpn01", "", "-management", f"127.0.0.1:{self.challtestsrv_management_port}"]
                    + (["-defaultIPv6", self.default_ipv6] if self.default_ipv6 is not None else []),
                    self.challtestsrv_log, os.environ.copy())
                self._wait_tcp(self.challtestsrv_management_port, self._challtestsrv, self.challtestsrv_log)
                self._wait_tcp(self.dns_port, self._challtestsrv, self.challtestsrv_log)

            env = os.environ.copy()
            env.update({"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": str(self.nonce_reject)})
            env.update(self.extra_env)
            self._pebble = self._spawn(
                [pebble_bin, "-config", str(config_path), "-dnsserver",
                 self.dns_server or f"127.0.0.1:{self.dns_port}"],
                self.pebble_log, env)
            self._wait_directory()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in (self._pebble, self._challtestsrv):
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._pebble = self._challtestsrv = None
        for f in self._log_files:
            f.close()
        self._log_files = []

    def __enter__(self) -> "PebbleEnv":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def pids(self) -> list[int]:
        return [p.pid for p in (self._pebble, self._challtestsrv) if p is not None and p.poll() is None]

    def _spawn(self, argv: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen:
        log = open(log_path, "ab")
        self._log_files.append(log)
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=self.workdir, preexec_fn=_die_with_parent)

    def _deadline_check(self, deadline: float, proc: subprocess.Popen, log_path: Path, what: str) -> None:
        if proc.poll() is not None:
            raise HarnessError(f"{what} exited with status {proc.returncode}; log {log_path}:\n{_tail(log_path)}")
        if time.monotonic() > deadline:
            raise HarnessError(f"{what} did not come up within {self.startup_timeout}s; log {log_path}:\n"
                               f"{_tail(log_path)}")

    def _wait_tcp(self, port: int, proc: subprocess.Popen, log_path: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                pass
            self._deadline_check(deadline, proc, log_path, f"{Path(proc.args[0]).name} (port {port})")
            time.sleep(0.05)

    def _wait_directory(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        assert self._pebble is not None
        while True:
            try:
                directory = json.loads(self._get(self.directory_url))
                if "newNonce" in directory:
                    return
            except (OSError, ValueError, urllib.error.URLError):
                pass
            self._deadline_check(deadline, self._pebble, self.pebble_log, "pebble")
            time.sleep(0.05)

    # ----- facts for clients -----------------------------------------------------------------------

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.listen_port}/dir"

    @property
    def management_url(self) -> str:
        return f"https://127.0.0.1:{self.management_port}"

    @property
    def account_server_dir(self) -> str:
        """Where certbot (and certsmith) keep accounts for this server below accounts/."""
        return f"127.0.0.1:{self.listen_port}/dir"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def _get(self, url: str, timeout: float = 5.0) -> bytes:
        with urllib.request.urlopen(url, context=self.ssl_context(), timeout=timeout) as resp:
            return resp.read()

    def directory(self) -> dict:
        return json.loads(self._get(self.directory_url))

    # ----- Pebble management interface ------------------------------------------------------------

    def root_pem(self, index: int = 0) -> str:
        return self._get(f"{self.management_url}/roots/{index}").decode()

    def intermediate_pem(self, index: int = 0) -> str:
        return self._get(f"{self.management_url}/intermediates/{index}").decode()

    def cert_status(self, serial_hex: str) -> dict:
        """Pebble's view of a certificate: {"Status": "Valid"|"Revoked", ...}."""
        serial = serial_hex.lower().replace(":", "").lstrip("0") or "0"
        return json.loads(self._get(f"{self.management_url}/cert-status-by-serial/{serial}"))

    def write_trust_files(self, directory: str | os.PathLike) -> tuple[Path, Path]:
        """Writes Pebble's root and intermediate to `directory`; returns (root, intermediate) paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        root = directory / "pebble-root.pem"
        intermediate = directory / "pebble-intermediate.pem"
        root.write_text(self.root_pem())
        intermediate.write_text(self.intermediate_pem())
        return root, intermediate

    # ----- pebble-challtestsrv (mock DNS) ---------------------------------------------------------

    def _challtestsrv_post(self, path: str, body: dict) -> None:
        req = urllib.request.Request(f"http://127.0.0.1:{self.challtestsrv_management_port}{path}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()

    def set_default_ipv4(self, ip: str) -> None:
        self._challtestsrv_post("/set-default-ipv4", {"ip": ip})

    def set_default_ipv6(self, ip: str) -> None:
        """"" makes the mock DNS answer no AAAA records, so Pebble validates over IPv4 only."""
        self._challtestsrv_post("/set-default-ipv6", {"ip": ip})

    def add_a(self, host: str, addresses: list[str]) -> None:
        self._challtestsrv_post("/add-a", {"host": host, "addresses": addresses})

    def clear_a(self, host: str) -> None:
        self._challtestsrv_post("/clear-a", {"host": host})

    def add_aaaa(self, host: str, addresses: list[str]) -> None:
        self._challtestsrv_post("/add-aaaa", {"host": host, "addresses": addresses})

    def clear_aaaa(self, host: str) -> None:
        self._challtestsrv_post("/clear-aaaa", {"host": host})

    def set_txt(self, host: str, value: str) -> None:
        self._challtestsrv_post("/set-txt", {"host": host, "value": value})

    def clear_txt(self, host: str) -> None:
        self._challtestsrv_post("/clear-txt", {"host": host})

    # ----- logs ------------------------------------------------------------------------------------

    def log_text(self) -> str:
        return self.pebble_log.read_text(errors="replace") if self.pebble_log.exists() else ""

    def validations(self, name: str) -> int:
        """How many challenges for identifier NAME Pebble's VA has taken up so far, passed or failed (one
        "Pulled a task" line each; a wildcard's challenge is for its base name). Pebble 2.4 reuses a valid authorization of the
        same account now and then even at PEBBLE_AUTHZREUSE=0 (wfe.makeAuthorizations: a new one only when
        rand.Intn(100) > the percentage), and a reused one is not validated again: a test counting
        challenge-side effects of a step (hook calls, TXT records, fetches) expects as many as the
        difference of this count across the step."""
        return sum(1 for line in self.log_text().splitlines()
                   if "Pulled a task from the Tasks queue" in line and f'Value:"{name}"}}' in line)

    def http01_fetches(self, name: str) -> int:
        """How many http-01 requests for NAME Pebble's VA has made so far: several for each validation (it
        validates from several perspectives, "Starting 3 validations." in 2.4)."""
        return sum(1 for line in self.log_text().splitlines()
                   if f"Attempting to validate w/ HTTP: http://{name}:" in line)

    def authorizations_created(self) -> int:
        """How many authorizations Pebble has created so far (one "There are now N authorizations in the db"
        line each; a reused one is not created again)."""
        return sum(1 for line in self.log_text().splitlines()
                   if re.search(r"There are now \d+ authorizations in the db", line))

    def shell_env(self) -> dict[str, str]:
        return {
            "PEBBLE_DIRECTORY_URL": self.directory_url,
            "PEBBLE_CA_BUNDLE": str(self.ca_bundle),
            "PEBBLE_HTTP_PORT": str(self.http_port),
            "PEBBLE_TLS_PORT": str(self.tls_port),
            "PEBBLE_MANAGEMENT_URL": self.management_url,
            "PEBBLE_LOG": str(self.pebble_log),
            "PEBBLE_HARNESS_PID": str(os.getpid()),
        }


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def serve_until_signalled(tool: str, state_dir: str, make_env, exited) -> int:
    """The `up` command of a harness: start make_env(state_dir), write STATE_DIR/env (shell variables,
    also on stdout), then run until SIGTERM/SIGINT/SIGHUP and stop it. exited(env) returns a message
    when a server died (the run then ends with status 1)."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    env_file = state_dir / "env"
    env_file.unlink(missing_ok=True)
    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    env = make_env(state_dir)
    try:
        env.start()
    except HarnessError as e:
        print(f"{tool}: {e}", file=sys.stderr)
        return 1
    try:
        text = "".join(f"{k}={_shell_quote(v)}\n" for k, v in env.shell_env().items())
        tmp = env_file.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, env_file)
        sys.stdout.write(text)
        sys.stdout.flush()
        while not stop["flag"]:
            problem = exited(env)
            if problem:
                print(f"{tool}: {problem}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    finally:
        env.stop()
        env_file.unlink(missing_ok=True)
    return 0


def _pebble_exited(env: PebbleEnv) -> str | None:
    for proc, log in ((env._pebble, env.pebble_log), (env._challtestsrv, env.challtestsrv_log)):
        if proc is not None and proc.poll() is not None:
            return f"{proc.args[0]} exited; log {log}:\n{_tail(log)}"
    return None


def _cmd_up(args: argparse.Namespace) -> int:
    return serve_until_signalled(
        "pebble_env", args.state_dir,
        lambda state_dir: PebbleEnv(state_dir, nonce_reject=args.nonce_reject,
                                    validity_seconds=args.validity_seconds, default_ipv6=args.default_ipv6),
        _pebble_exited)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start Pebble + challtestsrv, write STATE_DIR/env, run until signalled")
    up.add_argument("--state-dir", default=None, help="where config, TLS cert, logs and env go (default: a temp dir)")
    up.add_argument("--nonce-reject", type=int, default=0, help="PEBBLE_WFE_NONCEREJECT percentage (default 0)")
    up.add_argument("--validity-seconds", type=int, default=None, help="certificateValidityPeriod")
    up.add_argument("--default-ipv6", default=None, help="AAAA answer of the mock DNS (\"\" for none)")
    args = parser.parse_args(argv)
    if args.command == "up":
        if args.state_dir is None:
            args.state_dir = tempfile.mkdtemp(prefix="pebble-env-")
        return _cmd_up(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
