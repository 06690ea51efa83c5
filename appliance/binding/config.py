"""The `codes` section of the settings: how capture codes are read, decoded and validated.

Keys of the reference format live here (provisioned per device); they are SecretStr so that a
settings dump or a validation error never prints them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_KEY_ID = re.compile(r"^[A-Z0-9]{1,8}$")
_KEY_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class CodesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # QR engine: "combined" measured best in scripts/bench_qr.py (see appliance/capture/qr.py).
    scanner: Literal["combined", "combined-zbar", "zxing", "pyzbar"] = "combined"
    # Decoders tried in order; built-in "reference" and "plain", or an entry point's name in the
    # group appliance.code_decoders (a collection unit's own format).
    decoders: list[str] = Field(default_factory=lambda: ["reference", "plain"], min_length=1)
    # Options handed to a plug-in decoder's factory, by decoder name.
    decoder_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Reference-format keys by key id (1-8 of A-Z0-9): 64 hex digits = 32 bytes of AES-256 key.
    reference_keys: dict[str, SecretStr] = Field(default_factory=dict)
    # School feature codes (特征码, 24 hex) this booth accepts; empty = not checked.
    school_feature_codes: list[str] = Field(default_factory=list)
    # The booth's school (5-digit school code, e.g. 10403): filed with every photo whose code does
    # not carry one (a plain code never does); a code naming another school is refused. Empty:
    # only codes that carry their school code are accepted.
    school_code: str = Field("", pattern=r"^(\d{5})?$")
    # Student-number + ID-number login against the session's roster, for schools that allow it.
    allow_student_login: bool = False
    # With a roster loaded, refuse a code whose student is not on it.
    require_roster_match: bool = True
    max_roster_rows: int = Field(20_000, ge=10, le=200_000)

    @field_validator("reference_keys")
    @classmethod
    def _keys_well_formed(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id):
                raise ValueError(f"key id {key_id!r} must be 1-8 characters of A-Z and 0-9")
            if not _KEY_HEX.match(key.get_secret_value()):
                raise ValueError(f"key {key_id!r} must be 64 hex digits (32 bytes)")
        return keys

    @field_validator("school_feature_codes")
    @classmethod
    def _feature_codes_well_formed(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not re.fullmatch(r"[0-9a-fA-F]{24}", code):
                raise ValueError("学校特征码须为24位十六进制数字 / each school feature code is 24 hex digits")
        return [code.lower() for code in codes]

    def key_bytes(self) -> dict[str, bytes]:
        return {key_id: bytes.fromhex(key.get_secret_value()) for key_id, key in self.reference_keys.items()}
