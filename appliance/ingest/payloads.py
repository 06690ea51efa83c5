"""Shapes of the protocol's request bodies (docs/openapi.yaml describes the same), checked with
pydantic so that anything malformed becomes a 422 with the field named, never a 500.

The binding and personal objects follow the booth's delivery contract (appliance/binding/
contract.py): the patterns are the same objects, so a booth that accepted a code at scan time
cannot have its photo refused here for the shape of that code's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from appliance.binding.contract import (
    DOCUMENT_NUMBER_PATTERN,
    FILING_KEY_PATTERN,
    NAME_MAX_CHARS,
    SCHOOL_CODE_PATTERN,
    STUDENT_NUMBER_PATTERN,
)
from appliance.binding.model import SESSION_CODE

SHA256 = r"^[0-9a-f]{64}$"
CODE = r"^[A-Za-z0-9_-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Binding(_Strict):
    sha256: str = Field(pattern=SHA256)
    session_code: str = Field(min_length=1, max_length=32, pattern=SESSION_CODE.pattern)
    school_code: str = Field(pattern=SCHOOL_CODE_PATTERN)
    capture_code: str = Field(min_length=1, max_length=64, pattern=FILING_KEY_PATTERN)
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    captured_at: float = Field(ge=0, le=1e11)
    accepted_at: float = Field(ge=0, le=1e11)
    size_bytes: int = Field(ge=1, le=100_000_000)


class Personal(_Strict):
    """Every field optional; an empty string means the same as an absent field (not known)."""

    name: str | None = Field(None, max_length=NAME_MAX_CHARS)
    student_number: str | None = Field(None, pattern=STUDENT_NUMBER_PATTERN)
    id_number: str | None = Field(None, pattern=DOCUMENT_NUMBER_PATTERN)

    @field_validator("name", "student_number", "id_number", mode="before")
    @classmethod
    def _empty_is_unknown(cls, value: Any) -> Any:
        return None if value == "" else value


class UploadRequest(_Strict):
    binding: Binding
    report: dict[str, Any]
    photo_jpeg_base64: str = Field(min_length=4)
    personal: Personal | None = None


class ReviewQuery(_Strict):
    sha256: list[str] = Field(max_length=500)


class ReviewDecision(_Strict):
    sha256: str = Field(pattern=SHA256)
    state: Literal["accepted", "rejected"]
    reason: str | None = Field(None, max_length=500)


class HeartbeatRequest(_Strict):
    """A booth's state every few minutes (issue L): what a collection company watches per booth."""

    queue_depth: int = Field(ge=0, le=10_000_000)
    oldest_pending_at: float | None = Field(None, ge=0, le=1e11)
    disk_free_bytes: int | None = Field(None, ge=0, le=10**16)
    temperature_c: float | None = Field(None, ge=-60, le=200)
    software_version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._+-]+$")
    last_error: str | None = Field(None, max_length=300)
# What each binding/personal field must be, in words, for the 422 a booth's operator will read.
FIELD_RULES = {
    "binding.session_code": "场次代码应为1-32位字母、数字、- 或 _ / session code: 1-32 of letters, digits, - or _",
    "binding.school_code": (
        "学校代码应为5位数字；普通采集码不含学校代码时须在采集机设置 codes.school_code / "
        "school code must be 5 digits; for plain codes set the booth's codes.school_code"
    ),
    "binding.capture_code": (
        "采集码应为16位小写十六进制，或学号登录时的 student:学号 / "
        "capture code must be 16 lower-case hex digits, or student:<number> after a login"
    ),
    "personal.name": "姓名最长64个字符 / name: at most 64 characters",
    "personal.student_number": "学号应为1-32位字母、数字、- 或 _ / student number: 1-32 of letters, digits, - or _",
    "personal.id_number": (
        "证件号码应为1-32位数字、字母或 * / ID number: 1-32 of digits, letters or *"
    ),
}


def describe_invalid(error: Mapping[str, Any]) -> str:
    """`where: rule` for one pydantic error, in Chinese and English where the field has a rule."""
    where = ".".join(str(part) for part in error.get("loc", ())) or "body"
    rule = FIELD_RULES.get(where)
    return f"{where}: {rule}" if rule else f"{where}: {error.get('msg', 'invalid')}"
