"""Lips closed, no teeth, neutral expression: the inner-lip gap and the mouth corners' lift relative
to the eye-to-chin distance, and the share of the mouth that is bright and colourless like teeth."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule
from appliance.inference.geometry import polygon_mask

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class MouthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Lip gap / eye-midpoint-to-chin distance (the OFIQ MouthClosed measure).
    max_open_ratio: float = Field(0.035, ge=0.005, le=0.3)
    max_teeth_fraction: float = Field(0.03, ge=0.0, le=1.0)
    # Mouth corners above the lips' centre (a smile), per eye-to-chin distance.
    max_smile: float = Field(0.025, ge=0.0, le=0.2)


MOUTH_CLOSED = Rule("mouth_closed", Family.MOUTH, EVERYWHERE, Message("请自然闭上嘴", "Close your lips naturally"))
MOUTH_NEUTRAL = Rule("mouth_neutral", Family.MOUTH, EVERYWHERE,
                     Message("请保持自然表情，不要笑", "Keep a neutral expression: no smile"))
# Live guidance reads teeth with the face's slow group (Cadence.FACE): the colour measure costs a
# third of a live frame's checks, and teeth show with an open mouth or a smile, which the two rules
# above report on every frame (and first).
MOUTH_NO_TEETH = Rule("mouth_no_teeth", Family.MOUTH, EVERYWHERE,
                      Message("请不要露齿，保持自然表情", "No teeth showing: keep a neutral expression"),
                      cadence=Cadence.FACE)

# Teeth, in shares of the mouth's height and width: the lip outline drawn in by TEETH_INSET; the
# lips' colour read from a TEETH_RING-wide ring inside the outline; a patch TEETH_BRIGHTER (Lab L)
# brighter than the lips and colourless counts when it reaches across the line where the lips
# meet and spans TEETH_MIN_WIDTH of the mouth.
TEETH_INSET, TEETH_RING = 0.08, 0.2
TEETH_BRIGHTER = 20.0
TEETH_MIN_WIDTH = 0.15


def lip_gap(analysis: Analysis) -> float:
    q = analysis.upright
    gaps = [q[lo, 1] - q[up, 1] for up, lo in zip(lm.LIP_UPPER_INNER, lm.LIP_LOWER_INNER, strict=True)]
    return max(float(np.mean(gaps)), 0.0) / max(analysis.eye_to_chin, 1e-6)


def teeth_fraction(analysis: Analysis) -> float | None:
    """Share of the lips' inside that is teeth: much brighter and less coloured than the lips, in
    a patch spanning a fair part of the mouth's width.

    The outer lip outline is used, not the inner one, because the mesh model tends to close the
    inner lips over a smile's teeth. Two things there are bright and colourless like teeth without
    being teeth, and are left out: the skin just outside the lip border (the outline is drawn in
    by TEETH_INSET of the mouth's height) and a specular highlight on closed lips, which is a
    spot or a streak on the body of one lip, where a row of teeth spans the mouth as one patch
    across the line where the lips meet, which the mesh draws through the teeth (a patch counts
    only when it lies on both sides of that line and spans TEETH_MIN_WIDTH of the mouth). The
    lips' colour is read along the outline, which is lip even when teeth fill the middle, so pale
    lips are compared with themselves. Without colour, teeth and skin cannot be told apart: None.
    """
    if analysis.grayscale:
        return None
    outline = analysis.pts[list(lm.OUTER_LIPS), :2]
    height, width = analysis.bgr.shape[:2]
    x0, y0 = np.maximum(np.floor(outline.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 2
    x1, y1 = min(x1, width), min(y1, height)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    crop = analysis.bgr[y0:y1, x0:x1]
    outlined = polygon_mask(crop.shape, outline - np.array([x0, y0]))
    mouth = outlined
    mouth_w, mouth_h = float(np.ptp(outline[:, 0])), float(np.ptp(outline[:, 1]))
    inset = round(TEETH_INSET * mouth_h)
    if inset:
        mouth = cv2.erode(mouth, np.ones((2 * inset + 1, 2 * inset + 1), np.uint8))
    inside = mouth > 0
    if np.count_nonzero(inside) < 10:
        return 0.0
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB).astype(np.float32)
    lightness = lab[..., 0]
    chroma = np.linalg.norm(lab[..., 1:] - 128.0, axis=-1)
    # the lips' own colour, from the lip body along the outline (lip even when teeth show)
    body = outlined > 0
    ring = max(1, round(TEETH_RING * mouth_h))
    lip = body & (cv2.erode(body.astype(np.uint8), np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)) == 0)
    lip = lip if np.count_nonzero(lip) >= 10 else body
    bright = lightness > np.median(lightness[lip]) + TEETH_BRIGHTER
    colourless = chroma < max(0.6 * float(np.median(chroma[lip])), 6.0)
    candidates = (inside & bright & colourless).astype(np.uint8)
    # where the lips meet: a row of teeth reaches across that line, a highlight sits on one lip
    upper = analysis.pts[list(lm.LIP_JUNCTION_UPPER), :2]
    lower = analysis.pts[list(lm.LIP_JUNCTION_LOWER), :2]
    meet = (upper + lower) / 2 - np.array([x0, y0])
    order = np.argsort(meet[:, 0])
    meet_y = np.interp(np.arange(crop.shape[1]), meet[order, 0], meet[order, 1])
    rows = np.arange(crop.shape[0])[:, None]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    above = np.bincount(labels[(rows < meet_y[None, :]) & (candidates > 0)], minlength=count) > 0
    below = np.bincount(labels[(rows > meet_y[None, :]) & (candidates > 0)], minlength=count) > 0
    teeth = 0
    for index in range(1, count):
        if above[index] and below[index] and stats[index, cv2.CC_STAT_WIDTH] >= TEETH_MIN_WIDTH * mouth_w:
            teeth += int(stats[index, cv2.CC_STAT_AREA])
    return teeth / float(np.count_nonzero(inside))


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
    return [
        MOUTH_CLOSED.result(gap, cfg.max_open_ratio, gap <= cfg.max_open_ratio),
        MOUTH_NEUTRAL.result(lift, cfg.max_smile, lift <= cfg.max_smile),
    ]


def check_teeth(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    """Its own check so live guidance can read it at its own cadence; the still reads it right
    after the lips, as before."""
    if analysis.mesh is None:
        return []
    teeth = teeth_fraction(analysis)
    if teeth is None:
        return []
    limit = settings.mouth.max_teeth_fraction
    return [MOUTH_NO_TEETH.result(teeth, limit, teeth <= limit)]


CHECKS = CheckModule((Check(check_mouth, (MOUTH_CLOSED, MOUTH_NEUTRAL)), Check(check_teeth, (MOUTH_NO_TEETH,))),
                     "mouth", MouthSettings)
