"""What a decoded capture code is and what a finished binding hands to the session.

Raw fields are kept for the photo's record and the upload; everything meant for a screen or a log
goes through `display_fields`, and the raw values are left out of repr() so that an object printed
in a traceback or a debug log does not leak a name or an ID number.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from appliance.privacy import mask_code, mask_id_number, mask_name

CAPTURE_CODE = re.compile(r"^[0-9a-f]{16}$")
FEATURE_CODE = re.compile(r"^[0-9a-f]{24}$")
SCHOOL_CODE = re.compile(r"^\d{5}$")
SESSION_CODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


@dataclass(frozen=True)
class CodeFields:
    """The fields of SPEC §1. A plain code carries only `capture_code`; the rest are then empty."""

    capture_code: str
    name: str = field(default="", repr=False)
    student_number: str = field(default="", repr=False)
    sex: str = field(default="", repr=False)
    id_number: str = field(default="", repr=False)
    feature_code: str = ""
    major: str = field(default="", repr=False)
    level: str = ""
    category: str = ""
    school_code: str = ""
    session: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class PriorCapture:
    """A photo already taken for this student, as the photo store reports it."""

    photo_id: str
    captured_at: str
    server_confirmed: bool = False


@dataclass(frozen=True)
class Binding:
    """A validated student for the next photo.

    `key` is what the photo is filed under (the capture code, or the student number after a
    login without one). When `retake_of` is set, the operator must confirm a retake; the new
    photo then supersedes the old one, which is kept until the server confirms.
    """

    format: str
    session_code: str
    fields: CodeFields = field(repr=False)
    retake_of: PriorCapture | None = None

    @property
    def key(self) -> str:
        if self.fields.capture_code:
            return self.fields.capture_code
        return "student:" + self.fields.student_number

    @property
    def retake_needed(self) -> bool:
        return self.retake_of is not None

    @property
    def display(self) -> dict[str, str]:
        return display_fields(self.fields)


def display_fields(fields: CodeFields) -> dict[str, str]:
    """The fields as they may be shown on a screen or logged: names and numbers masked, empties dropped."""
    masked = fields.as_dict()
    masked["capture_code"] = mask_code(fields.capture_code)
    masked["name"] = mask_name(fields.name)
    masked["student_number"] = mask_code(fields.student_number)
    masked["id_number"] = mask_id_number(fields.id_number)
    return {key: value for key, value in masked.items() if value}
