"""Controlled variants of real photos for the face count: a second person's face put into a
corner of a good photo, at a chosen size and optionally behind a medical mask, in the donor
photo's own geometry (its mesh), so the only thing that changes is how many faces there are."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis

# Light blue of a surgical mask (BGR), and how far below the eye line its top edge sits, as a
# share of the eye line to nose tip distance (a worn mask covers the nose's lower half).
MASK_BGR = (214, 196, 160)
MASK_TOP = 0.45


def masked(analysis: Analysis, colour_bgr: tuple[int, int, int] = MASK_BGR) -> np.ndarray:
    """The analysed face behind a medical mask: the face outline below the nose's middle, to the
    chin and out to the cheeks, filled in fabric with horizontal pleats and the face's shading."""
    pts = analysis.pts[:, :2]
    eye_y = float(np.mean([c[1] for c in analysis.eye_centres]))
    top = eye_y + MASK_TOP * (float(pts[lm.NOSE_TIP, 1]) - eye_y)
    outline = pts[list(lm.FACE_OVAL)]
    lower = outline[outline[:, 1] >= top]
    left, right = float(pts[lm.FACE_RIGHT_EDGE, 0]), float(pts[lm.FACE_LEFT_EDGE, 0])
    polygon = np.vstack([[left, top], [right, top], lower[np.argsort(-np.arctan2(lower[:, 1] - top,
                                                                                  lower[:, 0] - (left + right) / 2))]])
    area = np.zeros(analysis.bgr.shape[:2], np.uint8)
    cv2.fillPoly(area, [np.round(cv2.convexHull(polygon.astype(np.float32))).astype(np.int32)], 1)
    inside = area > 0
    out = analysis.bgr.astype(np.float32)
    luma = cv2.cvtColor(analysis.bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    # the face's broad shading only (a blur a quarter face wide): a mask hides the nose and lips
    broad = cv2.GaussianBlur(luma, (0, 0), max(analysis.face_width / 4, 1.0))
    shade = np.clip(broad / max(float(np.median(broad[inside])), 1.0), 0.6, 1.2)
    ys = np.arange(out.shape[0], dtype=np.float32)
    pleat = 1.0 - 0.08 * (np.sin((ys - top) / max(analysis.eye_to_chin, 1.0) * 2 * np.pi * 5) > 0.8)
    fabric = np.array(colour_bgr, np.float32)[None, None, :] * (shade * pleat[:, None])[..., None]
    out[inside] = fabric[inside]
    return np.clip(out, 0, 255).astype(np.uint8)


def with_second_face(subject: Analysis, donor: Analysis, relative: float = 0.5, corner: str = "left",
                     mask: bool = False) -> np.ndarray:
    """The subject's photo with the donor's face (head and a margin around it) pasted into an upper
    corner, its face `relative` times the subject's face width, blended in with a soft oval edge;
    `mask` puts the donor behind a medical mask first."""
    donor_bgr = masked(donor) if mask else donor.bgr
    pts = donor.pts[:, :2]
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    half = 0.65 * max(float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 1])))
    x0, y0 = (centre - half).astype(int)
    side = int(2 * half)
    padded = cv2.copyMakeBorder(donor_bgr, side, side, side, side, cv2.BORDER_REPLICATE)
    crop = padded[y0 + side:y0 + 2 * side, x0 + side:x0 + 2 * side]
    scale = relative * subject.face_width / max(donor.face_width, 1.0)
    size = max(8, round(side * scale))
    patch = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = subject.bgr.copy()
    sub_h, sub_w = out.shape[:2]
    if size + 2 > min(sub_h, sub_w):
        raise ValueError("the second face does not fit into the photo at that size")
    margin = max(1, round(0.03 * sub_w))
    px = margin if corner == "left" else sub_w - size - margin
    py = min(margin, sub_h - size)
    head = subject.pts[:, :2]
    hx0, hy0 = head.min(axis=0) - [0.15 * subject.face_width, 0.5 * subject.eye_to_chin]
    hx1 = head[:, 0].max() + 0.15 * subject.face_width
    if px < hx1 and px + size > hx0 and py + size > hy0:
        raise ValueError("the second face would cover the subject's head at that size")
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    radius = ((xx - size / 2) / (0.5 * size)) ** 2 + ((yy - size / 2) / (0.5 * size)) ** 2
    alpha = np.clip((1.0 - radius) / 0.25, 0.0, 1.0)[..., None]
    region = out[py:py + size, px:px + size].astype(np.float32)
    out[py:py + size, px:px + size] = (alpha * patch + (1 - alpha) * region).astype(np.uint8)
    return out
