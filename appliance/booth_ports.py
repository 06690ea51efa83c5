"""The real parts behind the session's ports: the engine's guidance, the code reader, the producer,
the store.

Each adapter is thin on purpose: the state machine only knows the Protocols in session/ports.py, and
the subsystems only know their own types, so this is the one place that translates between them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from appliance.binding import errors as code_errors
from appliance.binding.binder import CodeBinder
from appliance.binding.contract import personal_of
from appliance.binding.model import Binding as CodeBinding
from appliance.binding.model import PriorCapture
from appliance.binding.roster import Roster
from appliance.capture.qr import Engine, scan_qr
from appliance.inference.checks.lighting import lighting_measures
from appliance.inference.engine import Analyzer, Report
from appliance.privacy import mask_code
from appliance.produce.encode import encode_in_window
from appliance.produce.photo import produce_photo
from appliance.session.ports import CodeRejected, Guidance, Product
from appliance.settings import Settings
from appliance.store.errors import PhotoConflictError
from appliance.store.photo_store import PhotoStore

log = logging.getLogger(__name__)

# Priority of the one message shown, as SPEC §4 and the engine's report order give it.
_LIVENESS_CHECK = "liveness"


def first_failure(checks: Sequence[Any], advisory: Collection[str] = ()) -> Any | None:
    """The highest-priority failed check that blocks; the engine already orders its report."""
    for check in checks:
        if not check.passed and check.id not in advisory:
            return check
    return None


def verdict_of(checks: Sequence[Any], advisory: Collection[str] = ()) -> str:
    return "fail" if first_failure(checks, advisory) is not None else "pass"


class EngineGuide:
    """Live guidance from the analysis engine: one message, the mesh for liveness, the spoof score.

    `advisory` lists check ids that are shown but do not block (the demo's portrait smiles and is
    framed for a portrait screen, which no setting can change); empty on a real booth.
    """

    def __init__(self, analyzer: Analyzer, advisory: Collection[str] = ()) -> None:
        self._analyzer = analyzer
        self.advisory = frozenset(advisory)
        self.lighting_listeners: list[Callable[[float | None, float | None], None]] = []

    def evaluate(self, frame: np.ndarray) -> Guidance:
        report = self._analyzer.check(frame, live=True)
        failed = first_failure(report.checks, self.advisory)
        mesh = report.analysis.mesh
        spoof = next((c.value for c in report.checks if c.id == _LIVENESS_CHECK), None)
        self._report_lighting(report)
        if failed is None:
            zh, en = "很好，请保持不动", "Good, hold still"
        else:
            zh, en = failed.message_zh, failed.message_en
        return Guidance(
            passed=failed is None,
            message_zh=zh,
            message_en=en,
            checks=[c.to_dict() | ({"detail": c.detail} if c.detail else {}) for c in report.checks],
            landmarks=None if mesh is None else np.asarray(mesh.points, dtype=np.float64),
            spoof_score=None if spoof is None else float(spoof),
        )

    def _report_lighting(self, report: Report) -> None:
        """Feed the LED ring's closed loop with the face's exposure and left/right balance."""
        if not self.lighting_listeners:
            return
        analysis = report.analysis.for_checks
        measures = lighting_measures(analysis) if analysis.mesh is not None else {}
        luma = measures.get("mean")
        balance = None
        if measures:
            # signed, image coordinates: > 0 when the image's right half of the face is brighter
            left, right = measures["left"], measures["right"]
            balance = (right - left) / max(right + left, 1.0)
        for listener in self.lighting_listeners:
            try:
                listener(luma, balance)
            except Exception:
                log.exception("lighting listener failed")


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


class StorePriorCaptures:
    """The binder's `captured_lookup`: the latest photo the store holds for a capture-code key.

    A photo counts as server-confirmed once the collection server's review accepted it; until then
    the subject is told the retake replaces it, and the store keeps both.
    """

    def __init__(self, store: PhotoStore) -> None:
        self._store = store

    def __call__(self, key: str) -> PriorCapture | None:
        record = self._store.latest_for_capture(key)
        if record is None:
            return None
        return PriorCapture(
            photo_id=record.sha256,
            captured_at=time.strftime("%Y-%m-%d %H:%M", time.localtime(record.captured_at)),
            server_confirmed=record.review_state == "accepted",
        )


@dataclass
class CollectionRun:
    """The active collection run (场次) the operator set up: its code and its roster, if any."""

    session_code: str = ""
    roster: Roster | None = None
    roster_source: str = ""
    # An import with bad rows waiting for the operator's yes before it replaces `roster`.
    pending_roster: Any = None


def split_message(text: str) -> tuple[str, str]:
    """Binding errors carry 'Chinese / English' in one line; the screen shows them separately."""
    zh, _, en = text.partition(" / ")
    return zh.strip(), (en or zh).strip()


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

    def read(self, frame: np.ndarray) -> BoundStudent | CodeRejected | None:
        results = scan_qr(frame, self._engine)
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


class StandardProducer:
    """The collector's standard photo from the chosen still (appliance.produce), as the session's port.

    `settings` is public so the operator console's validated changes reach the next photo.
    Advisory checks (the demo's) do not block: a product refused only by them is encoded as the
    producer would have encoded it, and the report says which checks were advisory.
    """

    def __init__(self, analyzer: Analyzer, settings: Settings, advisory: Collection[str] = ()) -> None:
        self._analyzer = analyzer
        self.settings = settings
        self._advisory = frozenset(advisory)

    def produce(self, still: np.ndarray) -> Product:
        settings = self.settings
        # the still's face is where the live track left it a moment ago: searched there first
        analysis = self._analyzer.analyze(still, seed=self._analyzer.live_seed(still.shape))
        result = produce_photo(self._analyzer, still, settings, analysis=analysis)
        if result.report is None:
            return Product(False, None, result.reason_zh, result.reason_en, report={"refusal": result.code})
        jpeg = result.jpeg
        only_advisory = first_failure(result.report.checks, self._advisory) is None
        if jpeg is None and only_advisory and result.image is not None:
            cfg = settings.produce
            spec = cfg.spec()
            jpeg = encode_in_window(result.image, int(spec.min_kb * 1024), int(spec.max_kb * 1024),
                                    cfg.min_quality, cfg.max_quality, spec.dpi).data
        if jpeg is None:
            return Product(False, None, result.reason_zh, result.reason_en,
                           report={"refusal": result.code, "checks": [c.to_dict() for c in result.report.checks]})
        return product_from_report(jpeg, result.report, self._advisory, producer="standard")


def _binding_of(student: Any) -> tuple[str, str, str]:
    """(session code, capture key, school code): what the store files a photo under."""
    code_binding: CodeBinding = student.binding
    return code_binding.session_code, code_binding.key, code_binding.fields.school_code


def product_from_report(jpeg: bytes, report: Report, advisory: Collection[str], producer: str) -> Product:
    failed = first_failure(report.checks, advisory)
    summary = {
        "verdict": verdict_of(report.checks, advisory),
        "engine_verdict": report.verdict,
        "producer": producer,
        "advisory": sorted(advisory),
        "checks": [c.to_dict() for c in report.checks],
    }
    if failed is None:
        return Product(True, jpeg, report=summary)
    return Product(False, jpeg, failed.message_zh, failed.message_en, report=summary)


class StorePhotoSink:
    """Commits the accepted photo to the durable store and returns the subject's receipt; says
    beforehand when the store cannot take a photo at all, or cannot take this one for this subject."""

    def __init__(self, store: PhotoStore, store_dir: Path | None = None) -> None:
        # `store_dir` is no longer needed (the store names its files); kept for existing callers.
        self._store = store

    def commit(self, binding: Any, product: Product) -> dict[str, Any]:
        if product.jpeg is None:
            raise ValueError("an accepted product has no JPEG")
        code_binding: CodeBinding = binding.binding
        fields = code_binding.fields
        personal = personal_of(fields)
        record = self._store.commit_accepted(
            *_binding_of(binding), product.jpeg, product.report, personal=personal,
        )
        return {
            "session": record.session_code,
            "capture_code": record.masked_capture_code,
            "photo": str(self._store.photo_path(record.sha256)),
            "sha256": record.sha256,
            "verdict": product.report.get("verdict", "pass"),
            "bytes": record.size_bytes,
        }

    def refusal(self, binding: Any, product: Product) -> tuple[str, str] | None:
        if product.jpeg is None:
            return None
        try:
            self._store.check_binding(product.jpeg, *_binding_of(binding))
        except PhotoConflictError as exc:
            return split_message(str(exc))
        return None

    def unavailable(self) -> tuple[str, str] | None:
        problem = self._store.capture_problem()
        return None if problem is None else split_message(problem)
