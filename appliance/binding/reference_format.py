"""The reference capture-code format (GPC1): AES-256-GCM with a key id, described in
docs/capture-code-format.md.

It exists for tests, demos and collection units without a format of their own. The text uses only
the QR alphanumeric character set so the code stays small (version 10 for typical fields) and
readable at 2.5 px per module. Every way a payload can be bad maps to its own refusal: a key id the
booth lacks, a key that differs from the issuer's (key check), an altered payload (GCM tag), a cut
payload (declared length), a newer format version.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import string
from collections.abc import Mapping

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.binding import errors
from appliance.binding.id_numbers import check_digit
from appliance.binding.model import CAPTURE_CODE, FEATURE_CODE, SCHOOL_CODE, SESSION_CODE, CodeFields

PREFIX = "GPC"
VERSION = "1"
KEY_ID = re.compile(r"^[A-Z0-9]{1,8}$")
FIELD_ORDER = (
    "capture_code", "name", "student_number", "sex", "id_number", "feature_code",
    "major", "level", "category", "school_code", "session",
)
_SEPARATOR = "\x1f"
_KEY_CHECK_LEN, _NONCE_LEN, _LENGTH_LEN, _TAG_LEN = 4, 12, 2, 16
_MIN_BLOB = _KEY_CHECK_LEN + _NONCE_LEN + _LENGTH_LEN + _TAG_LEN
_HEADER = re.compile(r"^GPC(\d+):")


def key_check(key: bytes) -> bytes:
    """Four bytes that tell 'made with another key' apart from 'altered'; reveal nothing usable."""
    return hmac.new(key, b"GPC1 key check", hashlib.sha256).digest()[:_KEY_CHECK_LEN]


def _b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _b32decode(text: str) -> bytes:
    if len(text) % 8 in (1, 3, 6):
        raise errors.TruncatedCode()  # no byte count encodes to these lengths: characters are missing
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise errors.TamperedCode() from None


class ReferenceCodec:
    """Encrypts CodeFields into GPC1 text and back; keys are 32 bytes, by key id."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        for key_id, key in keys.items():
            if not KEY_ID.match(key_id) or len(key) != 32:
                raise ValueError("reference keys: ids are 1-8 of A-Z0-9 and keys 32 bytes")
        self._keys = dict(keys)

    @staticmethod
    def claims(payload: str) -> bool:
        """True when the payload is meant to be in this format (any version)."""
        return bool(_HEADER.match(payload.strip().upper()))

    def encode(self, fields: CodeFields, key_id: str, nonce: bytes | None = None) -> str:
        if key_id not in self._keys:
            raise errors.UnknownKeyId()
        values = fields.as_dict()
        plaintext = _SEPARATOR.join(values[name] for name in FIELD_ORDER).encode("utf-8")
        if len(plaintext) > 0xFFFF:
            raise ValueError("reference code: fields too long")
        key = self._keys[key_id]
        nonce = nonce if nonce is not None else os.urandom(_NONCE_LEN)
        header = f"{PREFIX}{VERSION}:{key_id}:"
        check, length = key_check(key), len(plaintext).to_bytes(_LENGTH_LEN, "big")
        sealed = AESGCM(key).encrypt(nonce, plaintext, header.encode("ascii") + check + length)
        return header + _b32encode(check + nonce + length + sealed)

    def decode(self, payload: str) -> CodeFields:
        """The fields of a GPC payload, or the specific refusal (errors.CodeRejected subclasses)."""
        text = payload.strip().upper()
        version = _HEADER.match(text)
        if version is None:
            raise errors.ForeignCode()
        if version.group(1) != VERSION:
            raise errors.UnsupportedCodeVersion()
        parts = text.split(":")
        if len(parts) < 3 or not parts[2]:
            raise errors.TruncatedCode()
        if len(parts) > 3 or not KEY_ID.match(parts[1]):
            raise errors.TamperedCode()
        key_id, body = parts[1], parts[2]
        if set(body) - set(string.ascii_uppercase + "234567"):
            raise errors.TamperedCode()
        blob = _b32decode(body)
        if len(blob) < _MIN_BLOB:
            raise errors.TruncatedCode()
        check = blob[:_KEY_CHECK_LEN]
        nonce = blob[_KEY_CHECK_LEN : _KEY_CHECK_LEN + _NONCE_LEN]
        length_bytes = blob[_KEY_CHECK_LEN + _NONCE_LEN : _MIN_BLOB - _TAG_LEN]
        sealed = blob[_MIN_BLOB - _TAG_LEN :]
        expected = int.from_bytes(length_bytes, "big") + _TAG_LEN
        if len(sealed) < expected:
            raise errors.TruncatedCode()
        if len(sealed) > expected:
            raise errors.TamperedCode()
        key = self._keys.get(key_id)
        if key is None:
            raise errors.UnknownKeyId()
        if not hmac.compare_digest(check, key_check(key)):
            raise errors.WrongKey()
        header = f"{PREFIX}{VERSION}:{key_id}:".encode("ascii")
        try:
            plaintext = AESGCM(key).decrypt(nonce, sealed, header + check + length_bytes)
        except InvalidTag:
            raise errors.TamperedCode() from None
        return parse_fields(plaintext)


def parse_fields(plaintext: bytes) -> CodeFields:
    """Authenticated but still checked: an issuer's bug must not become a wrongly filed photo."""
    try:
        values = plaintext.decode("utf-8").split(_SEPARATOR)
    except UnicodeDecodeError:
        raise errors.InvalidCodeContent() from None
    if len(values) != len(FIELD_ORDER):
        raise errors.InvalidCodeContent()
    fields = CodeFields(**dict(zip(FIELD_ORDER, values, strict=True)))
    if not CAPTURE_CODE.match(fields.capture_code) or not fields.name or not fields.id_number:
        raise errors.InvalidCodeContent()
    if fields.feature_code and not FEATURE_CODE.match(fields.feature_code):
        raise errors.InvalidCodeContent()
    if fields.school_code and not SCHOOL_CODE.match(fields.school_code):
        raise errors.InvalidCodeContent()
    if fields.session and not SESSION_CODE.match(fields.session):
        raise errors.InvalidCodeContent()
    return fields


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰正"
_MAJORS = ("计算机科学与技术", "汉语言文学", "临床医学", "机械工程", "会计学", "英语")


def sample_fields(rng: np.random.Generator, **overrides: str) -> CodeFields:
    """Made-up but well-formed fields (valid ID check digit) for tests, demos and the benchmark."""
    birth = f"{rng.integers(1998, 2006)}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"
    first17 = f"{rng.integers(110000, 660000)}{birth}{rng.integers(0, 1000):03d}"
    values = {
        "capture_code": rng.bytes(8).hex(),
        "name": str(rng.choice(list(_SURNAMES))) + "".join(rng.choice(list(_GIVEN), int(rng.integers(1, 3)))),
        "student_number": str(rng.integers(2020_000000, 2022_999999)),
        "sex": str(rng.choice(["男", "女"])),
        "id_number": first17 + check_digit(first17),
        "feature_code": "5f3a9c0e1b2d4f6a8c0e1b2d",
        "major": str(rng.choice(_MAJORS)),
        "level": str(rng.choice(["本科", "专科"])),
        "category": "普通高等教育",
        "school_code": "10403",
        "session": "26031601",
    }
    values.update(overrides)
    return CodeFields(**values)
