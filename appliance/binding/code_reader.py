"""Capture codes read from the camera and bound to the active run, as the session's `CodeReader` port.

The binder knows codes, rosters and runs; the session knows a masked `Binding` or a refusal. This
is the one place that translates between them (session/ports.py keeps the session's side).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from appliance.binding import errors as code_errors
from appliance.binding.binder import CodeBinder
from appliance.binding.collection_run import CollectionRun
from appliance.binding.model import Binding as CodeBinding
from appliance.binding.model import PriorCapture
from appliance.capture.camera.base import Frame
from appliance.capture.qr import Engine, scan_qr
from appliance.errors import split_message
from appliance.privacy import mask_code
from appliance.session.ports import CodeRejected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoundStudent:
    """The session's view of a binding: the three identity fields it masks before showing."""

    binding: CodeBinding = field(repr=False)

    @property
    def capture_code(self) -> str:
        return self.binding.key

    @property
    def name(self) -> str:
        return self.binding.fields.name

    @property
    def id_number(self) -> str:
        return self.binding.fields.id_number

    @property
    def prior_capture(self) -> PriorCapture | None:
        """The earlier photo of this student, when the code was already photographed (a retake)."""
        return self.binding.retake_of


class QrCodeReader:
    """Reads capture codes from guidance frames and binds them to the active collection run."""

    def __init__(self, binder: CodeBinder, run: CollectionRun, engine: Engine = "combined") -> None:
        self._binder = binder
        self._run = run
        self._engine = engine
        self._lock = threading.Lock()

    def replace_binder(self, binder: CodeBinder) -> None:
        """The operator changed the accepted school codes; the next scan uses them."""
        with self._lock:
            self._binder = binder

    def read(self, frame: Frame) -> BoundStudent | CodeRejected | None:
        """The first code in the guidance frame's view, bound to the run (or why it cannot be)."""
        results = scan_qr(frame.lores, self._engine)
        if not results:
            return None
        with self._lock:
            binder = self._binder
        try:
            binding = binder.bind(results[0].text, self._run.session_code, self._run.roster)
        except code_errors.CodeRejected as exc:
            log.info("capture code refused: %s", exc.reason)
            return CodeRejected(*split_message(str(exc)))
        log.info("capture code %s bound", mask_code(binding.key))
        return BoundStudent(binding)

    def login(self, student_number: str, id_number: str) -> BoundStudent | CodeRejected:
        """Student number + ID number against the run's roster (when the school allows it)."""
        with self._lock:
            binder = self._binder
        try:
            binding = binder.login(student_number[:32], id_number[:32], self._run.session_code, self._run.roster)
        except code_errors.CodeRejected as exc:
            log.info("student login refused: %s", exc.reason)
            return CodeRejected(*split_message(str(exc)))
        log.info("student %s logged in", mask_code(binding.key))
        return BoundStudent(binding)

    def login_allowed(self) -> bool:
        """Whether the screen offers the login: allowed by settings, with a roster loaded."""
        with self._lock:
            binder = self._binder
        return binder.allows_login and self._run.roster is not None and len(self._run.roster) > 0
