"""An HTTPS proxy that gives Pebble 2.4 ACME certificate profiles (draft-aaron-acme-profiles), which it lacks.

It is ari_proxy.AriProxy (everything forwarded to Pebble with its Host header, so every URL the client sees
points at the proxy and every JWS signature still matches; each JWS payload decoded and recorded) with two
differences:

- the directory gains "meta": {"profiles": PROFILES} (any JSON value, so tests can offer hostile ones;
  None = no "profiles" key, as Pebble 2.4 itself), and no renewalInfo;
- finalize_csrs() returns the CSRs the client sent, so a test can see what it asked for even when Pebble
  drops it from the certificate.

Pebble 2.4 ignores a "profile" it does not know in newOrder, so the order goes on; the proxy records it.
Only the standard library is used (Debian's /usr/bin/python3 runs the e2e tests).
"""

from __future__ import annotations

import json
from pathlib import Path

from ari_proxy import AriProxy, b64url_decode

_ABSENT = object()


class ProfileProxy(AriProxy):
    """HTTPS on 127.0.0.1:<free port> with Pebble's listener cert, forwarding to Pebble on upstream_port."""

    def __init__(self, upstream_port: int, cert: str | Path, key: str | Path, ca_bundle: str | Path,
                 profiles: object = None):
        super().__init__(upstream_port, cert, key, ca_bundle, offer_ari=False)
        self.profiles = profiles

    def finalize_csrs(self) -> list[bytes]:
        """DER of every CSR sent to a finalize URL, oldest first."""
        with self._lock:
            return [b64url_decode(r.payload["csr"]) for r in self.signed_requests
                    if isinstance(r.payload, dict) and isinstance(r.payload.get("csr"), str)]

    def _rewrite_directory(self, data: bytes) -> bytes:
        data = super()._rewrite_directory(data)
        if self.profiles is None:
            return data
        try:
            directory = json.loads(data)
        except ValueError:
            return data
        if not isinstance(directory, dict):
            return data
        meta = directory.setdefault("meta", {})
        meta["profiles"] = self.profiles
        return json.dumps(directory).encode()
