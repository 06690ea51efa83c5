"""Glasses: tinted lenses and lens reflections (clear glasses without glare pass).

A tinted lens darkens or colours the skin just under the eye that a clear lens leaves alone. A
reflection shows in two ways:
- a patch of near-white pixels over the eye that the skin around it does not have;
- thin bright traces on the lens around the eye (a ring light's arc, a window's edge): pixels well
  above their neighbourhood's median, brighter than the skin and, in colour, nearly grey. The eye
  opening itself is left out, because every eye in front of a ring light shows the ring in its
  iris and the white of the eye is bright by nature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import box_mask, skin_model
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class GlassesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_tint: float = Field(0.7, ge=0.05, le=1.0)
    max_reflection_fraction: float = Field(0.06, ge=0.0, le=1.0)
    # Share of a lens, outside the eye opening, under thin bright traces (a ring light's arc).
    # Photos without glare read up to ~0.14 (a frame's shine); a 2 px ring-light arc 0.23 or more.
    max_glare_share: float = Field(0.18, ge=0.0, le=1.0)


GLASSES_TINT = Rule("glasses_tint", Family.GLASSES, EVERYWHERE,
                    Message("请摘下墨镜或有色眼镜", "Take off sunglasses or tinted glasses"), cadence=Cadence.FACE)
GLASSES_REFLECTION = Rule("glasses_reflection", Family.GLASSES, EVERYWHERE,
                          Message("镜片反光，请稍微低头或摘下眼镜",
                                  "Reflection on the glasses: tilt them slightly or take them off"),
                          cadence=Cadence.FACE)
GLASSES_GLARE = Rule("glasses_glare", Family.GLASSES, EVERYWHERE,
                     Message("镜片上有反光，请稍微低头或调整眼镜角度",
                             "Light reflects on the glasses: lower your chin a little or tilt the glasses"),
                     cadence=Cadence.FACE)

EYES = ((lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER, lm.RIGHT_EYE_LOWER),
        (lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER, lm.LEFT_EYE_LOWER))
# A lens is taken as an ellipse around the eye: 0.75 and 0.5 eye widths from the eye's centre.
LENS_HALF_AXES = np.array([0.75, 0.5])
_ELLIPSE_ANGLES = np.linspace(0, 2 * np.pi, 24, endpoint=False)
_ELLIPSE_UNIT = LENS_HALF_AXES * np.stack([np.cos(_ELLIPSE_ANGLES), np.sin(_ELLIPSE_ANGLES)], axis=1)


def lens_geometry(analysis: Analysis) -> list[tuple[np.ndarray, float]]:
    """Per eye: (centre, eye width) in image pixels."""
    p = analysis.pts[:, :2]
    return [((p[outer] + p[inner]) / 2, float(np.linalg.norm(p[inner] - p[outer]))) for outer, inner, _ in EYES]


def lens_box(centre: np.ndarray, width: float) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = centre - LENS_HALF_AXES * width, centre + LENS_HALF_AXES * width
    return float(x0), float(y0), float(x1), float(y1)


def _lens_regions(analysis: Analysis) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per eye: (the band under the lower lid, the whole lens area) as masks; made once per
    analysis, since both the tint and the two reflection measures read them."""
    return analysis.memo("lens_regions", lambda: _make_lens_regions(analysis))


def _make_lens_regions(analysis: Analysis) -> list[tuple[np.ndarray, np.ndarray]]:
    p = analysis.pts[:, :2]
    regions = []
    for (outer, inner, lower), (centre, width) in zip(EYES, lens_geometry(analysis), strict=True):
        a, b = p[outer], p[inner]
        low_y = float(np.max(p[list(lower), 1]))
        x0, x1 = min(a[0], b[0]) + 0.15 * width, max(a[0], b[0]) - 0.15 * width
        band = box_mask(analysis.bgr.shape, x0, low_y + 0.12 * width, x1, low_y + 0.4 * width)
        regions.append((band, analysis.region_mask(centre + width * _ELLIPSE_UNIT)))
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


# Glare traces: contrast over the local median (8-bit luma), the median's window (eye widths), and
# how bright (x skin luma) and how grey (x skin chroma, at least GLARE_MIN_CHROMA) a trace must be.
GLARE_CONTRAST = 30
GLARE_WINDOW = 0.35
GLARE_MIN_BRIGHTNESS = 1.1
GLARE_MAX_CHROMA, GLARE_MIN_CHROMA = 0.6, 6.0


def glare_traces(analysis: Analysis) -> float:
    """Share of each lens, outside the eye opening, covered by thin bright traces; the worse eye."""
    p = analysis.pts[:, :2]
    skin = skin_model(analysis)
    grey_limit = max(GLARE_MAX_CHROMA * skin.chroma, GLARE_MIN_CHROMA)
    shares = []
    rings = (lm.RIGHT_EYE_RING, lm.LEFT_EYE_RING)
    for ring, (_, width), (_, lens) in zip(rings, lens_geometry(analysis), _lens_regions(analysis), strict=True):
        x, y, w, h = cv2.boundingRect(lens)
        if w < 8 or h < 8:
            continue
        luma = analysis.luma[y:y + h, x:x + w]
        opening: np.ndarray = np.zeros((h, w), np.uint8)
        cv2.fillPoly(opening, [np.round(p[list(ring)] - (x, y)).astype(np.int32)], 255)
        margin = max(3, int(0.15 * width) | 1)
        opening = cv2.dilate(opening, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin)))
        area = (lens[y:y + h, x:x + w] > 0) & (opening == 0)
        if np.count_nonzero(area) < 20:
            continue
        window = max(3, int(GLARE_WINDOW * width) | 1)
        contrast = luma.astype(np.int16) - cv2.medianBlur(luma, window).astype(np.int16)
        trace = (contrast >= GLARE_CONTRAST) & (luma >= GLARE_MIN_BRIGHTNESS * skin.reference[0]) & area
        if not analysis.grayscale:
            lab = cv2.cvtColor(np.ascontiguousarray(analysis.bgr[y:y + h, x:x + w]), cv2.COLOR_BGR2LAB)
            ab = lab[..., 1:].astype(np.int32) - 128
            trace &= (ab[..., 0] ** 2 + ab[..., 1] ** 2) <= grey_limit * grey_limit
        shares.append(np.count_nonzero(trace) / np.count_nonzero(area))
    return float(max(shares, default=0.0))


def check_glasses(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.glasses
    tint, glare = lens_measures(analysis)
    traces = glare_traces(analysis)
    return [
        GLASSES_TINT.result(tint, cfg.max_tint, tint <= cfg.max_tint),
        GLASSES_REFLECTION.result(glare, cfg.max_reflection_fraction, glare <= cfg.max_reflection_fraction),
        GLASSES_GLARE.result(traces, cfg.max_glare_share, traces <= cfg.max_glare_share),
    ]


CHECKS = CheckModule((Check(check_glasses, (GLASSES_TINT, GLASSES_REFLECTION, GLASSES_GLARE)),),
                     "glasses", GlassesSettings)
