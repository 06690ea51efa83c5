"""Which frame of the shutter's burst becomes the still: the one the engine's own checks like best.

A burst exists because a subject blinks, sways or turns at the wrong instant. So each frame's main
picture is measured with the same measures that later judge the photo: the face's blur effect
(`sharpness`), the smaller eye's lid opening (`eyes_open`) and the head pose (`pose_yaw`,
`pose_pitch`, `pose_roll`), each with the threshold the verdict applies. The frame with the fewest
failed measures wins (no face found counts as failing every one); among equals the lowest blur
effect, then the widest-open eyes, then the earliest frame. A separate sharpness score (the
Laplacian variance this replaces) could prefer a sharp frame with closed eyes, or the frame whose
background, not face, carries the most edges.

Measuring costs a still analysis per frame, without the person mask (no segmentation: none of
these measures reads it, and it cost about 13% of the choosing's CPU time). While the live track
follows the face (the booth's shutter) each frame is measured on a crop around the face the track
left (`live_seed`), reduced by a whole factor to leave the face at least MEASURE_FACE_WIDTH wide:
the blur effect judges a face at JUDGE_WIDTH, and every model input (detector, mesh, eyelids) is
smaller still, so nothing the measures read is lost, and neither the rest of the still nor its full
resolution is processed (a whole factor, because OpenCV's area reduction is about three times
faster by one). Without a track, the whole picture is analysed, as the verdict does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from appliance.capture.camera.base import Frame
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.eyes import check_eyes
from appliance.inference.checks.pose import check_pose
from appliance.inference.checks.sharpness import JUDGE_WIDTH, check_sharpness
from appliance.inference.engine import Analyzer
from appliance.session.ports import StillChoice

# The measures compared, in the report's order.
MEASURES = ("sharpness", "eyes_open", "pose_yaw", "pose_pitch", "pose_roll")
RULE = ("fewest failed of sharpness, eyes_open, pose (no face: all failed); then the lowest blur effect, "
        "then the widest-open eyes, then the earliest frame")
# The crop around the tracked face, per side, in face-box sizes: room for the sway between the
# last guidance frame and the burst, and background enough for the detector's whole-frame view.
CROP_MARGIN = 0.5
# The face's least width (the track's box) in the measured crop: twice the width the blur effect
# judges at.
MEASURE_FACE_WIDTH = 2 * JUDGE_WIDTH


@dataclass(frozen=True)
class FrameMeasures:
    """One burst frame's measures (empty when no face was found in it)."""

    position: int
    frame: Frame
    checks: tuple[CheckResult, ...]

    @property
    def failed(self) -> int:
        if not self.checks:
            return len(MEASURES)
        return sum(not c.passed for c in self.checks)

    def value(self, check_id: str) -> float | None:
        return next((c.value for c in self.checks if c.id == check_id), None)

    def rank(self) -> tuple[float, ...]:
        """Smaller is better: failures, blur effect, then (negated) eye opening, then position."""
        blur = self.value("sharpness")
        eyes = self.value("eyes_open")
        return (self.failed, 1.0 if blur is None else blur, 0.0 if eyes is None else -eyes, self.position)

    def to_payload(self) -> dict[str, Any]:
        return {
            "position": self.position,
            **self.frame.describe(),
            "face": bool(self.checks),
            "failed": [c.id for c in self.checks if not c.passed] if self.checks else list(MEASURES),
            "measures": {c.id: {"value": None if c.value is None else round(float(c.value), 4),
                                "threshold": c.threshold, "passed": c.passed} for c in self.checks},
        }


def choose_still(measured: Sequence[FrameMeasures]) -> StillChoice:
    """The best-ranked frame, and in words why it beat the others."""
    if not measured:
        raise ValueError("no frames to choose a still from")
    ranked = sorted(measured, key=FrameMeasures.rank)
    best = ranked[0]
    return StillChoice(frame=best.frame, position=best.position, reason=_reason(ranked), rule=RULE,
                       candidates=tuple(m.to_payload() for m in measured))


def _reason(ranked: Sequence[FrameMeasures]) -> str:
    best = ranked[0]
    if len(ranked) == 1:
        return "the only frame of the burst"
    runner = ranked[1]
    if best.failed < runner.failed:
        names = ", ".join(c.id for c in best.checks if not c.passed) or "none"
        return f"fewest failed measures: {best.failed} ({names}) against {runner.failed} or more"
    blur, other = best.value("sharpness"), runner.value("sharpness")
    if blur is not None and other is not None and blur < other:
        return f"as few failed measures ({best.failed}) as another frame, and the lowest blur effect ({blur:.4f})"
    eyes = best.value("eyes_open")
    if eyes is not None and eyes != runner.value("eyes_open"):
        return f"as few failed measures ({best.failed}) and as sharp as another frame, with wider-open eyes"
    return f"as good as another frame on every measure ({best.failed} failed): the earliest"


def face_crop(shape: tuple[int, ...], seed: np.ndarray, step: int = 1,
              margin: float = CROP_MARGIN) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the still around the seed box, `margin` box sizes on each side, its
    width and height whole multiples of `step`."""
    height, width = shape[:2]
    x0, y0, x1, y1 = (float(v) for v in seed)
    pad_x, pad_y = (x1 - x0) * margin, (y1 - y0) * margin
    left, top = max(int(x0 - pad_x), 0), max(int(y0 - pad_y), 0)
    right, bottom = min(int(np.ceil(x1 + pad_x)), width), min(int(np.ceil(y1 + pad_y)), height)
    return left, top, right - (right - left) % step, bottom - (bottom - top) % step


class EngineStillChooser:
    """The session's still picker: each burst frame measured by the engine (see the module's doc)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer

    def measure(self, position: int, frame: Frame) -> FrameMeasures:
        still = frame.main
        analyzer = self._analyzer
        seed = analyzer.live_seed(still.shape)
        if seed is not None:
            step = max(1, int((seed[2] - seed[0]) // MEASURE_FACE_WIDTH))
            x0, y0, x1, y1 = face_crop(still.shape, seed, step)
            crop, crop_seed = still[y0:y1, x0:x1], np.asarray(seed) - (x0, y0, x0, y0)
            if step > 1:
                size = (crop.shape[1] // step, crop.shape[0] // step)
                crop, crop_seed = cv2.resize(crop, size, interpolation=cv2.INTER_AREA), crop_seed / step
            analysis = analyzer.analyze(crop, seed=crop_seed, segment=False)
        else:
            analysis = analyzer.analyze(still, segment=False)
        view, settings = analysis.for_checks, analyzer.settings
        checks = (*check_sharpness(view, settings), *check_eyes(view, settings), *check_pose(view, settings))
        return FrameMeasures(position, frame, checks)

    def choose(self, frames: Sequence[Frame]) -> StillChoice:
        return choose_still([self.measure(position, frame) for position, frame in enumerate(frames)])
