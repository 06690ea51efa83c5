"""Live guidance from the analysis engine, as the session's `Guide` port (session/ports.py).

The engine knows checks and reports; the session knows one message and a pass. This adapter picks
the one message (the engine already orders its report by priority), hands the mesh to liveness and
feeds the LED ring's lighting loop. `first_failure` is shared with the producer's verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from appliance.capture.camera.base import Frame
from appliance.inference.checks.lighting import lighting_measures
from appliance.inference.checks.liveness import LIVENESS
from appliance.inference.engine import Analyzer, Report
from appliance.session.ports import Guidance

log = logging.getLogger(__name__)


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

    def evaluate(self, frame: Frame) -> Guidance:
        report = self._analyzer.check(frame.lores, live=True)
        failed = first_failure(report.checks, self.advisory)
        mesh = report.analysis.mesh
        spoof = next((c.value for c in report.checks if c.id == LIVENESS.id), None)
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
