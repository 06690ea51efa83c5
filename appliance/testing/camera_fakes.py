"""Helpers shared by the camera tests."""

from __future__ import annotations

import cv2
import numpy as np


def padded_i420(bgr: np.ndarray, stride: int) -> np.ndarray:
    """A YUV420 buffer laid out like the Pi ISP's: rows padded to `stride`."""
    height, width = bgr.shape[:2]
    i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).reshape(-1)
    y = i420[: width * height].reshape(height, width)
    u = i420[width * height : width * height * 5 // 4].reshape(height // 2, width // 2)
    v = i420[width * height * 5 // 4 :].reshape(height // 2, width // 2)
    out = np.zeros((height * 3 // 2, stride), np.uint8)
    out[:height, :width] = y
    chroma = np.zeros(2 * (stride // 2) * (height // 2), np.uint8)
    half = stride // 2
    for row in range(height // 2):
        chroma[row * half : row * half + width // 2] = u[row]
        base = (height // 2) * half
        chroma[base + row * half : base + row * half + width // 2] = v[row]
    out[height:] = chroma.reshape(height // 2, stride)
    return out
