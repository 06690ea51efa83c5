"""Rotated square crops: the models see an upright, face-sized patch; results map back exactly.

Every model input in the pipeline is produced by one affine warp, and its inverse maps the model's
points back to image pixels, so no stage re-derives coordinates on its own.

That warp is `warp_linear`, not OpenCV's warpAffine: OpenCV 4.12 rewrote warpAffine and remap to
sample at the exact source coordinates, where 4.11 and earlier (what Raspberry Pi OS Bookworm's
pins keep) round each coordinate to 1/32 px first. The models' inputs then differ by up to 4 grey
levels on a few percent of pixels, and measures read from the landmarks (the lip gap, the pose)
moved by up to 10 % between the two, deciding borderline photos differently on two booths of one
fleet. `warp_linear` does OpenCV 4.12's arithmetic itself, so every OpenCV gives the same crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


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
        return warp_linear(image, self.affine(out_size), (out_size, out_size), border)

    def to_image(self, points: np.ndarray, out_size: int) -> np.ndarray:
        """Map crop-space points (N,2) or (N,3) back to image pixels; z is scaled like x."""
        inverse = cv2.invertAffineTransform(self.affine(out_size))
        result = np.array(points, dtype=np.float64, copy=True)
        result[:, :2] = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        if points.shape[1] > 2:
            result[:, 2] = points[:, 2] * (self.size / out_size)
        return result


def warp_linear(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
                border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    """`image` warped by the 2x3 `matrix` (image pixels to output pixels) to `size` (width, height),
    bilinear, the same under every OpenCV and NumPy.

    The arithmetic is OpenCV 4.12's warpAffine INTER_LINEAR, rounding for rounding (it matches
    OpenCV 5.0 bit for bit): the inverse matrix in double; each row's offset in float32; each
    source coordinate one fused multiply-add onto it (the product of a float32 and a small integer
    is exact in float64, so a float64 sum rounded once to float32 is the fused operation); the
    horizontal, then the vertical interpolation in float32; round half to even. OpenCV only
    fetches whole pixels here (nearest neighbour at integer coordinates, which no version rounds)."""
    out_w, out_h = size
    f32, f64 = np.float32, np.float64
    m = [float(v) for v in np.asarray(matrix, dtype=f64).reshape(-1)]
    det = m[0] * m[4] - m[1] * m[3]
    det = 1.0 / det if det != 0 else 0.0
    i0, i4, i1, i3 = m[4] * det, m[0] * det, m[1] * -det, m[3] * -det
    i2, i5 = -i0 * m[2] - i1 * m[5], -i3 * m[2] - i4 * m[5]
    rows = np.arange(out_h, dtype=f32)
    row_x = (rows * f32(i1) + f32(i2)).astype(f64)[:, None]
    row_y = (rows * f32(i4) + f32(i5)).astype(f64)[:, None]
    cols = np.arange(out_w, dtype=f64)
    src_x = (cols * f64(f32(i0)) + row_x).astype(f32)
    src_y = (cols * f64(f32(i3)) + row_y).astype(f32)
    x0, y0 = np.floor(src_x), np.floor(src_y)
    src_x -= x0
    src_y -= y0
    # the four neighbours of every output pixel, fetched by one nearest-neighbour remap of a map
    # twice the output's size: quad[dy, y, dx, x] = (x0 + dx, y0 + dy); far-outside coordinates are
    # clipped to a point that is still outside, so the border rule applies to them unchanged
    quad = np.empty((2, out_h, 2, out_w, 2), np.int16)
    quad[:, :, :, :, 0] = np.clip(x0, -2, 32000)[None, :, None, :]
    quad[:, :, :, :, 1] = np.clip(y0, -2, 32000)[None, :, None, :]
    quad[:, :, 1, :, 0] += 1
    quad[1, :, :, :, 1] += 1
    fetched = cv2.remap(image, quad.reshape(2 * out_h, 2 * out_w, 2), None, cv2.INTER_NEAREST,
                        borderMode=border, borderValue=0)
    channels = image.shape[2] if image.ndim == 3 else 1
    quads = fetched.reshape(2, out_h, 2, out_w, channels).astype(f32)
    ax = np.repeat(src_x, channels, axis=1).reshape(out_h, out_w, channels)
    ay = np.repeat(src_y, channels, axis=1).reshape(out_h, out_w, channels)
    top = quads[0, :, 1] - quads[0, :, 0]
    top *= ax
    top += quads[0, :, 0]
    value = quads[1, :, 1] - quads[1, :, 0]
    value *= ax
    value += quads[1, :, 0]
    value -= top
    value *= ay
    value += top
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        np.rint(value, out=value)
        np.clip(value, info.min, info.max, out=value)
    return value.astype(image.dtype).reshape((out_h, out_w, *image.shape[2:]))


def polygon_mask(shape: tuple[int, ...], points: np.ndarray) -> np.ndarray:
    """A uint8 mask (255 inside) of the polygon, the size of an image of `shape`."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 255)
    return mask


def angle_of(p_from: np.ndarray, p_to: np.ndarray) -> float:
    """Angle (radians) of the vector p_from->p_to against the image x axis, y down."""
    return float(np.arctan2(p_to[1] - p_from[1], p_to[0] - p_from[0]))
