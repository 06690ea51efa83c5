"""Pixel conversions shared by the camera sources."""

from __future__ import annotations

import cv2
import numpy as np

_ROTATIONS = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """Turn a sideways-mounted camera's frame upright (clockwise degrees)."""
    if degrees == 0:
        return image
    return cv2.rotate(image, _ROTATIONS[degrees])


def fit_within(image: np.ndarray, box: tuple[int, int]) -> np.ndarray:
    """Scale down to fit inside box (width, height) keeping the aspect ratio, so faces keep shape."""
    height, width = image.shape[:2]
    scale = min(box[0] / width, box[1] / height, 1.0)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def yuv420_to_bgr(array: np.ndarray, width: int, height: int) -> np.ndarray:
    """Convert a planar YUV420 buffer as picamera2 returns it, whose rows may be padded.

    The Pi's ISP pads each row to its stride; the chroma planes follow the luma plane with half the
    stride, so they are cut out of the flat buffer rather than by rows.
    """
    stride = array.shape[1]
    luma = array[:height, :width]
    chroma = array[height:].reshape(-1)
    half_stride, half_w, half_h = stride // 2, width // 2, height // 2
    plane = half_stride * half_h
    u = chroma[:plane].reshape(half_h, half_stride)[:, :half_w]
    v = chroma[plane : 2 * plane].reshape(half_h, half_stride)[:, :half_w]
    packed = np.concatenate([luma.reshape(-1), u.reshape(-1), v.reshape(-1)])
    return cv2.cvtColor(packed.reshape(height * 3 // 2, width), cv2.COLOR_YUV2BGR_I420)
