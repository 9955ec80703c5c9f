"""A real BIND 9 `named` on a free loopback port, authoritative for the test zones, updatable with TSIG.

Used by the dns-01 e2e tests (tests/e2e/conftest.py `bind_pebble`): Pebble validates against it
(`PebbleEnv(dns_server=bind.server)`) and certsmith's RFC 2136 authenticator updates it.

Zones (both allow updates signed with either key):
  example.test        SOA, NS ns.example.test, ns A 127.0.0.1, wildcard `* A 127.0.0.1` so that
                      http-01 and tls-alpn-01 names resolve too
  acme-delegate.test  target zone for CNAME delegation (`_acme-challenge.x.example.test CNAME
                      x.acme-delegate.test`, added by the test with add_record())

Keys: `certsmith-sha256.` (hmac-sha256) and `certsmith-sha512.` (hmac-sha512), fresh secrets per run.

named runs in the foreground without -u (as whoever runs the tests: when root, `-u bind` would need the
whole path to the workdir to be readable by bind), recursion for loopback only (to follow CNAMEs between
its zones), rndc controls off, everything it writes
(journals, pid, session key, log) in `workdir`.

    /usr/bin/python3 tests/e2e/bind_env.py up --state-dir DIR

starts it, writes DIR/env (shell variables BIND_SERVER, BIND_TSIG_*), and runs until SIGTERM/SIGINT.

Only the standard library is used, so it runs with Debian's /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pebble_env import HarnessError, _die_with_parent, _tail, serve_until_signalled

INSTALL_HINT = "BIND 9 is not installed: run `bash packaging/install-deps.sh --test` as root (bind9, bind9-dnsutils)"

# "test" itself too, as a real TLD answers: a CAA check climbs to the TLD (RFC 8659 section 3), and
# recursion for it would go nowhere (SERVFAIL).
ZONES = ("example.test", "acme-delegate.test", "test")


@dataclass(frozen=True)
class TsigKey:
    name: str  # as BIND names it, with the trailing dot
    algorithm: str  # "hmac-sha256" / "hmac-sha512"
    secret: str  # base64

    def dig_arg(self) -> str:
        """-y argument of dig and nsupdate."""
        return f"{self.algorithm}:{self.name}:{self.secret}"


def free_port_udp_and_tcp(host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on `host` a moment ago (named listens on both)."""
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            tcp.close()
            udp.close()
    raise HarnessError("no port free for both TCP and UDP on 127.0.0.1")


def _zone_text(zone: str) -> str:
    lines = [
        "$TTL 60",
        f"@ IN SOA ns.example.test. hostmaster.{zone}. 1 3600 600 86400 60",
        "@ IN NS ns.example.test.",
    ]
    if zone == "example.test":
        lines += ["ns IN A 127.0.0.1", "@ IN A 127.0.0.1", "* IN A 127.0.0.1"]
    if zone == "test":  # the name server's address, which named wants in the zone it is named in
        lines += ["ns.example IN A 127.0.0.1"]
    return "\n".join(lines) + "\n"


class BindEnv:
    """One `named` on 127.0.0.1:`port` (UDP and TCP), with its config, zones and log in `workdir`."""

    def __init__(self, workdir: str | os.PathLike, startup_timeout: float = 20.0):
        self.workdir = Path(workdir)
        self.startup_timeout = startup_timeout
        self.port = 0
        self.log_path = self.workdir / "named.log"
        self.keys = {
            "hmac-sha256": TsigKey("certsmith-sha256.", "hmac-sha256",
                                   base64.b64encode(secrets.token_bytes(32)).decode()),
            "hmac-sha512": TsigKey("certsmith-sha512.", "hmac-sha512",
                                   base64.b64encode(secrets.token_bytes(64)).decode()),
        }
        self._proc: subprocess.Popen | None = None
        self._log = None

    # ----- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "BindEnv":
        named = shutil.which("named") or ("/usr/sbin/named" if os.access("/usr/sbin/named", os.X_OK) else None)
        if named is None or shutil.which("dig") is None:
            raise HarnessError(INSTALL_HINT)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port_udp_and_tcp()
        config = self._write_config()
        self._log = open(self.log_path, "ab")
        try:
            # -g: foreground, log to stderr (our log file); -4: no IPv6 sockets.
            self._proc = subprocess.Popen([named, "-g", "-4", "-c", str(config)], stdin=subprocess.DEVNULL,
                                          stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                          preexec_fn=_die_with_parent)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "BindEnv":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def pids(self) -> list[int]:
        return [self._proc.pid] if self._proc is not None and self._proc.poll() is None else []

    def _write_config(self) -> Path:
        w = self.workdir
        key_blocks = "".join(f'key "{k.name}" {{ algorithm {k.algorithm}; secret "{k.secret}"; }};\n'
                             for k in self.keys.values())
        allow = " ".join(f'key "{k.name}";' for k in self.keys.values())
        zone_blocks = ""
        for zone in ZONES:
            # A fresh zone file each start; the journal of an earlier run would not match it.
            (w / f"{zone}.zone").write_text(_zone_text(zone))
            (w / f"{zone}.zone.jnl").unlink(missing_ok=True)
            zone_blocks += (f'zone "{zone}" {{ type primary; file "{w}/{zone}.zone"; '
                            f"allow-update {{ {allow} }}; }};\n")
        # Recursion (below) must never reach the internet: the only root server named knows is a
        # loopback address nothing listens on (not 127.0.0.1, where a system named may run and
        # recurse further), so even a priming query stays on this machine and goes nowhere.
        (w / "root.hints").write_text(". 3600000 NS a.root.test.\na.root.test. 3600000 A 127.255.255.254\n")
        zone_blocks += f'zone "." {{ type hint; file "{w}/root.hints"; }};\n'
        config = w / "named.conf"
        config.write_text(
            "options {\n"
            f'  directory "{w}";\n'
            f'  pid-file "{w}/named.pid";\n'
            f'  session-keyfile "{w}/session.key";\n'
            f'  managed-keys-directory "{w}";\n'
            f"  listen-on port {self.port} {{ 127.0.0.1; }};\n"
            "  listen-on-v6 { none; };\n"
            # With recursion off, BIND 9.18 answers a CNAME into another of its own zones with the
            # CNAME alone, and Pebble's resolver does not chase it: delegated validation
            # (_acme-challenge CNAME into acme-delegate.test) needs named to follow it. Only loopback
            # may ask, and every name the tests use is in a local zone.
            "  recursion yes;\n"
            "  allow-recursion { 127.0.0.1; };\n"
            "  allow-query { any; };\n"
            "  dnssec-validation no;\n"
            "  notify no;\n"
            "};\n"
            "controls { };\n"
            + key_blocks + zone_blocks)
        return config

    def _wait_ready(self) -> None:
        """Until named answers the SOA of every zone over both UDP and TCP."""
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                raise HarnessError(f"named exited with status {code}; log {self.log_path}:\n{_tail(self.log_path)}")
            if all(self._answers_soa(zone, tcp) for zone in ZONES for tcp in (False, True)):
                return
            if time.monotonic() > deadline:
                raise HarnessError(f"named did not come up on 127.0.0.1:{self.port} within "
                                   f"{self.startup_timeout}s; log {self.log_path}:\n{_tail(self.log_path)}")
            time.sleep(0.1)

    def _answers_soa(self, zone: str, tcp: bool) -> bool:
        result = subprocess.run(self._dig_argv(zone, "SOA", tcp=tcp, short=True), capture_output=True, text=True,
                                timeout=10)
        return result.returncode == 0 and bool(result.stdout.strip())

    # ----- facts for clients -----------------------------------------------------------------------

    @property
    def server(self) -> str:
        """"127.0.0.1:PORT": Pebble's -dnsserver and certsmith's dns_rfc2136_server/port."""
        return f"127.0.0.1:{self.port}"

    def key(self, algorithm: str = "hmac-sha256") -> TsigKey:
        return self.keys[algorithm]

    def credentials_ini(self, path: str | os.PathLike, algorithm: str = "hmac-sha256",
                        secret: str | None = None, mode: int = 0o600) -> Path:
        """Writes a certbot-dns-rfc2136 credentials file for this server and key (secret overridable, e.g. a
        wrong one) with `mode`; returns its path."""
        key = self.keys[algorithm]
        path = Path(path)
        path.write_text(
            f"dns_rfc2136_server = 127.0.0.1\n"
            f"dns_rfc2136_port = {self.port}\n"
            f"dns_rfc2136_name = {key.name.rstrip('.')}\n"
            f"dns_rfc2136_secret = {secret if secret is not None else key.secret}\n"
            f"dns_rfc2136_algorithm = {algorithm.upper()}\n")
        os.chmod(path, mode)
        return path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def shell_env(self) -> dict[str, str]:
        env = {"BIND_SERVER": self.server, "BIND_PORT": str(self.port), "BIND_LOG": str(self.log_path)}
        for algorithm, key in self.keys.items():
            suffix = algorithm.replace("hmac-", "").upper()
            env[f"BIND_TSIG_{suffix}_NAME"] = key.name.rstrip(".")
            env[f"BIND_TSIG_{suffix}_SECRET"] = key.secret
        return env

    # ----- queries and updates (dig / nsupdate) ---------------------------------------------------

    def _dig_argv(self, name: str, rtype: str, tcp: bool = False, short: bool = False) -> list[str]:
        argv = ["dig", "@127.0.0.1", "-p", str(self.port), "+norecurse", "+time=2", "+tries=2", name, rtype]
        if tcp:
            argv.append("+tcp")
        if short:
            argv.append("+short")
        return argv

    def query(self, name: str, rtype: str = "TXT") -> list[str]:
        """The answer's data for (name, rtype) as dig +short prints it; TXT values are unquoted and their
        character-strings joined."""
        result = subprocess.run(self._dig_argv(name, rtype, short=True), capture_output=True, text=True,
                                timeout=15)
        if result.returncode != 0:
            raise HarnessError(f"dig {name} {rtype} failed: {result.stdout}{result.stderr}")
        values = [line for line in result.stdout.splitlines() if line.strip()]
        if rtype.upper() == "TXT":
            values = [_join_txt(v) for v in values]
        return values

    def txt(self, name: str) -> list[str]:
        """The TXT values at `name`, sorted."""
        return sorted(self.query(name, "TXT"))

    def _nsupdate(self, zone: str, commands: list[str], algorithm: str = "hmac-sha256") -> None:
        script = (f"server 127.0.0.1 {self.port}\nzone {zone}\n" + "\n".join(commands) + "\nsend\n")
        result = subprocess.run(["nsupdate", "-y", self.keys[algorithm].dig_arg()], input=script,
                                capture_output=True, text=True, timeout=15)
        if result.returncode != 0:
            raise HarnessError(f"nsupdate for {zone} failed: {result.stdout}{result.stderr}\nscript:\n{script}")

    def add_record(self, zone: str, name: str, rtype: str, data: str, ttl: int = 60) -> None:
        """Adds `name ttl IN rtype data` to `zone` (name absolute, without the trailing dot)."""
        self._nsupdate(zone, [f"update add {name}. {ttl} IN {rtype} {data}"])

    def delete_records(self, zone: str, name: str, rtype: str) -> None:
        self._nsupdate(zone, [f"update delete {name}. IN {rtype}"])

    def add_txt(self, zone: str, name: str, value: str, ttl: int = 60) -> None:
        self.add_record(zone, name, "TXT", '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"', ttl)

    def delegate_challenge(self, name: str, target: str) -> None:
        """`_acme-challenge.<name> CNAME <target>` in example.test (CNAME delegation of validation)."""
        self.add_record("example.test", f"_acme-challenge.{name}", "CNAME", f"{target}.")


def _join_txt(text: str) -> str:
    """dig +short prints TXT as "part" "part": unquote and join the character-strings."""
    parts, i, out = [], 0, []
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                out.append(text[i])
                i += 1
            parts.append("".join(out))
            out = []
        i += 1
    return "".join(parts) if parts else text


def _named_exited(env: BindEnv) -> str | None:
    return None if env.pids() else f"named exited; log {env.log_path}:\n{_tail(env.log_path)}"


def _cmd_up(args: argparse.Namespace) -> int:
    return serve_until_signalled("bind_env", args.state_dir, BindEnv, _named_exited)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start named, write STATE_DIR/env, run until signalled")
    up.add_argument("--state-dir", default=None, help="where config, zones and log go (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.command == "up":
        if args.state_dir is None:
            args.state_dir = tempfile.mkdtemp(prefix="bind-env-")
        return _cmd_up(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
