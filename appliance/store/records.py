"""What the store hands out: plain frozen records, so callers never hold a database cursor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from appliance.privacy import mask_code


@dataclass(frozen=True)
class PhotoRecord:
    sha256: str
    session_code: str
    school_code: str
    capture_code: str
    size_bytes: int
    captured_at: float
    accepted_at: float
    upload_state: str  # pending | uploaded | refused
    attempts: int
    last_error: str | None
    review_state: str  # pending | accepted | rejected
    review_reason: str | None
    file_purged: bool

    @property
    def masked_capture_code(self) -> str:
        """The form to show on screens and in logs."""
        return mask_code(self.capture_code)


@dataclass(frozen=True)
class CaptureLinks:
    """How a photo relates to others of the same capture code: a retake, superseded, or both."""

    retake: bool
    superseded: bool


@dataclass(frozen=True)
class QueueSummary:
    """Counts for the operator console; `oldest_pending_at` tells how long the network has been gone."""

    total: int
    pending: int
    uploaded: int
    refused: int
    review_pending: int
    review_accepted: int
    review_rejected: int
    oldest_pending_at: float | None
    last_error: str | None


@dataclass(frozen=True)
class UploadItem:
    """Everything the uplink sends for one photo (the binding, the report and the bytes)."""

    sha256: str
    attempts: int
    binding: dict[str, Any]
    report: dict[str, Any]
    personal: dict[str, Any] | None = field(default=None)
