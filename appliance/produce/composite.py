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


def _local_mean(image: np.ndarray, weight: np.ndarray, size: int, at: tuple[np.ndarray, ...]) -> np.ndarray:
    """Weighted local mean colour (normalised convolution) at the pixels `at`: only the pixels
    with weight count."""
    ksize = (size | 1, size | 1)
    total = cv2.blur(image * weight[..., None], ksize)[at]
    norm = cv2.blur(weight, ksize)[at][:, None]
    return total / np.maximum(norm, 1e-4)


def decontaminate(bgr: np.ndarray, alpha: np.ndarray, size: int,
                  at: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """Foreground colour F (float32 BGR) at the pixels `at` (default: all) of the matte's
    transition band, as an (N, 3) array."""
    image = bgr.astype(np.float32)
    if at is None:
        at = np.nonzero(np.ones(alpha.shape, bool))
    background = _local_mean(image, (alpha < CLEAR).astype(np.float32), size, at)
    solid = _local_mean(image, (alpha > SOLID).astype(np.float32), size, at)
    pixels, share = image[at], alpha[at][:, None]
    safe = np.maximum(share, 1e-3)
    solved = np.clip((pixels - (1.0 - share) * background) / safe, 0.0, 255.0)
    trust = np.clip((share - 0.2) / 0.5, 0.0, 1.0)
    foreground = trust * solved + (1.0 - trust) * solid
    return np.where(share >= SOLID, pixels, foreground)


def composite(bgr: np.ndarray, alpha: np.ndarray, colour_bgr: tuple[int, int, int], size: int) -> np.ndarray:
    """The person (colours decontaminated at the edges) over a flat colour, as uint8 BGR.

    Only the band between background and solid person is blended: a solid pixel is the source's
    own and a clear one the flat colour (which is what the blend gives there, computed for all).
    """
    alpha = np.where(alpha >= SOLID, 1.0, np.where(alpha <= CLEAR, 0.0, alpha)).astype(np.float32)
    out = np.empty(bgr.shape, np.uint8)
    out[...] = np.array(colour_bgr, np.uint8)
    solid = alpha >= 1.0
    out[solid] = bgr[solid]
    band = np.nonzero((alpha > 0.0) & (alpha < 1.0))
    foreground = decontaminate(bgr, alpha, size, band)
    share = alpha[band][:, None]
    flat = np.array(colour_bgr, np.float32)
    blended = share * foreground + (1.0 - share) * flat
    out[band] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out
