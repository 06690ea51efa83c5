"""Glasses: tinted lenses and lens reflections (clear glasses without glare pass).

A tinted lens darkens or colours the skin just under the eye that a clear lens leaves alone; a
reflection is a patch of near-white pixels over the eye that the skin around it does not have.
"""

from __future__ import annotations

import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import box_mask, skin_model
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def _lens_regions(analysis: Analysis) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per eye: (the band under the lower lid, the whole lens area) as masks."""
    p = analysis.pts[:, :2]
    regions = []
    for outer, inner, lower in ((lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER, lm.RIGHT_EYE_LOWER),
                                (lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER, lm.LEFT_EYE_LOWER)):
        a, b = p[outer], p[inner]
        width = float(np.linalg.norm(b - a))
        low_y = float(np.max(p[list(lower), 1]))
        x0, x1 = min(a[0], b[0]) + 0.15 * width, max(a[0], b[0]) - 0.15 * width
        band = box_mask(analysis.bgr.shape, x0, low_y + 0.12 * width, x1, low_y + 0.4 * width)
        centre = (a + b) / 2
        ellipse = np.array([[centre[0] + 0.75 * width * np.cos(t), centre[1] + 0.5 * width * np.sin(t)]
                            for t in np.linspace(0, 2 * np.pi, 24, endpoint=False)])
        regions.append((band, analysis.region_mask(ellipse)))
    return regions


def lens_measures(analysis: Analysis) -> tuple[float, float]:
    """(tint 0..1, reflection fraction) over both lenses; the worse eye decides."""
    skin = skin_model(analysis)
    tints, glares = [], []
    ref_luma = skin.reference[0]
    for band, lens in _lens_regions(analysis):
        band_lab = skin.pixels(band)
        lens_lab = skin.pixels(lens)
        if len(band_lab) < 6 or len(lens_lab) < 10:
            continue
        darkening = 1.0 - skin.relative_luma(band_lab)
        colouring = skin.chroma_distance(band_lab) / 40.0
        tints.append(float(np.clip(max(darkening, colouring), 0.0, 1.0)))
        glare = (lens_lab[:, 0] >= 240) & (lens_lab[:, 0] >= ref_luma + 45)
        glares.append(float(np.mean(glare)))
    if not tints:
        return 0.0, 0.0
    return max(tints), max(glares)


def check_glasses(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.glasses
    tint, glare = lens_measures(analysis)
    return [
        result("glasses_tint", "glasses", tint, cfg.max_tint, tint <= cfg.max_tint,
               "请摘下墨镜或有色眼镜", "Take off sunglasses or tinted glasses"),
        result("glasses_reflection", "glasses", glare, cfg.max_reflection_fraction,
               glare <= cfg.max_reflection_fraction,
               "镜片反光，请稍微低头或摘下眼镜", "Reflection on the glasses: tilt them slightly or take them off"),
    ]
