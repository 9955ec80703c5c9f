"""An HTTPS proxy in front of Pebble 2.4 that refuses every newOrder with a `rateLimited` problem, which
Pebble itself never sends.

It is ari_proxy.AriProxy (everything else forwarded to Pebble with its Host header, no renewalInfo) except
that a POST to the directory's newOrder URL is answered by the proxy: HTTP 429, an RFC 8555 rateLimited
problem document with `detail`, `Retry-After: retry_after` (None = no header) and a fresh Replay-Nonce
fetched from Pebble, so the client's next request still carries a nonce Pebble accepts.
Only the standard library is used (Debian's /usr/bin/python3 runs the e2e tests).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from ari_proxy import AriProxy

RATE_LIMITED = "urn:ietf:params:acme:error:rateLimited"


class RateLimitProxy(AriProxy):
    """HTTPS on 127.0.0.1:<free port> with Pebble's listener cert, forwarding to Pebble on upstream_port."""

    def __init__(self, upstream_port: int, cert: str | Path, key: str | Path, ca_bundle: str | Path,
                 detail: str = "too many certificates (5) already issued for this exact set of identifiers",
                 retry_after: str | None = "3600"):
        super().__init__(upstream_port, cert, key, ca_bundle, offer_ari=False)
        self.detail = detail
        self.retry_after = retry_after
        self.refused_orders = 0
        self.refusing = True  # False: newOrder goes to Pebble like everything else
        self.new_nonce_path = "/nonce-plz"  # Pebble's; replaced by what its directory says

    def _rewrite_directory(self, data: bytes) -> bytes:
        try:
            directory = json.loads(data)
            self.new_nonce_path = urlsplit(directory["newNonce"]).path
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        return super()._rewrite_directory(data)

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None):
        new_order_path = urlsplit(self.new_order_url).path if self.new_order_url else None
        if not self.refusing or method != "POST" or path != new_order_path:
            return super()._forward(method, path, headers, body)
        with self._lock:
            self.refused_orders += 1
        _, _, nonce_headers, _ = super()._forward("HEAD", self.new_nonce_path, headers, None)
        answer = [("Content-Type", "application/problem+json")]
        answer += [(name, value) for name, value in nonce_headers if name.lower() == "replay-nonce"]
        if self.retry_after is not None:
            answer.append(("Retry-After", self.retry_after))
        problem = {"type": RATE_LIMITED, "detail": self.detail, "status": 429}
        return 429, "Too Many Requests", answer, json.dumps(problem).encode()
