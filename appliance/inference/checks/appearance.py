"""Colour and brightness statistics of small face regions, shared by the appearance checks.

Headwear, glasses and occlusion all ask the same question of a region: does it look like this
subject's own skin? The reference is the median of the face's skin mask, so the rules adapt to
every skin tone and to grayscale photos (where only brightness is compared).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from appliance.inference.analysis import Analysis

# The skin reference is a median: a sample ~96 px across the face gives the same value in a
# fraction of the time.
REFERENCE_SAMPLE_WIDTH = 96


@dataclass
class SkinModel:
    analysis: Analysis


    @cached_property
    def reference(self) -> np.ndarray:
        """Median L, a, b of the skin (OpenCV 8-bit Lab scale)."""
        skin = self.pixels(self.analysis.skin_mask, sample_width=REFERENCE_SAMPLE_WIDTH)
        if len(skin) < 20:
            return np.array([128.0, 128.0, 128.0])
        return np.median(skin, axis=0)

    @cached_property
    def chroma(self) -> float:
        """How coloured the skin is: the a*b* distance of its reference from grey."""
        return float(np.linalg.norm(self.reference[1:] - 128.0))

    def pixels(self, mask: np.ndarray, sample_width: int | None = None) -> np.ndarray:
        """Lab values under a mask; only the mask's bounding box is read, not the whole image.
        With `sample_width`, a regular sample about that many pixels across (for statistics of
        large regions, where every pixel adds time but not information)."""
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return np.empty((0, 3), np.float32)
        step = max(1, w // sample_width) if sample_width else 1
        window = np.ascontiguousarray(self.analysis.bgr[y:y + h:step, x:x + w:step])
        lab = cv2.cvtColor(window, cv2.COLOR_BGR2LAB)
        return lab[mask[y:y + h:step, x:x + w:step] > 0].astype(np.float32)

    def skin_like(self, lab: np.ndarray, luma_tolerance: float = 0.35, chroma_tolerance: float = 14.0) -> np.ndarray:
        ref = self.reference
        close_luma = np.abs(lab[:, 0] - ref[0]) <= luma_tolerance * max(ref[0], 1.0)
        if self.analysis.grayscale:
            return close_luma
        close_chroma = np.linalg.norm(lab[:, 1:] - ref[1:], axis=1) <= chroma_tolerance
        return close_luma & close_chroma

    def relative_luma(self, lab: np.ndarray) -> float:
        return float(np.median(lab[:, 0]) / max(self.reference[0], 1.0)) if len(lab) else 1.0

    def chroma_distance(self, lab: np.ndarray) -> float:
        if self.analysis.grayscale or not len(lab):
            return 0.0
        return float(np.linalg.norm(np.median(lab[:, 1:], axis=0) - self.reference[1:]))


def skin_model(analysis: Analysis) -> SkinModel:
    """The analysis' one skin model, so the skin reference is measured once per image."""
    return analysis.memo("skin_model", lambda: SkinModel(analysis))


def box_mask(shape: tuple[int, ...], x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    height, width = shape[:2]
    xa, xb = int(np.clip(min(x0, x1), 0, width)), int(np.clip(max(x0, x1), 0, width))
    ya, yb = int(np.clip(min(y0, y1), 0, height)), int(np.clip(max(y0, y1), 0, height))
    mask[ya:yb, xa:xb] = 255
    return mask


def limit_to(region: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`region` restricted to `mask`, touching only the region's box (in place)."""
    x, y, w, h = cv2.boundingRect(region)
    if w and h:
        region[y:y + h, x:x + w] &= mask[y:y + h, x:x + w]
    return region


def within_person(region: np.ndarray, analysis: Analysis, threshold: float) -> np.ndarray:
    """`region` restricted to where the person mask exceeds `threshold`, touching only its box."""
    if analysis.person_mask is None:
        return region
    x, y, w, h = cv2.boundingRect(region)
    if w and h:
        window = region[y:y + h, x:x + w]
        window[analysis.person_mask[y:y + h, x:x + w] <= threshold] = 0
    return region
