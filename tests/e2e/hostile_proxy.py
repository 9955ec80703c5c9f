"""An HTTPS proxy in front of Pebble that lets a test tamper with what the server says.

Pebble never sends hostile data, so tests that need a lying server put this proxy
between certsmith and Pebble. Requests are forwarded unchanged, Host header
included: Pebble builds its URLs from Host and checks each JWS `url` against
the URL it was asked on, so every URL the client sees points at the proxy and
every signature still matches. A `rewrite` callback may change JSON responses.
"""

from __future__ import annotations

import http.client
import http.server
import json
import ssl
import threading
from pathlib import Path
from typing import Callable

from pebble_env import free_ports

# Called with (method, path, response_json); returns the JSON to send instead (or the same object).
Rewrite = Callable[[str, str, object], object]

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length"}


def token_rewriter(new_token: str) -> Rewrite:
    """Replaces the token of every challenge in authorization and challenge objects with `new_token`."""

    def rewrite(method: str, path: str, body: object) -> object:
        if not isinstance(body, dict):
            return body
        for challenge in body.get("challenges", []) if isinstance(body.get("challenges"), list) else []:
            if isinstance(challenge, dict) and "token" in challenge:
                challenge["token"] = new_token
        if "token" in body and "type" in body:
            body["token"] = new_token
        return body

    return rewrite


class HostileProxy:
    """HTTPS on 127.0.0.1:<free port>, forwarding to Pebble's listener and rewriting JSON responses."""

    def __init__(self, upstream_port: int, cert: str | Path, key: str | Path, ca_bundle: str | Path,
                 rewrite: Rewrite):
        self.upstream_port = upstream_port
        self.rewrite = rewrite
        self.rewritten = 0  # responses whose JSON the rewrite changed
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._upstream_ctx = ssl.create_default_context(cafile=str(ca_bundle))
        self._server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_ctx.load_cert_chain(str(cert), str(key))
        self.port = free_ports(1)[0]
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def start(self) -> "HostileProxy":
        self._server.socket = self._server_ctx.wrap_socket(self._server.socket, server_side=True,
                                                           do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "HostileProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.upstream_port, context=self._upstream_ctx, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() != "accept-encoding":
                    conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.reason, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _maybe_rewrite(self, method: str, path: str, headers: list[tuple[str, str]], data: bytes) -> bytes:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if "json" not in content_type or not data:
            return data
        try:
            parsed = json.loads(data)
        except ValueError:
            return data
        original = json.dumps(parsed, sort_keys=True)
        changed = self.rewrite(method, path, parsed)
        if json.dumps(changed, sort_keys=True) == original:
            return data
        with self._lock:
            self.rewritten += 1
        return json.dumps(changed).encode()

    def _handler_class(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # keep pytest output clean
                pass

            def setup(self):
                super().setup()
                self.connection.settimeout(30)
                self.connection.do_handshake()

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else (b"" if self.command == "POST" else None)
                with proxy._lock:
                    proxy.requests.append((self.command, self.path))
                try:
                    status, reason, headers, data = proxy._forward(self.command, self.path,
                                                                   list(self.headers.items()), body)
                except OSError as e:
                    self.send_error(502, f"upstream: {e}")
                    return
                data = proxy._maybe_rewrite(self.command, self.path, headers, data)
                self.send_response_only(status, reason)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _relay

        return Handler
