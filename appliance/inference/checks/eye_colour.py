"""The colour inside the eyes: red-eye (无红眼) refuses a photo; coloured contact lenses (美瞳) are
only an operator's notice.

The pupil is the disc at the iris centre (a little under half the iris radius); in a red-eye
photo the flash's reflection off the retina makes it red and bright where it is otherwise near
black. The iris ring around it, inside the lids, carries the eye's colour: natural irises are
brown to grey, weakly coloured; tinted lenses add strong blue, green, violet or grey-blue with a
sharp dark limbal ring. A blue or green natural iris reads like a tinted lens, so the notice only
asks the operator to look, and never blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.gaze import eyes_readable
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule
from appliance.inference.geometry import polygon_mask

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

PUPIL_PER_IRIS = 0.45
IRIS_RING = (0.55, 0.95)  # the iris ring's inner and outer radius, per iris radius
# A pupil pixel is red when its Lab a* (OpenCV 8-bit, 128 = neutral) exceeds this and red
# clearly leads green.
RED_A = 150.0
RED_OVER_GREEN = 1.6


class EyeColourSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Share of the pupils (the worse eye) that is red. The 90 good photos (../shared/faces
    # a_good_frontal and the dress controls) all read 0: none refused
    # (tests/inference/checks/test_good_frontal_rates.py).
    max_red_pupil: float = Field(0.25, ge=0.01, le=1.0)
    # Iris ring chroma (Lab a*b* distance from grey) above which an operator's notice asks to
    # check for coloured contacts; natural brown and grey irises read well under it: the same 90
    # good photos (many ethnicities) read up to 16.4, the notice fires on
    # none of them.
    contacts_notice_chroma: float = Field(24.0, ge=5.0, le=100.0)


RED_EYE = Rule("red_eye", Family.EYES, EVERYWHERE,
               Message("照片有红眼，请重拍（不要用闪光灯）", "Red eyes in the photo: retake it without a flash"),
               cadence=Cadence.ADORNMENT)
COLOURED_CONTACTS = Rule("coloured_contacts", Family.EYES, EVERYWHERE,
                         Message("提示操作员：可能佩戴彩色隐形眼镜（美瞳），请确认",
                                 "Operator: possibly coloured contact lenses, please check"),
                         cadence=Cadence.ADORNMENT, advisory=True)


def _eye_regions(analysis: Analysis) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Per eye: (iris centre, iris radius, the eye opening's outline)."""
    if analysis.eyes is None:
        return []
    p = analysis.pts[:, :2]
    return [(eye.iris[0], eye.iris_radius, p[list(ring)])
            for eye, ring in zip(analysis.eyes, (lm.RIGHT_EYE_RING, lm.LEFT_EYE_RING), strict=True)]


def _disc_pixels(analysis: Analysis, centre: np.ndarray, r_in: float, r_out: float,
                 opening: np.ndarray) -> np.ndarray:
    """BGR pixels of the annulus r_in..r_out around `centre` inside the eye opening's outline
    (only the disc's box is read)."""
    height, width = analysis.bgr.shape[:2]
    x0, y0 = max(int(centre[0] - r_out) - 1, 0), max(int(centre[1] - r_out) - 1, 0)
    x1, y1 = min(int(centre[0] + r_out) + 2, width), min(int(centre[1] + r_out) + 2, height)
    if x1 <= x0 or y1 <= y0:
        return np.empty((0, 3), np.uint8)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    dist = np.hypot(xs - centre[0], ys - centre[1])
    lids = polygon_mask((y1 - y0, x1 - x0), opening - (x0, y0))
    inside = (dist >= r_in) & (dist <= r_out) & (lids > 0)
    return analysis.bgr[y0:y1, x0:x1][inside]


def red_pupil_share(analysis: Analysis) -> float | None:
    """The worse eye's share of red pupil pixels."""
    shares = []
    for centre, radius, opening in _eye_regions(analysis):
        pixels = _disc_pixels(analysis, centre, 0.0, max(PUPIL_PER_IRIS * radius, 1.0), opening)
        if len(pixels) < 3:
            continue
        lab = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
        g, r = pixels[:, 1].astype(np.float32), pixels[:, 2].astype(np.float32)
        red = (lab[:, 1] > RED_A) & (r > RED_OVER_GREEN * np.maximum(g, 1.0)) & (r > 60)
        shares.append(float(np.mean(red)))
    return max(shares) if shares else None


def iris_chroma(analysis: Analysis) -> float | None:
    """Median a*b* distance from grey of both iris rings (visible parts only)."""
    rings = []
    for centre, radius, opening in _eye_regions(analysis):
        rings.append(_disc_pixels(analysis, centre, IRIS_RING[0] * radius, IRIS_RING[1] * radius, opening))
    pixels = np.concatenate(rings) if rings else np.empty((0, 3), np.uint8)
    if len(pixels) < 6:
        return None
    lab = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    return float(np.median(np.linalg.norm(lab[:, 1:] - 128.0, axis=1)))


def check_eye_colour(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None or analysis.grayscale or not eyes_readable(analysis, settings):
        return []
    cfg = settings.eye_colour
    results = []
    red = red_pupil_share(analysis)
    if red is not None:
        results.append(RED_EYE.result(red, cfg.max_red_pupil, red <= cfg.max_red_pupil))
    chroma = iris_chroma(analysis)
    if chroma is not None:
        results.append(COLOURED_CONTACTS.notice(chroma, cfg.contacts_notice_chroma))
    return results


CHECKS = CheckModule((Check(check_eye_colour, (RED_EYE, COLOURED_CONTACTS)),), "eye_colour", EyeColourSettings)
