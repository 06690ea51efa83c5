"""Single-frame liveness: is this a photo of a photo or of a screen (翻拍)?

One frame can only show traces of the medium: the straight edges of a print or a phone framing the
head closely, and the periodic moire of a screen's pixel grid. These catch a photo held up close;
they cannot catch a borderless print filling the view, which is why the live session adds what
video shows (blink, 3-D motion). Scores are 0 (live) .. 1 (recapture).
"""

from __future__ import annotations

import dataclasses
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
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(crop * np.hanning(128)[:, None] * np.hanning(128)[None])))
    yy, xx = np.mgrid[-64:64, -64:64]
    ring = (np.hypot(xx, yy) > 20) & (np.hypot(xx, yy) < 62)
    values = spectrum[ring]
    peak = float(values.max()) / (float(np.median(values)) + 1e-6)
    return float(np.clip((peak - 12.0) / 30.0, 0.0, 1.0))


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
    return cues


def combined_score(cues: dict[str, float]) -> float:
    framed = cues.get("frame_edges", 0.0)
    score = framed if framed >= MIN_FRAMED_SIDES else 0.0
    return float(max(score, cues.get("moire", 0.0)))


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
