"""Stripes, checks and busy prints on the top (不得穿有条纹服装，避免复杂图案).

On the chest below the chin, within the person and off the skin, strong edges once fine grain is
smoothed away (a Gaussian of 1.5 % of a face width, so knit and sensor noise do not count); the
measure is the share of the clothing where such edges are dense (over 55 % of an 11 % face-width
neighbourhood). A plain top shows folds as soft shading; a suit's lapels, a tie and a collar are a
few separate lines, dense nowhere; stripes, checks and prints are edges side by side over much of
the surface. Long hair lying over the chest is dense in edges too: pixels of the hair's own
colour (sampled beside the cheeks, where such hair falls from), where they hang from the top of
the chest region, are left out of the clothing with a margin of a neighbourhood's width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import skin_model
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.face_scale import Box, face_window, skin_like_mask
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

SMOOTHING_PX = 1.5  # at face scale (100 px per face width)
EDGE_GRADIENT = 40.0  # Sobel magnitude of Lab L after smoothing
MIN_CLOTHING_PX = 150
DENSITY_PX, DENSITY_MIN = 11, 0.55  # neighbourhood (px at face scale) and edge share in it
# The hair's colour: its median beside the face, with a spread (half its 16-84 % range) held
# within these bounds (Lab L, a*, b*); chest pixels within HAIR_DISTANCE spreads of it are hair.
HAIR_MIN_SPREAD = np.array([6.0, 2.5, 2.5], np.float32)
HAIR_MAX_SPREAD = np.array([15.0, 5.0, 5.0], np.float32)
HAIR_DISTANCE = 2.0
HAIR_GROW_DISTANCE = 3.5
MIN_HAIR_PX = 150  # at face scale (100 px per face width)


class ClothingPatternSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Share of the chest's clothing dense in strong edges. Plain tops, suits and ties on
    # ../shared/faces/a_good_frontal read up to 0.19; stripes, checks and prints mostly 0.26-1.0.
    max_edge_share: float = Field(0.22, ge=0.01, le=1.0)


CLOTHING_PATTERN = Rule("clothing_pattern", Family.CLOTHING, EVERYWHERE,
                        Message("请换一件纯色、无条纹的上衣", "Wear a plain top without stripes or patterns"),
                        cadence=Cadence.SCENE)


def chest_box(analysis: Analysis) -> Box:
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    x, chin = float(p[lm.CHIN, 0]), float(p[lm.CHIN, 1])
    return x - 0.9 * width, chin + 0.3 * unit, x + 0.9 * width, chin + 1.6 * unit


def beside_face_boxes(analysis: Analysis) -> list[Box]:
    """Beside each cheek, from the eyes down to the chin, outward from the face's edge: where long
    hair that reaches the chest falls from (and, with short hair, background or the ears)."""
    p = analysis.pts[:, :2]
    width = analysis.face_width
    top, bottom = float(p[lm.NOSE_TIP, 1]) - 0.3 * analysis.eye_to_chin, float(p[lm.CHIN, 1])
    right, left = float(p[lm.FACE_RIGHT_EDGE, 0]), float(p[lm.FACE_LEFT_EDGE, 0])
    return [(right - 0.35 * width, top, right, bottom), (left, top, left + 0.35 * width, bottom)]


def hair_colour(analysis: Analysis, skin) -> tuple[np.ndarray, np.ndarray] | None:
    """(median, spread) in Lab of the hair beside the face; None where too little of it is there
    (short hair: background, skin and ears only)."""
    samples = []
    for box in beside_face_boxes(analysis):
        window = face_window(analysis, box)
        if window.empty or window.person is None:
            continue
        face: np.ndarray = np.zeros(window.lab.shape[:2], np.uint8)
        cv2.fillPoly(face, [np.round((analysis.face_polygon - window.origin) * window.scale).astype(np.int32)], 1)
        face = cv2.dilate(face, np.ones((5, 5), np.uint8)) > 0
        samples.append(window.lab_pixels((window.person > 0.8) & ~face & ~skin_like_mask(window, skin, 0.35, 16.0)))
    lab = np.concatenate(samples) if samples else np.zeros((0, 3), np.float32)
    if len(lab) < MIN_HAIR_PX:
        return None
    low, median, high = np.percentile(lab, [16, 50, 84], axis=0)
    return median, np.clip((high - low) / 2, HAIR_MIN_SPREAD, HAIR_MAX_SPREAD)


def hair_over_chest(window, analysis: Analysis, skin) -> np.ndarray:
    """Pixels of the chest window that are the crown's hair colour and hang from the window's top
    (long hair falls from the head over the shoulders and chest), widened by a neighbourhood."""
    colour = hair_colour(analysis, skin)
    if colour is None:
        return np.zeros(window.lab.shape[:2], bool)
    median, spread = colour
    distance = np.linalg.norm((window.lab.astype(np.float32) - median) / spread, axis=2)
    # hysteresis: strands thinner than a pixel at face scale blend with the top behind them, so
    # from the hair's own colour the mask grows into nearer-hair shades connected to it
    near = ((distance < HAIR_GROW_DISTANCE) & (window.person > 0.5)).astype(np.uint8)
    _, labels = cv2.connectedComponents(near, connectivity=8)
    seeded = np.unique(labels[(distance < HAIR_DISTANCE) & (near > 0)])
    hanging = np.intersect1d(seeded, labels[0][labels[0] > 0])
    hair = np.isin(labels, hanging).astype(np.uint8)
    return cv2.dilate(hair, np.ones((DENSITY_PX, DENSITY_PX), np.uint8)) > 0


def pattern_edge_share(analysis: Analysis) -> float | None:
    """None where too little clothing is in view to judge (a tight face crop)."""
    window = face_window(analysis, chest_box(analysis))
    if window.empty or window.person is None:
        return None
    skin = skin_model(analysis)
    clothing = (window.person > 0.8) & ~skin_like_mask(window, skin, 0.35, 16.0)
    clothing = (clothing & ~hair_over_chest(window, analysis, skin)).astype(np.uint8)
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
    return [CLOTHING_PATTERN.result(share, limit, share <= limit)]


CHECKS = CheckModule((Check(check_clothing_pattern, (CLOTHING_PATTERN,)),), "clothing_pattern",
                     ClothingPatternSettings)
