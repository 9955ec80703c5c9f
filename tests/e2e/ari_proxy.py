"""An HTTPS proxy that gives Pebble 2.4 ACME Renewal Information (RFC 9773), which it lacks.

Everything is forwarded to Pebble unchanged, Host header included (as in hostile_proxy.py: Pebble builds
its URLs from Host and checks each JWS `url` against the URL it was asked on, so every URL the client
sees points at the proxy and every signature still matches), except that

- the directory gains "renewalInfo": "https://127.0.0.1:PORT/renewal-info" (unless offer_ari is False);
- GET /renewal-info/<certID> is answered by the proxy itself with `answer` (an AriAnswer: a
  suggestedWindow, a Retry-After, or something hostile), and each such request is recorded;
- the payload of every JWS POST is decoded and recorded, so a test sees what newOrder carried.

Only the standard library is used (Debian's /usr/bin/python3 runs the e2e tests).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import http.server
import json
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pebble_env import free_ports

RENEWAL_INFO_PATH = "/renewal-info"

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length", "accept-encoding"}


def rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class AriAnswer:
    """What the proxy sends for GET /renewal-info/<certID>.

    body: bytes sent as they are, then `tail` repeated tail_repeat times (a huge answer without building
    it in memory). close_delimited: no Content-Length, the body ends when the connection closes (what
    libcurl's CURLOPT_MAXFILESIZE does not see).
    """

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "application/json")])
    close_delimited: bool = False
    tail: bytes = b""
    tail_repeat: int = 0

    @classmethod
    def window(cls, start: dt.datetime, end: dt.datetime, retry_after: int | None = None,
               explanation_url: str | None = None) -> "AriAnswer":
        """An RFC 9773 §4.2 renewalInfo object with this suggestedWindow (and Retry-After, in seconds)."""
        body: dict = {"suggestedWindow": {"start": rfc3339(start), "end": rfc3339(end)}}
        if explanation_url is not None:
            body["explanationURL"] = explanation_url
        answer = cls(body=json.dumps(body).encode())
        if retry_after is not None:
            answer.headers.append(("Retry-After", str(retry_after)))
        return answer

    def length(self) -> int:
        return len(self.body) + len(self.tail) * self.tail_repeat


@dataclass
class RenewalInfoRequest:
    method: str
    cert_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SignedRequest:
    """A JWS POST as the client sent it: the protected header and the decoded payload (None = POST-as-GET)."""

    path: str
    protected: dict
    payload: object


class AriProxy:
    """HTTPS on 127.0.0.1:<free port> with Pebble's listener cert, forwarding to Pebble on upstream_port."""

    def __init__(self, upstream_port: int, cert: str | Path, key: str | Path, ca_bundle: str | Path,
                 answer: AriAnswer | None = None, offer_ari: bool = True):
        self.upstream_port = upstream_port
        self.answer = answer or AriAnswer(status=404, body=b'{"type":"urn:ietf:params:acme:error:malformed"}',
                                          headers=[("Content-Type", "application/problem+json")])
        self.offer_ari = offer_ari
        self.renewal_info_requests: list[RenewalInfoRequest] = []
        self.signed_requests: list[SignedRequest] = []
        self.new_order_url: str | None = None  # from the last directory Pebble sent
        self._lock = threading.Lock()
        self._upstream_ctx = ssl.create_default_context(cafile=str(ca_bundle))
        self._server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_ctx.load_cert_chain(str(cert), str(key))
        self.port = free_ports(1)[0]
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ----- facts for tests -------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def directory_url(self) -> str:
        return f"{self.origin}/dir"

    @property
    def renewal_info_url(self) -> str:
        return f"{self.origin}{RENEWAL_INFO_PATH}"

    def new_orders(self) -> list[dict]:
        """The payloads of the newOrder requests seen so far, oldest first."""
        with self._lock:
            return [r.payload for r in self.signed_requests
                    if self.new_order_url is not None and r.protected.get("url") == self.new_order_url]

    def ari_requests(self) -> list[RenewalInfoRequest]:
        with self._lock:
            return list(self.renewal_info_requests)

    # ----- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "AriProxy":
        self._server.socket = self._server_ctx.wrap_socket(self._server.socket, server_side=True,
                                                           do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, name="ari-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "AriProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----- internals -------------------------------------------------------------------------------

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.upstream_port, context=self._upstream_ctx, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.reason, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _record_signed(self, path: str, body: bytes) -> None:
        try:
            jws = json.loads(body)
            protected = json.loads(b64url_decode(jws["protected"]))
            payload = json.loads(b64url_decode(jws["payload"])) if jws["payload"] else None
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            self.signed_requests.append(SignedRequest(path, protected, payload))

    def _rewrite_directory(self, data: bytes) -> bytes:
        try:
            directory = json.loads(data)
        except ValueError:
            return data
        if not isinstance(directory, dict):
            return data
        with self._lock:
            self.new_order_url = directory.get("newOrder")
        if self.offer_ari:
            directory["renewalInfo"] = self.renewal_info_url
        return json.dumps(directory).encode()

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

            def _read_body(self) -> bytes | None:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else (b"" if self.command == "POST" else None)

            def _renewal_info(self, body: bytes | None) -> None:
                cert_id = self.path[len(RENEWAL_INFO_PATH) + 1:]
                with proxy._lock:
                    proxy.renewal_info_requests.append(
                        RenewalInfoRequest(self.command, cert_id, dict(self.headers.items()), body or b""))
                    answer = proxy.answer
                self.send_response_only(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if answer.close_delimited:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(answer.length()))
                self.end_headers()
                if self.command == "HEAD":
                    return
                try:
                    self.wfile.write(answer.body)
                    for _ in range(answer.tail_repeat):
                        self.wfile.write(answer.tail)
                except OSError:
                    # The client stopped reading a body it found too big: what the hostile tests want.
                    self.close_connection = True

            def _handle(self):
                body = self._read_body()
                if self.path.startswith(RENEWAL_INFO_PATH + "/"):
                    self._renewal_info(body)
                    return
                if self.command == "POST" and body:
                    proxy._record_signed(self.path, body)
                try:
                    status, reason, headers, data = proxy._forward(self.command, self.path,
                                                                   list(self.headers.items()), body)
                except OSError as e:
                    self.send_error(502, f"upstream: {e}")
                    return
                if self.command == "GET" and urlsplit(self.path).path == "/dir" and status == 200:
                    data = proxy._rewrite_directory(data)
                self.send_response_only(status, reason)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _handle

        return Handler
