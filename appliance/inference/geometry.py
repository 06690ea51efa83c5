"""Rotated square crops: the models see an upright, face-sized patch; results map back exactly.

Every model input in the pipeline is produced by one affine warp, and its inverse maps the model's
points back to image pixels, so no stage re-derives coordinates on its own.

That warp is `appliance.warp.warp_affine`, which gives the same crop under every OpenCV (see there).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.warp import warp_affine


@dataclass(frozen=True)
class Roi:
    """A square region: centre (px), side (px) and rotation (radians, image y down)."""

    cx: float
    cy: float
    size: float
    angle: float = 0.0

    def affine(self, out_size: int) -> np.ndarray:
        """2x3 matrix taking image pixels to the out_size x out_size crop."""
        scale = out_size / self.size
        cos, sin = np.cos(self.angle) * scale, np.sin(self.angle) * scale
        # rotate by -angle about the centre so the crop comes out upright
        matrix = np.array(
            [[cos, sin, 0.0], [-sin, cos, 0.0]],
            dtype=np.float64,
        )
        matrix[:, 2] = np.array([out_size / 2, out_size / 2]) - matrix[:, :2] @ np.array([self.cx, self.cy])
        return matrix

    def crop(self, image: np.ndarray, out_size: int, border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
        return warp_affine(image, self.affine(out_size), (out_size, out_size), cv2.INTER_LINEAR, border)

    def to_image(self, points: np.ndarray, out_size: int) -> np.ndarray:
        """Map crop-space points (N,2) or (N,3) back to image pixels; z is scaled like x."""
        inverse = cv2.invertAffineTransform(self.affine(out_size))
        result = np.array(points, dtype=np.float64, copy=True)
        result[:, :2] = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        if points.shape[1] > 2:
            result[:, 2] = points[:, 2] * (self.size / out_size)
        return result


def polygon_mask(shape: tuple[int, ...], points: np.ndarray) -> np.ndarray:
    """A uint8 mask (255 inside) of the polygon, the size of an image of `shape`."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 255)
    return mask


def angle_of(p_from: np.ndarray, p_to: np.ndarray) -> float:
    """Angle (radians) of the vector p_from->p_to against the image x axis, y down."""
    return float(np.arctan2(p_to[1] - p_from[1], p_to[0] - p_from[0]))
