"""Resampling the source into the product frame without aliasing.

A 12 MP still is reduced 3-4x; an affine warp with linear interpolation would skip pixels and alias
hair and fabric. Only the region that becomes the product is cut out, reduced with area averaging
(every source pixel counts), and the remaining small rotation is done at about unit scale.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.warp import warp_affine

PAD = 4


def _source_box(matrix: np.ndarray, size: tuple[int, int],
                shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) in the source of the product rectangle, clipped to the image."""
    width, height = size
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], np.float64)
    src = corners @ inverse[:, :2].T + inverse[:, 2]
    x0, y0 = np.floor(src.min(axis=0)).astype(int) - PAD
    x1, y1 = np.ceil(src.max(axis=0)).astype(int) + PAD
    return max(x0, 0), max(y0, 0), min(x1, shape[1]), min(y1, shape[0])


def warp_to_product(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
                    interpolation: int = cv2.INTER_CUBIC) -> tuple[np.ndarray, np.ndarray]:
    """The product-sized warp of `image`, and a float mask of where it saw real source pixels.

    Outside the source the image edge is replicated (so matting sees no artificial black) and the
    coverage mask is 0 there, for the caller to decide whether that area may be background.
    """
    width, height = size
    x0, y0, x1, y1 = _source_box(matrix, size, image.shape)
    if x1 <= x0 or y1 <= y0:
        empty = np.zeros((height, width, *image.shape[2:]), image.dtype)
        return empty, np.zeros((height, width), np.float32)
    region = image[y0:y1, x0:x1]
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    linear = matrix[:, :2].copy()
    offset = matrix[:, 2] + linear @ np.array([x0, y0], np.float64)
    if scale < 0.9:
        new_w = max(1, round(region.shape[1] * scale))
        new_h = max(1, round(region.shape[0] * scale))
        sx, sy = new_w / region.shape[1], new_h / region.shape[0]
        region = cv2.resize(region, (new_w, new_h), interpolation=cv2.INTER_AREA)
        linear = linear @ np.diag([1 / sx, 1 / sy])
    local = np.hstack([linear, offset[:, None]])
    warped = warp_affine(region, local, (width, height), interpolation, cv2.BORDER_REPLICATE)
    inside = np.ones(region.shape[:2], np.float32)
    coverage = warp_affine(inside, local, (width, height), cv2.INTER_LINEAR, cv2.BORDER_CONSTANT)
    # the region was clipped to the image: where it was clipped, its border is the image's border
    return warped, coverage
