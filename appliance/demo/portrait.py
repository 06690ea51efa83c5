"""The demo subject's picture: the public-domain astronaut portrait made into a student who can pass.

The NASA portrait the package ships (appliance/samples.py) smiles with teeth, wears a space suit with a helmet ring and
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
    # Both ears with the hair beside the cheeks tucked behind them, laid over either picture:
    # `ears` (BGR) where `ears_cover` (0..1) says, inside `ears_box` (x0, y0, x1, y1 canvas pixels).
    ears: np.ndarray | None = None
    ears_cover: np.ndarray | None = None
    ears_box: tuple[int, int, int, int] = (0, 0, 0, 0)


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
        matrix = np.array([[1, 0, shift[0]], [0, 1, shift[1]]], np.float32)
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
    top = np.broadcast_to(np.array(TOP_BGR, np.float32), (height, width, 3)) * (1 - 0.45 * collar_cover)
    top = top + rng.normal(0.0, 3.0, top.shape).astype(np.float32)  # cloth is never perfectly flat
    backdrop = np.broadcast_to(np.array(BACKDROP_BGR, np.float32), (height, width, 3))
    dressed = backdrop * (1 - body_cover) + top * body_cover

    def with_head(face: np.ndarray) -> np.ndarray:
        placed = place(face, cv2.BORDER_REPLICATE).astype(np.float32)
        return np.clip(dressed * (1 - head) + placed * head, 0, 255).astype(np.uint8)

    neutral = with_head(closed_mouth(portrait, pts))
    ears, cover, box = tucked_ears(neutral, dressed, moved, oval, face_w, hair_bottom)
    return SubjectPictures(
        neutral=neutral, smiling=with_head(portrait),
        face_centre=(float(face_at[0]), float(face_at[1])), face_width=face_w, chin_y=chin,
        ears=ears, ears_cover=cover, ears_box=box,
    )


def tucked_ears(picture: np.ndarray, dressed: np.ndarray, pts: np.ndarray, oval: np.ndarray, face_w: float,
                hair_bottom: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """The sides of the head once the hair there is tucked behind the ears.

    The astronaut's hair falls over the upper half of both ears, as many students' does when they
    sit down. Tucked, the hair beside each cheek below the ear's middle is gone (the backdrop and top
    show there) and each ear shows: an ear-sized oval from the brow line to below the nose, just
    outside the face's edge, in the colour of the cheek beside it (an ear shares its side's light)
    with a slightly darker rim and inner fold. The hair above and behind stays as it was.
    """
    height, width = picture.shape[:2]
    brow_y = float(pts[list(lm.RIGHT_BROW) + list(lm.LEFT_BROW), 1].mean())
    nose_y = float(pts[lm.NOSE_TIP, 1])
    eye_y = float((pts[lm.RIGHT_EYE_OUTER, 1] + pts[lm.LEFT_EYE_OUTER, 1]) / 2)
    top, bottom = brow_y - 0.02 * face_w, nose_y + 0.10 * face_w
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]
    ears = picture.astype(np.float32).copy()
    cover = np.zeros((height, width), np.float32)
    outside = 1.0 - np.clip(oval, 0.0, 1.0)
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1.0), (lm.FACE_LEFT_EDGE, 1.0)):
        x = float(pts[edge, 0])
        # the cheek beside this ear, just inside the face's edge at ear height
        cx0, cx1 = sorted((x - outward * 0.05 * face_w, x - outward * 0.15 * face_w))
        cheek = picture[int(eye_y):int(nose_y), int(cx0):int(cx1)].reshape(-1, 3).astype(np.float32)
        colour = np.median(cheek, axis=0)
        # hair beside the cheek below the ear's middle pulled back: the backdrop and top show there;
        # above it the hair stays, behind the ear
        ex, ey = x + outward * 0.055 * face_w, (top + bottom) / 2
        side = (xs - x) * outward
        cleared = (side > -2) & (side < 0.17 * face_w) & (ys > ey) & (ys < hair_bottom + 4)
        cleared_cover = cv2.GaussianBlur(cleared.astype(np.float32), (0, 0), 2.0) * outside
        ears = ears * (1 - cleared_cover[..., None]) + dressed * cleared_cover[..., None]
        cover = np.maximum(cover, cleared_cover)
        # the ear: an upright oval tucked against the head, its inner edge under the face's edge
        rx, ry = 0.085 * face_w, (bottom - top) / 2
        reach = np.hypot((xs - ex) / rx, (ys - ey) / ry)
        ear = _poly_mask((height, width), _ellipse(ex, ey, rx, ry)) * outside
        rim = np.clip((reach - 0.75) / 0.25, 0.0, 1.0)
        fold = np.exp(-(((xs - (ex - outward * 0.01 * face_w)) / (0.3 * rx)) ** 2
                        + ((ys - ey) / (0.45 * ry)) ** 2))
        shade = 1.0 - 0.08 * rim - 0.12 * fold
        skin = np.broadcast_to(colour, ears.shape) * shade[..., None]
        ears = ears * (1 - ear[..., None]) + skin * ear[..., None]
        cover = np.maximum(cover, ear)
    found = np.argwhere(cover > 0.002)
    (y0, x0), (y1, x1) = found.min(axis=0), found.max(axis=0) + 1
    box = (int(x0), int(y0), int(x1), int(y1))
    return (np.clip(ears[y0:y1, x0:x1], 0, 255).astype(np.uint8), cover[y0:y1, x0:x1].copy(), box)


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 48) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1).astype(np.float32)
