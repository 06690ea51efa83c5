"""Regions of an image read at the face's scale, so measures of small things (a stud, a chain, a
stripe) mean the same at every resolution and distance.

A region's box is given in image pixels relative to the mesh; its pixels and person mask come
back resampled to a fixed number of pixels per cheek-to-cheek width: FACE_WIDTH_PX for clothing
(stripes and bare skin are large), DETAIL_FACE_WIDTH_PX for jewellery, whose highlights are a few
millimetres across (a 4 mm stone is 3 % of a face width).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.inference.analysis import Analysis

FACE_WIDTH_PX = 100.0
DETAIL_FACE_WIDTH_PX = 200.0

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels


@dataclass(frozen=True)
class Window:
    bgr: np.ndarray  # the box's pixels at face scale
    lab: np.ndarray  # the same in OpenCV 8-bit Lab
    person: np.ndarray | None  # the person mask (0..1) at face scale
    scale: float  # window pixels per image pixel
    origin: tuple[int, int]  # the box's top-left corner in image pixels
    face_width_px: float = FACE_WIDTH_PX  # the face's width at the window's scale

    @property
    def empty(self) -> bool:
        return self.bgr.size == 0

    def lab_pixels(self, mask: np.ndarray) -> np.ndarray:
        return self.lab[mask].astype(np.float32)


def face_window(analysis: Analysis, box: Box, face_width_px: float = FACE_WIDTH_PX) -> Window:
    height, width = analysis.bgr.shape[:2]
    x0, y0 = int(np.clip(box[0], 0, width)), int(np.clip(box[1], 0, height))
    x1, y1 = int(np.clip(box[2], 0, width)), int(np.clip(box[3], 0, height))
    scale = face_width_px / max(analysis.face_width, 1.0)
    if x1 - x0 < 2 or y1 - y0 < 2:
        empty = np.zeros((0, 0, 3), np.uint8)
        return Window(empty, empty, None, scale, (x0, y0), face_width_px)
    size = (max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    bgr = cv2.resize(analysis.bgr[y0:y1, x0:x1], size, interpolation=interp)
    person = None
    if analysis.person_mask is not None:
        person = cv2.resize(analysis.person_mask[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR)
    return Window(bgr, cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB), person, scale, (x0, y0), face_width_px)


def compact_bright_centres(window: Window, allowed: np.ndarray, contrast: float) -> np.ndarray:
    """Centres (x, y, window pixels) of small bright points within `allowed`: at least `contrast`
    lighter (Lab L) than the mean of their surroundings (7 % of a face width) and compact: at most
    4 % of a face width across and not elongated. Metal and stones under a ring light shine as such
    points; the shine of a collar's edge or a hair strand is a line and does not count."""
    px = window.face_width_px
    side = max(3, round(0.07 * px) | 1)
    span = max(2, round(0.04 * px))
    luma = window.lab[..., 0]
    surround = cv2.blur(luma, (side, side))
    bright = ((luma.astype(np.int16) - surround.astype(np.int16)) > contrast) & allowed
    count, _, stats, centres = cv2.connectedComponentsWithStats(bright.astype(np.uint8), connectivity=8)
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    keep = [i for i in range(1, count)
            if max(w[i], h[i]) <= span and max(w[i], h[i]) <= 2 * min(w[i], h[i]) + 1 and area[i] <= span * span * 0.8]
    return centres[keep].reshape(-1, 2)


def compact_bright_points(window: Window, allowed: np.ndarray, contrast: float) -> int:
    """How many compact bright points (compact_bright_centres) lie within `allowed`."""
    return len(compact_bright_centres(window, allowed, contrast))


def orientation_coherence(window: Window, scale: float = 0.03) -> np.ndarray:
    """Per pixel, how much the lightness gradients around it (a Gaussian of `scale` face widths)
    share one direction: 0 for isotropic texture (a cluster of stones, skin, plain cloth), near 1
    where strands or lines run side by side (hair). The structure tensor's (l1 - l2) / (l1 + l2)."""
    luma = cv2.GaussianBlur(window.lab[..., 0].astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3)
    sigma = scale * window.face_width_px
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), sigma)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), sigma)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), sigma)
    return np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + 1e-3)


def skin_like_mask(window: Window, skin, luma_tolerance: float = 0.35, chroma_tolerance: float = 14.0) -> np.ndarray:
    """Where the window looks like the subject's skin (the face's skin model)."""
    if window.empty:
        return np.zeros((0, 0), bool)
    flat = window.lab.reshape(-1, 3).astype(np.float32)
    return skin.skin_like(flat, luma_tolerance, chroma_tolerance).reshape(window.lab.shape[:2])
