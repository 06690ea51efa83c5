"""Single-frame liveness: is this a photo of a photo or of a screen (翻拍)?

One frame can only show traces of the medium: the straight edges of a print or a phone framing the
head closely, the periodic moire of a screen's pixel grid, and the paper's own texture (a print's
halftone ink dots, a glossy sheet's mirrored light). These catch a photo held up close; they
cannot catch a borderless print filling the view, which is why the live session adds the light
challenge and what video shows (blink, 3-D motion). Scores are 0 (live) .. 1 (recapture).
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import LIVE_AND_STILL, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class LivenessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Single-frame evidence only (a print or phone framing the head on all four sides, strong
    # moire); lower values catch more recaptures but also reject real subjects photographed in
    # front of door frames and shelves. The live session adds video liveness on top.
    max_spoof_score: float = Field(0.85, ge=0.05, le=1.0)


# A product is made by the booth from its own still: there is no medium in front of it to judge.
LIVENESS = Rule("liveness", Family.LIVENESS, LIVE_AND_STILL,
                Message("检测到翻拍（照片或屏幕），请本人站到镜头前",
                        "Looks like a photo of a photo or a screen: the subject must stand in front of the camera"),
                cadence=Cadence.MEDIUM)

# Long straight edges survive reduction well; the search runs on a copy this size (longest side).
EDGE_SEARCH_SIDE = 320.0


def frame_edges(analysis: Analysis) -> float:
    """Share of the four sides around the head on which a long straight edge frames it closely."""
    pts = analysis.pts[:, :2]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    fw, fh = x1 - x0, y1 - y0
    height, width = analysis.luma.shape
    scale = min(1.0, EDGE_SEARCH_SIDE / max(height, width))
    small = analysis.luma
    if scale < 1:
        small = cv2.resize(small, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    edges = cv2.Canny(cv2.GaussianBlur(small, (3, 3), 0), 60, 160)
    min_len = max(12, int(0.6 * fh * scale))
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=max(10, min_len // 2), minLineLength=min_len,
                            maxLineGap=max(2, min_len // 10))
    if lines is None:
        return 0.0
    sides = set()
    for xa, ya, xb, yb in lines.reshape(-1, 4) / scale:
        dx, dy = xb - xa, yb - ya
        mx, my = (xa + xb) / 2, (ya + yb) / 2
        vertical = abs(dx) < 0.25 * abs(dy)
        horizontal = abs(dy) < 0.25 * abs(dx)
        if vertical and min(ya, yb) < y1 and max(ya, yb) > y0:
            if x0 - 1.3 * fw < mx < x0 - 0.05 * fw:
                sides.add("left")
            elif x1 + 0.05 * fw < mx < x1 + 1.3 * fw:
                sides.add("right")
        elif horizontal and min(xa, xb) < x1 and max(xa, xb) > x0:
            if y0 - 1.0 * fh < my < y0 - 0.05 * fh:
                sides.add("top")
            elif y1 + 0.05 * fh < my < y1 + 1.5 * fh:
                sides.add("bottom")
    return len(sides) / 4.0


@cache
def _moire_window() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 128x128 spectrum's Hann window (as its column and row factors) and its high-frequency
    ring: constants, made once rather than on every liveness turn of the live path."""
    yy, xx = np.mgrid[-64:64, -64:64]
    ring = (np.hypot(xx, yy) > 20) & (np.hypot(xx, yy) < 62)
    return np.hanning(128)[:, None], np.hanning(128)[None], ring


def moire(analysis: Analysis) -> float:
    """Strength of isolated peaks in the face's high-frequency spectrum (a screen's pixel grid)."""
    pts = analysis.pts[:, :2]
    x0, y0 = np.maximum(pts.min(axis=0).astype(int), 0)
    x1, y1 = pts.max(axis=0).astype(int)
    crop: np.ndarray = analysis.luma[y0:y1, x0:x1].astype(np.float32)
    if min(crop.shape) < 48:
        return 0.0
    crop = cv2.resize(crop, (128, 128), interpolation=cv2.INTER_AREA)
    crop = crop - cv2.GaussianBlur(crop, (0, 0), 3)
    columns, rows, ring = _moire_window()
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(crop * columns * rows)))
    values = spectrum[ring]
    peak = float(values.max()) / (float(np.median(values)) + 1e-6)
    return float(np.clip((peak - 12.0) / 30.0, 0.0, 1.0))


# Paper texture ------------------------------------------------------------------------------------
#
# A print is ink on paper: an offset or laser print lays its ink as dots on a regular screen
# (halftone), so a camera that resolves the dots sees one sharp periodic peak repeated all over the
# face; skin, pores, stubble and sensor noise are random and spread their energy smoothly. The
# spectrum is averaged over small tiles (Welch), each normalised by its own energy, so one bright
# edge cannot make a peak and a peak must be present over most of the face. JPEG's 8-pixel blocks
# and a Bayer sensor's Nyquist pattern are periodic too: their frequencies are left out.
TEXTURE_TILE = 32
TEXTURE_MIN_TILES = 12
# Periods the search covers, in pixels: finer than 2.2 px is aliased into noise, coarser than 8 px
# is the face's own structure (pores, freckles at close range).
TEXTURE_PERIODS_PX = (2.2, 8.0)
# A glossy sheet mirrors a light as one broad, flat, clipped patch; skin's highlights are small and
# follow the nose and brow. Share of the face's skin box that is one near-white clipped plateau.
GLOSS_LEVEL = 250
# Where each cue starts to count and where it says "paper" in full (scripts/paper_texture_study.py):
# rendered halftone prints read peaks of 20-136, good frontal photos 2 at the median, but up to 44
# on a few Yale photos, whose digitisation left a periodic pattern of its own; glossy prints cover
# 0.17-0.26 of the skin box with one clipped plateau, good photos at most 0.045.
HALFTONE_PEAK_FROM, HALFTONE_PEAK_FULL = 8.0, 20.0
GLOSS_SHARE_FROM, GLOSS_SHARE_FULL = 0.06, 0.12
# Paper texture is a weighted cue, never a refusal on its own: periodic texture also comes from a
# photo's own processing (dithering, resampling), so it only adds to the edge and moire evidence.
# At 0.4 a print with full paper texture needs moire or framing edges of 0.1-0.45 besides to reach
# the session's (0.5) or the check's (0.85) limit; no good frontal photo reaches either.
PAPER_WEIGHT = 0.4


def _skin_box(analysis: Analysis) -> tuple[int, int, int, int] | None:
    """The face's inner box (cheeks, nose, forehead below the brows, upper lip): little hair or
    background, the part of a print whose texture is the paper's and not the scene's."""
    pts = analysis.pts[:, :2]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    w, h = x1 - x0, y1 - y0
    height, width = analysis.luma.shape
    box = (int(max(x0 + 0.15 * w, 0)), int(max(y0 + 0.2 * h, 0)),
           int(min(x1 - 0.15 * w, width)), int(min(y1 - 0.15 * h, height)))
    if box[2] - box[0] < TEXTURE_TILE * 2 or box[3] - box[1] < TEXTURE_TILE * 2:
        return None
    return box


def _tile_spectrum(plane: np.ndarray) -> tuple[np.ndarray, int]:
    """Mean power spectrum (centred) of energy-normalised, windowed, high-passed tiles; and their count."""
    n = TEXTURE_TILE
    high = plane - cv2.GaussianBlur(plane, (0, 0), 2.5)
    step = n // 2
    rows = range(0, plane.shape[0] - n + 1, step)
    cols = range(0, plane.shape[1] - n + 1, step)
    tiles = np.array([high[r : r + n, c : c + n] for r in rows for c in cols], np.float32)
    if len(tiles) == 0:
        return np.zeros((n, n)), 0
    tiles -= tiles.mean(axis=(1, 2), keepdims=True)
    window = np.hanning(n)[:, None] * np.hanning(n)[None]
    # a real tile's spectrum is symmetric (P[-u, -v] = P[u, v]): the half rfft2 computes, about a
    # third of fft2's time, carries all of it; its values agree with fft2's to ~1e-16
    half = np.abs(np.fft.rfft2(tiles * window)) ** 2
    power = np.concatenate([half, half[:, (-np.arange(n)) % n, n // 2 - 1:0:-1]], axis=2)
    energy = power.sum(axis=(1, 2), keepdims=True)
    keep = energy[:, 0, 0] > 1e-3 * n * n  # flat (clipped or black) tiles say nothing
    if keep.sum() == 0:
        return np.zeros((n, n)), 0
    mean = (power[keep] / energy[keep]).mean(axis=0)
    return np.fft.fftshift(mean), int(keep.sum())


@cache
def _texture_bins() -> tuple[np.ndarray, np.ndarray]:
    """(allowed-bin mask, radius of each bin) of the tile spectrum."""
    n = TEXTURE_TILE
    fy, fx = np.mgrid[-n // 2 : n // 2, -n // 2 : n // 2]
    radius = np.hypot(fx, fy)
    lo, hi = n / TEXTURE_PERIODS_PX[1], n / TEXTURE_PERIODS_PX[0]
    block = n // 8  # JPEG blocks: harmonics of 1/8 cycle per pixel on either axis
    allowed = (radius >= lo) & (radius <= hi)
    allowed &= (fx % block != 0) & (fy % block != 0)
    return allowed, radius


@cache
def _texture_rings() -> tuple[np.ndarray, ...]:
    """The allowed bins of the tile spectrum grouped by rounded radius, innermost first."""
    allowed, radius = _texture_bins()
    ring_index = np.round(radius).astype(int)
    return tuple(allowed & (ring_index == r) for r in np.unique(ring_index[allowed]))


def halftone(analysis: Analysis) -> float | None:
    """Peak-to-background ratio of the strongest periodic component in the skin's fine texture,
    against the median of the same spectral ring; None where the face is too small to tell."""
    box = _skin_box(analysis)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    plane = analysis.luma[y0:y1, x0:x1].astype(np.float32)
    spectrum, count = _tile_spectrum(plane)
    if count < TEXTURE_MIN_TILES:
        return None
    allowed, _ = _texture_bins()
    background = np.zeros_like(spectrum)
    for ring in _texture_rings():
        background[ring] = np.median(spectrum[ring])
    ratio = spectrum[allowed] / np.maximum(background[allowed], 1e-12)
    return float(ratio.max())


def gloss(analysis: Analysis) -> float | None:
    """Share of the skin box covered by the largest clipped near-white plateau."""
    box = _skin_box(analysis)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    crop = analysis.bgr[y0:y1, x0:x1]
    # the channels' minimum plane by plane: numpy's reduction over a 3-long last axis is ~10x slower
    clipped = (np.minimum(np.minimum(crop[..., 0], crop[..., 1]), crop[..., 2]) >= GLOSS_LEVEL).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    if count <= 1:
        return 0.0
    return float(stats[1:, cv2.CC_STAT_AREA].max()) / float(clipped.size)


# A real background has straight edges too (doors, shelves); a print or phone held up frames the
# head on three or four sides. Moire needs enough pixels on the face to tell a screen grid from
# JPEG block noise.
MIN_FRAMED_SIDES = 0.75  # three sides still count toward the score; the threshold decides
MOIRE_MIN_FACE_PX = 160


def spoof_cues(analysis: Analysis) -> dict[str, float]:
    """Each single-frame cue on its own (0 live .. 1 recapture); moire only where the face is large
    enough to tell a pixel grid from JPEG noise (None is left out)."""
    cues = {"frame_edges": float(frame_edges(analysis))}
    if analysis.face_width >= MOIRE_MIN_FACE_PX:
        cues["moire"] = float(moire(analysis))
    peak = halftone(analysis)
    shine = gloss(analysis)
    if peak is not None:
        cues["halftone"] = peak
    if shine is not None:
        cues["gloss"] = shine
    if peak is not None or shine is not None:
        cues["paper"] = paper_score(peak, shine)
    return cues


def paper_score(peak: float | None, shine: float | None) -> float:
    """0 (skin) .. 1 (ink dots or a glossy sheet) from the two paper cues."""
    dots = 0.0 if peak is None else (peak - HALFTONE_PEAK_FROM) / (HALFTONE_PEAK_FULL - HALFTONE_PEAK_FROM)
    sheen = 0.0 if shine is None else (shine - GLOSS_SHARE_FROM) / (GLOSS_SHARE_FULL - GLOSS_SHARE_FROM)
    return float(np.clip(max(dots, sheen), 0.0, 1.0))


def combined_score(cues: dict[str, float]) -> float:
    framed = cues.get("frame_edges", 0.0)
    score = framed if framed >= MIN_FRAMED_SIDES else 0.0
    return float(min(1.0, max(score, cues.get("moire", 0.0)) + PAPER_WEIGHT * cues.get("paper", 0.0)))


def spoof_score(analysis: Analysis) -> float:
    return combined_score(spoof_cues(analysis))


def check_liveness(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None or analysis.product:
        return []
    cues = spoof_cues(analysis)
    score = combined_score(cues)
    limit = settings.liveness.max_spoof_score
    check = LIVENESS.result(score, limit, score <= limit)
    return [dataclasses.replace(check, detail={k: round(v, 4) for k, v in cues.items()})]


CHECKS = CheckModule((Check(check_liveness, (LIVENESS,)),), "liveness", LivenessSettings)
