"""HMAC-SHA256 request signing shared by the booth (client) and the collection server.

The signature covers method, path, timestamp, nonce and the body's sha256, so a captured request
cannot be replayed (the server remembers nonces for the skew window and refuses old timestamps)
nor altered. Keys are per device, so one stolen booth can be revoked alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from appliance.errors import SettingsError

HEADER_DEVICE = "X-Device-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
HEADER_SERVER_TIME = "X-Server-Time"
NONCE_PATTERN = r"^[0-9a-f]{16,64}$"


def canonical_request(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(
        (method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest())
    ).encode("ascii")


def sign(key: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(key, canonical_request(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def signature_matches(
    key: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes, signature: str
) -> bool:
    return hmac.compare_digest(sign(key, method, path, timestamp, nonce, body), signature)


def signed_headers(
    device_id: str, key: bytes, method: str, path: str, body: bytes, now: float
) -> dict[str, str]:
    timestamp = str(int(now))
    nonce = secrets.token_hex(16)
    return {
        HEADER_DEVICE: device_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(key, method, path, timestamp, nonce, body),
    }


def parse_key(text: str, where: str) -> bytes:
    """Device keys are written as hex (at least 32 bytes) so they survive copy and paste."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise SettingsError(f"{where}: the device key must be hex digits") from None
    if len(key) < 32:
        raise SettingsError(f"{where}: the device key must be at least 32 bytes (64 hex digits)")
    return key


def read_key_file(path: Path) -> bytes:
    try:
        return parse_key(Path(path).read_text(encoding="ascii"), str(path))
    except FileNotFoundError:
        raise SettingsError(f"uplink: device key file not found: {path}") from None
