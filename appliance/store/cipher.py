"""Optional encryption at rest of photos and personal fields (AES-256-GCM).

A booth can be stolen or its SD card pulled; with a key in the device settings the card alone
reveals neither faces nor names. The `cryptography` library is used rather than hand-written
crypto. Without a key, PlainCipher stores bytes as they are (an explicit choice in settings).

Sealed text is randomised (a fresh nonce each time), so it cannot be searched; `lookup_key` gives
the deterministic, keyed digest that finding an earlier photo of the same student needs. With a
key it is an HMAC under a key derived from the encryption key, so the card alone cannot be used to
test guessed student numbers against it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.store.errors import StoreError

_NONCE_BYTES = 12
_TEXT_PREFIX = "enc1:"
_LOOKUP_LABEL = b"appliance.store capture-code lookup v1"


class FieldCipher(Protocol):
    encrypted: bool

    def seal(self, data: bytes) -> bytes: ...
    def open(self, data: bytes) -> bytes: ...
    def seal_text(self, text: str) -> str: ...
    def open_text(self, text: str) -> str: ...
    def lookup_key(self, text: str) -> str: ...


class PlainCipher:
    encrypted = False

    def seal(self, data: bytes) -> bytes:
        return data

    def open(self, data: bytes) -> bytes:
        return data

    def seal_text(self, text: str) -> str:
        return text

    def open_text(self, text: str) -> str:
        if text.startswith(_TEXT_PREFIX):
            raise StoreError("store: a field is encrypted but no store.encryption_key_file is set")
        return text

    def lookup_key(self, text: str) -> str:
        return hmac.new(_LOOKUP_LABEL, text.encode("utf-8"), hashlib.sha256).hexdigest()


class AesGcmCipher:
    encrypted = True

    def __init__(self, key: bytes):
        if len(key) != 32:
            raise StoreError("store: the encryption key must be 32 bytes (64 hex digits)")
        self._aead = AESGCM(key)
        self._lookup = hmac.new(key, _LOOKUP_LABEL, hashlib.sha256).digest()

    @classmethod
    def from_key_file(cls, path: Path) -> AesGcmCipher:
        try:
            text = Path(path).read_text(encoding="ascii").strip()
            key = bytes.fromhex(text)
        except FileNotFoundError:
            raise StoreError(f"store: encryption key file not found: {path}") from None
        except (ValueError, UnicodeDecodeError):
            raise StoreError(f"store: encryption key file {path} must hold 64 hex digits") from None
        return cls(key)

    def seal(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data, None)

    def open(self, data: bytes) -> bytes:
        try:
            return self._aead.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], None)
        except InvalidTag:
            raise StoreError("store: encrypted data does not match the key (wrong key or damaged file)") \
                from None

    def seal_text(self, text: str) -> str:
        return _TEXT_PREFIX + base64.b64encode(self.seal(text.encode("utf-8"))).decode("ascii")

    def open_text(self, text: str) -> str:
        if not text.startswith(_TEXT_PREFIX):
            return text  # written before encryption was switched on
        return self.open(base64.b64decode(text[len(_TEXT_PREFIX):])).decode("utf-8")

    def lookup_key(self, text: str) -> str:
        return hmac.new(self._lookup, text.encode("utf-8"), hashlib.sha256).hexdigest()


def cipher_from_key_file(path: Path | None) -> FieldCipher:
    return PlainCipher() if path is None else AesGcmCipher.from_key_file(path)
