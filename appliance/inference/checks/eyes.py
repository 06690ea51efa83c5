"""Both eyes open: the smaller lid opening relative to the eye-to-chin distance (OFIQ's measure).

The smaller eye decides, so a wink fails too. Lid positions come from the face mesh, averaged over
three vertical pairs per eye.
"""

from __future__ import annotations

import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def eye_openings(analysis: Analysis) -> tuple[float, float]:
    """(right, left) lid openings divided by the eye-to-chin distance."""
    q = analysis.upright
    unit = max(analysis.eye_to_chin, 1e-6)

    def opening(upper: tuple[int, ...], lower: tuple[int, ...]) -> float:
        return float(np.mean([q[lo, 1] - q[up, 1] for up, lo in zip(upper, lower, strict=True)])) / unit

    return opening(lm.RIGHT_EYE_UPPER, lm.RIGHT_EYE_LOWER), opening(lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER)


def check_eyes(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    value = min(eye_openings(analysis))
    return [result("eyes_open", "eyes", value, settings.eyes.min_open_ratio,
                   value >= settings.eyes.min_open_ratio,
                   "请自然睁开双眼，看向镜头", "Open both eyes naturally and look at the camera")]
