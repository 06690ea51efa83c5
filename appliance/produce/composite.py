"""Putting the person on the reference colour without a fringe of the old background.

A hair-edge pixel is a mix of hair and old background (I = a F + (1 - a) B). Blending I itself over
the new colour would keep the old background's share in it: a grey or green fringe on blue. So the
old background B is estimated from nearby pure-background pixels, the foreground F is solved for,
and only F is blended. Where that solve is unstable (a small alpha) F leans on the colour of the
nearby solid person. Pixels that are (almost) fully the person are copied unchanged: no retouching,
and no tint of the new colour on skin or hair.
"""

from __future__ import annotations

import cv2
import numpy as np

SOLID = 0.98
CLEAR = 0.02


def _local_mean(image: np.ndarray, weight: np.ndarray, size: int) -> np.ndarray:
    """Weighted local mean colour (normalised convolution): only the pixels with weight count."""
    ksize = (size | 1, size | 1)
    total = cv2.blur(image * weight[..., None], ksize)
    norm = cv2.blur(weight, ksize)[..., None]
    return total / np.maximum(norm, 1e-4)


def decontaminate(bgr: np.ndarray, alpha: np.ndarray, size: int) -> np.ndarray:
    """Foreground colour F (float32 BGR) for every pixel of the matte's transition band."""
    image = bgr.astype(np.float32)
    background = _local_mean(image, (alpha < CLEAR).astype(np.float32), size)
    solid = _local_mean(image, (alpha > SOLID).astype(np.float32), size)
    safe = np.maximum(alpha, 1e-3)[..., None]
    solved = np.clip((image - (1.0 - alpha[..., None]) * background) / safe, 0.0, 255.0)
    trust = np.clip((alpha - 0.2) / 0.5, 0.0, 1.0)[..., None]
    foreground = trust * solved + (1.0 - trust) * solid
    return np.where(alpha[..., None] >= SOLID, image, foreground)


def composite(bgr: np.ndarray, alpha: np.ndarray, colour_bgr: tuple[int, int, int], size: int) -> np.ndarray:
    """The person (colours decontaminated at the edges) over a flat colour, as uint8 BGR."""
    alpha = np.where(alpha >= SOLID, 1.0, np.where(alpha <= CLEAR, 0.0, alpha)).astype(np.float32)
    foreground = decontaminate(bgr, alpha, size)
    flat = np.array(colour_bgr, np.float32)
    out = alpha[..., None] * foreground + (1.0 - alpha[..., None]) * flat
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
