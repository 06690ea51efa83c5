"""Masking of personal data for screens and logs.

Names, ID numbers and capture codes identify a student; everything shown outside the operator's
own detail view, and everything logged, goes through these functions so that one rule applies
everywhere (a name keeps its first and last character, an ID number its last four).
"""

from __future__ import annotations


def mask_name(name: str) -> str:
    """黄小正 -> 黄*正, 李四 -> 李*, a single character stays as it is."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(value: str) -> str:
    """Keep only the last four characters of an ID number."""
    value = (value or "").strip()
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_code(value: str, keep: int = 4) -> str:
    """A capture code or student number shown by its first and last `keep` characters."""
    value = (value or "").strip()
    if len(value) <= 2 * keep:
        return value[:1] + "*" * max(len(value) - 1, 0)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
