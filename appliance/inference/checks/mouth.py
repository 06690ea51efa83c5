"""Lips closed, no teeth, neutral expression: the inner-lip gap and the mouth corners' lift relative
to the eye-to-chin distance, and the share of the mouth that is bright and colourless like teeth."""

from __future__ import annotations

import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import skin_model
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def lip_gap(analysis: Analysis) -> float:
    q = analysis.upright
    gaps = [q[lo, 1] - q[up, 1] for up, lo in zip(lm.LIP_UPPER_INNER, lm.LIP_LOWER_INNER, strict=True)]
    return max(float(np.mean(gaps)), 0.0) / max(analysis.eye_to_chin, 1e-6)


def teeth_fraction(analysis: Analysis) -> float | None:
    """Share of the outer-lip area that is much brighter and less saturated than the lips.

    The outer lip outline is used, not the inner one, because the mesh model tends to close the
    inner lips over a smile's teeth. Without colour, teeth and skin cannot be told apart: None.
    """
    if analysis.grayscale:
        return None
    p = analysis.pts[:, :2]
    mouth = analysis.region_mask(p[list(lm.OUTER_LIPS)])
    lab = skin_model(analysis).pixels(mouth)
    if len(lab) < 10:
        return 0.0
    lightness = lab[:, 0]
    chroma = np.linalg.norm(lab[:, 1:] - 128.0, axis=1)
    teeth = (lightness > np.median(lightness) + 30) & (chroma < max(0.6 * float(np.median(chroma)), 6.0))
    return float(np.mean(teeth))


def corner_lift(analysis: Analysis) -> float:
    """How far the mouth corners sit above the lips' centre (a smile), per eye-to-chin distance."""
    q = analysis.upright
    centre = (q[lm.LIP_UPPER_INNER[1], 1] + q[lm.LIP_LOWER_INNER[1], 1]) / 2
    corners = (q[lm.MOUTH_LEFT, 1] + q[lm.MOUTH_RIGHT, 1]) / 2
    return float(centre - corners) / max(analysis.eye_to_chin, 1e-6)


def check_mouth(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.mouth
    gap = lip_gap(analysis)
    lift = corner_lift(analysis)
    results = [
        result("mouth_closed", "mouth", gap, cfg.max_open_ratio, gap <= cfg.max_open_ratio,
               "请自然闭上嘴", "Close your lips naturally"),
        result("mouth_neutral", "mouth", lift, cfg.max_smile, lift <= cfg.max_smile,
               "请保持自然表情，不要笑", "Keep a neutral expression: no smile"),
    ]
    teeth = teeth_fraction(analysis)
    if teeth is not None:
        results.append(result("mouth_no_teeth", "mouth", teeth, cfg.max_teeth_fraction,
                              teeth <= cfg.max_teeth_fraction,
                              "请不要露齿，保持自然表情", "No teeth showing: keep a neutral expression"))
    return results
