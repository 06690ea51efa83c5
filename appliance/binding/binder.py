"""Turning a scanned payload (or a student-number login) into the student the next photo belongs to.

The session calls `bind` with each code the scanner reads and `login` when a school allows it; both
return a Binding or raise the CodeRejected subclass whose message the screen shows. Whether the
student already has a photo comes from the photo store through the injected `captured_lookup`, so
this module holds no state of its own and needs no database.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from appliance.binding import errors
from appliance.binding.config import CodesSettings
from appliance.binding.contract import deliverable
from appliance.binding.decoders import CodeDecoder, decode_payload
from appliance.binding.id_numbers import normalize_id_number
from appliance.binding.model import Binding, CodeFields, PriorCapture
from appliance.binding.roster import Roster, RosterEntry
from appliance.privacy import mask_code

CapturedLookup = Callable[[str], PriorCapture | None]
log = logging.getLogger(__name__)


def _with_roster(fields: CodeFields, entry: RosterEntry) -> CodeFields:
    """Fill what the code did not carry (a plain code carries nothing) from the roster."""
    return replace(
        fields,
        name=fields.name or entry.name,
        student_number=fields.student_number or entry.student_number,
        id_number=fields.id_number or entry.id_number,
        sex=fields.sex or entry.sex,
        major=fields.major or entry.major,
        level=fields.level or entry.level,
    )


class CodeBinder:
    """Decodes and validates capture codes against the school and the active session."""

    def __init__(
        self, settings: CodesSettings, decoders: Sequence[CodeDecoder], captured_lookup: CapturedLookup
    ) -> None:
        if not decoders:
            raise ValueError("CodeBinder needs at least one decoder")
        self._settings = settings
        self._decoders = list(decoders)
        self._captured_lookup = captured_lookup
        if not settings.school_feature_codes:
            log.warning("codes.school_feature_codes is empty: codes of any school are accepted")

    def bind(self, payload: str, session_code: str | None, roster: Roster | None = None) -> Binding:
        """The validated student for a scanned payload, or a CodeRejected with the reason."""
        if not session_code:
            raise errors.NoActiveSession()
        format_name, fields = decode_payload(payload, self._decoders)
        feature_codes = self._settings.school_feature_codes
        if feature_codes and fields.feature_code and fields.feature_code.lower() not in feature_codes:
            raise errors.WrongSchool()
        if fields.session and fields.session != session_code:
            raise errors.WrongSession()
        if roster is not None:
            entry = roster.by_capture_code(fields.capture_code)
            if entry is None and fields.student_number:
                entry = roster.by_student_number(fields.student_number)
            if entry is not None:
                fields = _with_roster(fields, entry)
            elif self._settings.require_roster_match:
                raise errors.NotInRoster()
        fields = deliverable(fields, self._settings.school_code)
        return self._finish(Binding(format=format_name, session_code=session_code, fields=fields))

    @property
    def allows_login(self) -> bool:
        return self._settings.allow_student_login

    def login(
        self, student_number: str, id_number: str, session_code: str | None, roster: Roster | None
    ) -> Binding:
        """Student number + ID number against the roster; one message for every mismatch (no probing)."""
        if not self._settings.allow_student_login:
            raise errors.LoginDisabled()
        if not session_code:
            raise errors.NoActiveSession()
        if roster is None or len(roster) == 0:
            raise errors.NoRosterLoaded()
        entry = roster.by_student_number(student_number)
        given = normalize_id_number(id_number).encode()
        expected = entry.id_number.encode() if entry is not None else b"\0" * len(given)
        if entry is None or not hmac.compare_digest(given, expected):
            log.info("login refused for student %s", mask_code(student_number))
            raise errors.LoginFailed()
        fields = _with_roster(CodeFields(capture_code=entry.capture_code), entry)
        fields = deliverable(fields, self._settings.school_code)
        return self._finish(Binding(format="login", session_code=session_code, fields=fields))

    def _finish(self, binding: Binding) -> Binding:
        prior = self._captured_lookup(binding.key)
        if prior is not None:
            log.info("code %s already captured: retake needs the operator", mask_code(binding.key))
            binding = replace(binding, retake_of=prior)
        return binding
