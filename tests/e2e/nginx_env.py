"""A real nginx serving a webroot on loopback, for webroot (http-01) tests.

Everything nginx writes (pid, logs, temp dirs) stays in its own temp directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from pebble_env import HarnessError, _die_with_parent, _tail

NGINX_HINT = "nginx is not installed: run `bash packaging/install-deps.sh --test` as root"


class Nginx:
    """nginx in the foreground on 127.0.0.1:port and [::1]:port with `root` as document root.

    vhosts maps host names to document roots of their own (name-based virtual hosts on the same port), as a
    server hosting several sites has; any other name gets `root`. proxies maps host names to a loopback port
    nginx passes their requests to (e.g. a standalone http-01 responder behind the same port 80).
    """

    def __init__(self, workdir: str | os.PathLike, port: int, root: str | os.PathLike, ipv6: bool = True,
                 vhosts: dict[str, str | os.PathLike] | None = None, proxies: dict[str, int] | None = None):
        self.workdir = Path(workdir)
        self.port = port
        self.root = Path(root)
        self.ipv6 = ipv6
        self.vhosts = {name: Path(path) for name, path in (vhosts or {}).items()}
        self.proxies = dict(proxies or {})
        self.access_log = self.workdir / "access.log"
        self.error_log = self.workdir / "error.log"
        self._proc: subprocess.Popen | None = None
        self._stderr = None

    def start(self) -> "Nginx":
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
        if nginx is None:
            raise HarnessError(NGINX_HINT)
        self.workdir.mkdir(parents=True, exist_ok=True)
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        listen = f"listen 127.0.0.1:{self.port};" + (f" listen [::1]:{self.port};" if self.ipv6 else "")
        # As root, workers would drop to "nobody" and could not read pytest's 0700 temp dirs.
        user = "user root root;" if os.geteuid() == 0 else ""
        tmp = self.workdir / "tmp"
        vhosts = "".join(f"""
    server {{
        {listen}
        server_name {name};
        root {root};
    }}""" for name, root in self.vhosts.items())
        vhosts += "".join(f"""
    server {{
        {listen}
        server_name {name};
        location / {{ proxy_pass http://127.0.0.1:{port}; proxy_set_header Host $host; }}
    }}""" for name, port in self.proxies.items())
        conf = self.workdir / "nginx.conf"
        conf.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {self.workdir}/nginx.pid;
error_log {self.error_log} info;
events {{ worker_connections 64; }}
http {{
    access_log {self.access_log};
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type application/octet-stream;
    server {{
        {listen.replace(";", " default_server;")}
        server_name _;
        root {self.root};
    }}{vhosts}
}}
""")
        self._stderr = open(self.workdir / "stderr.log", "ab")
        self._proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.workdir), "-e", "stderr"],
                                      stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=subprocess.STDOUT,
                                      preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise HarnessError(f"nginx did not start on port {self.port}:\n"
                                   f"{_tail(self.workdir / 'stderr.log')}\n{_tail(self.error_log)}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()  # SIGTERM: fast shutdown of master and worker
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def access_lines(self) -> list[str]:
        return self.access_log.read_text(errors="replace").splitlines() if self.access_log.exists() else []
