"""Lips closed and no teeth: the inner-lip gap relative to the eye-to-chin distance, and the share
of the inner-mouth area that is bright and colourless like teeth."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def lip_gap(analysis: Analysis) -> float:
    q = analysis.upright
    gaps = [q[lo, 1] - q[up, 1] for up, lo in zip(lm.LIP_UPPER_INNER, lm.LIP_LOWER_INNER, strict=True)]
    return max(float(np.mean(gaps)), 0.0) / max(analysis.eye_to_chin, 1e-6)


def teeth_fraction(analysis: Analysis) -> float:
    """Teeth-like pixels inside the inner lips, per squared mouth width (0 for a closed mouth)."""
    p = analysis.pts[:, :2]
    width = float(np.linalg.norm(p[lm.MOUTH_LEFT] - p[lm.MOUTH_RIGHT]))
    if width < 4:
        return 0.0
    inner = analysis.region_mask(p[list(lm.INNER_LIPS)])
    if not inner.any():
        return 0.0
    lips_hull = cv2.convexHull(p[[*lm.INNER_LIPS, lm.MOUTH_LEFT, lm.MOUTH_RIGHT, 0, 17]].astype(np.int32))
    lips = analysis.region_mask(lips_hull.reshape(-1, 2)) & ~inner
    luma = analysis.luma.astype(np.float32)
    lip_luma = float(np.median(luma[lips > 0])) if lips.any() else float(np.median(luma[inner > 0]))
    bright = luma > lip_luma + 35
    if not analysis.grayscale:
        hsv = cv2.cvtColor(analysis.bgr, cv2.COLOR_BGR2HSV)
        bright &= hsv[..., 1] < 110
    count = int(np.count_nonzero(bright & (inner > 0)))
    return count / (width * width)


def check_mouth(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.mouth
    gap = lip_gap(analysis)
    teeth = teeth_fraction(analysis)
    return [
        result("mouth_closed", "mouth", gap, cfg.max_open_ratio, gap <= cfg.max_open_ratio,
               "请自然闭上嘴", "Close your lips naturally"),
        result("mouth_no_teeth", "mouth", teeth, cfg.max_teeth_fraction, teeth <= cfg.max_teeth_fraction,
               "请不要露齿，保持自然表情", "No teeth showing: keep a neutral expression"),
    ]
