"""The demo subject's picture: the public-domain astronaut portrait made into a student who can pass.

The NASA portrait scikit-image ships smiles with teeth, wears a space suit with a helmet ring and
stands before a flag: a standard photo rightly refuses all three. The demo therefore keeps her real
head (hair and face, cut out with the engine's own person mask and face-oval landmarks) and gives
her what a student wears to the booth: closed, relaxed lips drawn over the smile, a plain dark top
with level shoulders, and a plain backdrop. The original smiling mouth is kept as a second picture
so the scripted subject can start with a smile and stop smiling when the guidance asks.

Both pictures are made once when the demo camera opens (about a second), from the engine's
analysis of the portrait; nothing of a real person other than the public-domain astronaut is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from appliance.inference import landmarks as lm

# The mesh's face oval, clockwise from the forehead (MediaPipe face mesh indices).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
             176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
BACKDROP_BGR = (206, 209, 211)  # a light grey photo backdrop
TOP_BGR = (58, 48, 44)  # a dark navy top
_SUPERSAMPLE = 4  # shapes are drawn at 4x and reduced, for smooth edges


@dataclass(frozen=True)
class SubjectPictures:
    """The composed subject on a large canvas (base pixels), neutral and smiling, and where she is."""

    neutral: np.ndarray
    smiling: np.ndarray
    face_centre: tuple[float, float]
    face_width: float
    chin_y: float


def _poly_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage (0..1) of a filled polygon."""
    height, width = shape
    big = np.zeros((height * _SUPERSAMPLE, width * _SUPERSAMPLE), np.uint8)
    cv2.fillPoly(big, [np.round(points * _SUPERSAMPLE).astype(np.int32)], 255)
    return cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def closed_mouth(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The face with the smile painted out and relaxed, closed lips drawn in their place."""
    height, width = image.shape[:2]
    outer, inner = pts[list(lm.OUTER_LIPS)], pts[list(INNER_LIPS)]
    lips_ring = (_poly_mask((height, width), outer) > 0.5) & (_poly_mask((height, width), inner) < 0.5)
    lip_colour = np.median(image[lips_ring], axis=0).astype(np.float32)
    hole = cv2.dilate((_poly_mask((height, width), outer) > 0).astype(np.uint8) * 255, np.ones((5, 5), np.uint8),
                      iterations=2)
    skin = cv2.inpaint(image, hole, 6, cv2.INPAINT_TELEA).astype(np.float32)
    left, right = pts[lm.MOUTH_RIGHT], pts[lm.MOUTH_LEFT]
    cx = (left[0] + right[0]) / 2
    cy = (pts[lm.LIP_UPPER_INNER[1], 1] + pts[lm.LIP_LOWER_INNER[1], 1]) / 2 + 0.5
    half = abs(right[0] - left[0]) / 2 * 0.97
    t = np.linspace(-1.0, 1.0, 41)
    xs = cx + half * t
    seam = cy + 1.8 * t**2  # level lips whose corners sit a little low: relaxed, not smiling
    upper = seam - 4.2 * (1 - t**2) ** 0.6 + 0.9 * np.exp(-((t / 0.12) ** 2))
    lower = seam + 5.5 * (1 - t**2) ** 0.8
    upper_lip = np.concatenate([np.stack([xs, upper], 1), np.stack([xs, seam], 1)[::-1]])
    lower_lip = np.concatenate([np.stack([xs, seam], 1), np.stack([xs, lower], 1)[::-1]])
    cover = cv2.GaussianBlur(np.maximum(_poly_mask((height, width), upper_lip),
                                        _poly_mask((height, width), lower_lip)), (0, 0), 0.7)
    rows = np.arange(height, dtype=np.float32)[:, None]
    shade = np.where(rows < cy, 0.9, 1.0 + 0.06 * np.exp(-(((rows - cy - 3) / 2.5) ** 2)))
    lips = np.broadcast_to(lip_colour, skin.shape) * shade[..., None]
    big = np.zeros((height * _SUPERSAMPLE, width * _SUPERSAMPLE), np.uint8)
    cv2.polylines(big, [np.round(np.stack([xs, seam], 1) * _SUPERSAMPLE).astype(np.int32)], False, 255,
                  thickness=_SUPERSAMPLE)
    seam_line = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    out = skin * (1 - cover[..., None]) + lips * cover[..., None]
    out *= 1 - 0.45 * seam_line[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def compose_subject(portrait: np.ndarray, analyze: Callable[[np.ndarray], Any],
                    canvas_size: tuple[int, int] = (1100, 620), face_at: tuple[float, float] = (550.0, 205.0),
                    seed: int = 7) -> SubjectPictures:
    """Both pictures on a canvas large enough for every distance the script uses.

    `analyze` is the engine's `Analyzer.analyze`: its landmarks place the mouth and the face oval,
    its person mask cuts out the hair.
    """
    analysis = analyze(portrait)
    if analysis.mesh is None or analysis.person_mask is None:
        raise RuntimeError("demo: the engine found no face in the demo portrait")
    pts = analysis.pts[:, :2].astype(np.float32)
    face_w = float(pts[454, 0] - pts[234, 0])
    centre = ((pts[234, 0] + pts[454, 0]) / 2, (pts[10, 1] + pts[152, 1]) / 2)
    width, height = canvas_size
    shift = np.array([face_at[0] - centre[0], face_at[1] - centre[1]], np.float32)
    moved = pts + shift
    chin = float(moved[152, 1])
    cx = float(face_at[0])

    def place(image: np.ndarray, border: int) -> np.ndarray:
        matrix = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=border)

    oval = _poly_mask((height, width), moved[list(FACE_OVAL)])
    oval = cv2.dilate(oval, np.ones((3, 3), np.uint8))
    hair_bottom = float(moved[234, 1]) + 0.15 * face_w  # about the ear lobes: below, the suit begins
    person = place((analysis.person_mask > 0.5).astype(np.float32), cv2.BORDER_CONSTANT)
    rows = np.arange(height, dtype=np.float32)[:, None]
    head = np.maximum(person * (rows < hair_bottom), oval)
    head = cv2.GaussianBlur(head, (0, 0), 1.2)[..., None]

    neck = 0.30 * face_w
    # Shoulders about three face widths across, with the arms falling from them (a real torso).
    side = [(1.1 * neck, 0.30), (0.9 * face_w, 0.42), (1.3 * face_w, 0.55), (1.5 * face_w, 0.75),
            (1.6 * face_w, 1.1), (1.7 * face_w, 1.8)]
    right_side = [(cx + dx, chin + dy * face_w) for dx, dy in side]
    left_side = [(cx - dx, chin + dy * face_w) for dx, dy in side][::-1]
    body = np.array([(cx - neck, chin - 10), (cx + neck, chin - 10), *right_side,
                     (cx + 1.75 * face_w, height + 5), (cx - 1.75 * face_w, height + 5), *left_side], np.float32)
    collar = np.array([(cx - neck, chin - 10), (cx + neck, chin - 10), (cx + 1.1 * neck, chin + 0.30 * face_w),
                       (cx, chin + 0.55 * face_w), (cx - 1.1 * neck, chin + 0.30 * face_w)], np.float32)
    body_cover = _poly_mask((height, width), body)[..., None]
    collar_cover = _poly_mask((height, width), collar)[..., None]
    rng = np.random.default_rng(seed)
    top = np.broadcast_to(np.float32(TOP_BGR), (height, width, 3)) * (1 - 0.45 * collar_cover)
    top = top + rng.normal(0.0, 3.0, top.shape).astype(np.float32)  # cloth is never perfectly flat
    backdrop = np.broadcast_to(np.float32(BACKDROP_BGR), (height, width, 3))
    dressed = backdrop * (1 - body_cover) + top * body_cover

    def with_head(face: np.ndarray) -> np.ndarray:
        placed = place(face, cv2.BORDER_REPLICATE).astype(np.float32)
        return np.clip(dressed * (1 - head) + placed * head, 0, 255).astype(np.uint8)

    return SubjectPictures(
        neutral=with_head(closed_mouth(portrait, pts)), smiling=with_head(portrait),
        face_centre=(float(face_at[0]), float(face_at[1])), face_width=face_w, chin_y=chin,
    )
