"""Checks of PRC resident ID numbers (GB 11643-1999).

An ID number typed at the booth or imported from a school's spreadsheet is often wrong in one digit
or mangled by Excel; the check digit (ISO 7064 MOD 11-2) catches almost every single-digit error, so
a bad row is reported at import rather than failing a student's login later.
"""

from __future__ import annotations

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
# Passports and Hong Kong / Macao / Taiwan permits: letters and digits, checked only for shape.
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")


def normalize_id_number(value: str) -> str:
    """Upper-case, without spaces: the form ID numbers are compared and stored in."""
    return re.sub(r"\s+", "", value or "").upper()


def check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def is_resident_id(value: str) -> bool:
    """True for an 18-character resident ID whose check digit is right."""
    value = normalize_id_number(value)
    return bool(_RESIDENT_ID.match(value)) and check_digit(value[:17]) == value[17]


def id_number_problem(value: str) -> str | None:
    """None when the value is usable as an ID number, else a bilingual reason."""
    value = normalize_id_number(value)
    if not value:
        return "身份证号为空 / ID number is empty"
    if len(value) == 18 and value[:17].isdigit():
        if value[17] not in "0123456789X":
            return "身份证号末位应为数字或X / the last character of the ID number must be a digit or X"
        if not is_resident_id(value):
            return "身份证号校验位错误 / the ID number's check digit is wrong"
        return None
    if value.isdigit():
        return "身份证号位数不对（应为18位） / the ID number must have 18 digits"
    if not _OTHER_DOCUMENT.match(value):
        return "证件号码格式不正确 / the document number is not in a known form"
    return None
