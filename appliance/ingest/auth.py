"""Checking a request's signature, age and nonce on the collection server.

The order matters for clear answers: a missing header, an unknown device, a stale timestamp, a
wrong signature and a replayed nonce each get their own error code (all 401), and the nonce is
only remembered once the signature is good, so garbage cannot fill the nonce table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from appliance.ingest.metadata import Metadata
from appliance.uplink.signing import (
    HEADER_DEVICE,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    NONCE_PATTERN,
    signature_matches,
)

_NONCE = re.compile(NONCE_PATTERN)


class AuthError(Exception):
    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code = code
        self.status = status


def authenticate(
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    keys: Mapping[str, bytes],
    metadata: Metadata,
    now: float,
    max_skew_s: float,
) -> str:
    """Return the signing device's id, or raise AuthError saying what is wrong."""
    device = headers.get(HEADER_DEVICE, "")
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    nonce = headers.get(HEADER_NONCE, "")
    signature = headers.get(HEADER_SIGNATURE, "")
    if not (device and timestamp and nonce and signature):
        raise AuthError("unsigned", "request is not signed (X-Device-Id, X-Timestamp, X-Nonce, X-Signature)")
    key = keys.get(device)
    if key is None:
        raise AuthError("unknown_device", "device is not registered with this server")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise AuthError("bad_timestamp", "X-Timestamp must be unix seconds")
    if abs(int(timestamp) - now) > max_skew_s:
        raise AuthError("clock_skew", "request time is too far from the server's time (see X-Server-Time)")
    if not _NONCE.match(nonce):
        raise AuthError("bad_nonce", "X-Nonce must be 16-64 lowercase hex digits")
    if not signature_matches(key, method, path, timestamp, nonce, body, signature):
        raise AuthError("bad_signature", "signature does not match the request")
    if not metadata.use_nonce(device, nonce, now, 2 * max_skew_s):
        raise AuthError("replayed", "this request was already received (nonce reused)")
    return device
