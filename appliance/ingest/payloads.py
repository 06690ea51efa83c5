"""Shapes of the protocol's request bodies (docs/openapi.yaml describes the same), checked with
pydantic so that anything malformed becomes a 422 with the field named, never a 500."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SHA256 = r"^[0-9a-f]{64}$"
CODE = r"^[A-Za-z0-9_-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Binding(_Strict):
    sha256: str = Field(pattern=SHA256)
    session_code: str = Field(min_length=1, max_length=32, pattern=CODE)
    school_code: str = Field(min_length=1, max_length=32, pattern=CODE)
    capture_code: str = Field(min_length=1, max_length=64, pattern=CODE)
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    captured_at: float = Field(ge=0, le=1e11)
    accepted_at: float = Field(ge=0, le=1e11)
    size_bytes: int = Field(ge=1, le=100_000_000)


class Personal(_Strict):
    name: str | None = Field(None, max_length=64)
    student_number: str | None = Field(None, max_length=32, pattern=CODE)
    id_number: str | None = Field(None, max_length=32, pattern=r"^[0-9Xx*]+$")


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
