"""The delivery contract: what a binding must hold for the collection server to file its photo.

Every way a student is bound - a plain code, a reference code, a collection unit's plug-in decoder,
a student-number login - ends here at scan time, before the student sits down: a binding the
server would refuse with HTTP 422 after the photo was taken is refused now, with the reason on the
screen. The collection server's upload schema (appliance/ingest/payloads.py) is built from the
same patterns, so the two cannot drift apart. docs/capture-code-format.md states the contract.

Required for every photo: the session code, a filing key (the 16-hex capture code, or
`student:<student number>` after a login without a code) and a 5-digit school code (from the
code, else the booth's `codes.school_code`). Optional: name, student number, ID number - sent
only when known, never as empty strings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from appliance.binding import errors
from appliance.binding.model import CAPTURE_CODE, SCHOOL_CODE, CodeFields

CAPTURE_CODE_PATTERN = CAPTURE_CODE.pattern
SCHOOL_CODE_PATTERN = SCHOOL_CODE.pattern
STUDENT_NUMBER_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
# Resident ID (digits, X), passports and permits (letters and digits), masked forms (*).
DOCUMENT_NUMBER_PATTERN = r"^[0-9A-Za-z*]{1,32}$"
LOGIN_PREFIX = "student:"
FILING_KEY_PATTERN = r"^(?:[0-9a-f]{16}|student:[A-Za-z0-9_-]{1,32})$"
NAME_MAX_CHARS = 64

_STUDENT_NUMBER = re.compile(STUDENT_NUMBER_PATTERN)
_DOCUMENT_NUMBER = re.compile(DOCUMENT_NUMBER_PATTERN)


def _printable(text: str) -> bool:
    return not any(unicodedata.category(ch).startswith("C") for ch in text)


def deliverable(fields: CodeFields, booth_school_code: str) -> CodeFields:
    """The fields as they will be uploaded (capture code lower-cased, school code filled in), or
    the refusal that tells the student and the staff why the booth cannot take this code."""
    capture = fields.capture_code.strip().lower()
    if capture and not CAPTURE_CODE.match(capture):
        raise errors.InvalidCodeContent()
    student = fields.student_number.strip()
    if student and not _STUDENT_NUMBER.match(student):
        raise errors.InvalidCodeContent()
    if not capture and not student:
        raise errors.InvalidCodeContent()
    if len(fields.name) > NAME_MAX_CHARS or not _printable(fields.name):
        raise errors.InvalidCodeContent()
    id_number = fields.id_number.strip().upper()
    if id_number and not _DOCUMENT_NUMBER.match(id_number):
        raise errors.InvalidCodeContent()
    school = fields.school_code.strip()
    if school and not SCHOOL_CODE.match(school):
        raise errors.InvalidCodeContent()
    if school and booth_school_code and school != booth_school_code:
        raise errors.WrongSchool()
    school = school or booth_school_code
    if not school:
        raise errors.NoSchoolCode()
    return replace(fields, capture_code=capture, student_number=student, id_number=id_number, school_code=school)


def personal_of(fields: CodeFields) -> dict[str, str]:
    """The upload's `personal` object: only the values that are known (the server refuses "")."""
    values = {"name": fields.name, "student_number": fields.student_number, "id_number": fields.id_number}
    return {key: value for key, value in values.items() if value}
