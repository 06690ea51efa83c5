"""Checking a request's signature, age and nonce on the collection server.

Headers are checked for shape first (ASCII digits, hex nonce), since a malformed value must be a
401, never a 500. An unknown device and a wrong signature give the same answer, after the same
HMAC work (against a throw-away key for an unknown device), so nobody without a key can tell which
device ids exist. The nonce is only remembered once the signature is good, so garbage cannot fill
the nonce table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Protocol

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
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also takes "¹²³"
_DEVICE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class HeaderLookup(Protocol):
    """A request's headers (werkzeug's case-insensitive Headers, or a plain mapping in tests)."""

    def get(self, key: str, default: str, /) -> str: ...


class AuthError(Exception):
    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code = code
        self.status = status


def authenticate(
    headers: HeaderLookup,
    method: str,
    path: str,
    body: bytes,
    key_of: Callable[[str], bytes | None],
    metadata: Metadata,
    now: float,
    max_skew_s: float,
) -> str:
    """Return the signing device's id, or raise AuthError saying what is wrong.

    `key_of` answers a device's current key, or None for a device that is unknown or revoked."""
    device = headers.get(HEADER_DEVICE, "")
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    nonce = headers.get(HEADER_NONCE, "")
    signature = headers.get(HEADER_SIGNATURE, "")
    if not (device and timestamp and nonce and signature):
        raise AuthError("unsigned", "request is not signed (X-Device-Id, X-Timestamp, X-Nonce, X-Signature)")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise AuthError("bad_timestamp", "X-Timestamp must be unix seconds (ASCII digits)")
    if abs(int(timestamp) - now) > max_skew_s:
        raise AuthError("clock_skew", "request time is too far from the server's time (see X-Server-Time)")
    if not _NONCE.match(nonce):
        raise AuthError("bad_nonce", "X-Nonce must be 16-64 lowercase hex digits")
    key = key_of(device) if _DEVICE.fullmatch(device) else None
    well_formed = _SIGNATURE.fullmatch(signature) is not None  # compare_digest takes ASCII only
    decoy = secrets.token_bytes(32)
    good = signature_matches(key or decoy, method, path, timestamp, nonce, body, signature if well_formed else "")
    if key is None or not good or not well_formed:
        raise AuthError("bad_signature", "unknown device or signature does not match the request")
    if not metadata.use_nonce(device, nonce, now, 2 * max_skew_s):
        raise AuthError("replayed", "this request was already received (nonce reused)")
    return device

