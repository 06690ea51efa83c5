"""Stripes, checks and busy prints on the top (不得穿有条纹服装，避免复杂图案).

On the chest below the chin, within the person and off the skin, strong edges once fine grain is
smoothed away (a Gaussian of 1.5 % of a face width, so knit and sensor noise do not count); the
measure is the share of the clothing where such edges are dense (over 55 % of an 11 % face-width
neighbourhood). A plain top shows folds as soft shading; a suit's lapels, a tie and a collar are a
few separate lines, dense nowhere; stripes, checks and prints are edges side by side over much of
the surface. Long dark hair lying over the chest is dense in edges too and is the known false
alarm of this measure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import skin_model
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.checks.face_scale import Box, face_window, skin_like_mask

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

SMOOTHING_PX = 1.5  # at face scale (100 px per face width)
EDGE_GRADIENT = 40.0  # Sobel magnitude of Lab L after smoothing
MIN_CLOTHING_PX = 150
DENSITY_PX, DENSITY_MIN = 11, 0.55  # neighbourhood (px at face scale) and edge share in it


class ClothingPatternSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Share of the chest's clothing dense in strong edges. Plain tops, suits and ties on
    # ../shared/faces/a_good_frontal read up to 0.19; stripes, checks and prints mostly 0.26-1.0.
    max_edge_share: float = Field(0.22, ge=0.01, le=1.0)


def chest_box(analysis: Analysis) -> Box:
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    x, chin = float(p[lm.CHIN, 0]), float(p[lm.CHIN, 1])
    return x - 0.9 * width, chin + 0.3 * unit, x + 0.9 * width, chin + 1.6 * unit


def pattern_edge_share(analysis: Analysis) -> float | None:
    """None where too little clothing is in view to judge (a tight face crop)."""
    window = face_window(analysis, chest_box(analysis))
    if window.empty or window.person is None:
        return None
    clothing = ((window.person > 0.8) & ~skin_like_mask(window, skin_model(analysis), 0.35, 16.0)).astype(np.uint8)
    clothing = cv2.erode(clothing, np.ones((7, 7), np.uint8)) > 0
    if np.count_nonzero(clothing) < MIN_CLOTHING_PX:
        return None
    luma = cv2.GaussianBlur(window.lab[..., 0].astype(np.float32), (0, 0), SMOOTHING_PX)
    magnitude = cv2.magnitude(cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3))
    edges = (magnitude > EDGE_GRADIENT).astype(np.float32)
    density = cv2.blur(edges, (DENSITY_PX, DENSITY_PX))
    return float(np.mean(density[clothing] > DENSITY_MIN))


def check_clothing_pattern(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    share = pattern_edge_share(analysis)
    if share is None:
        return []
    limit = settings.clothing_pattern.max_edge_share
    return [result("clothing_pattern", "clothing", share, limit, share <= limit,
                   "请换一件纯色、无条纹的上衣", "Wear a plain top without stripes or patterns")]
