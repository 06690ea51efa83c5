"""Affine warps that give the same pixels under every OpenCV a booth may run.

OpenCV 4.12 rewrote warpAffine: it samples at the exact source coordinates (float32, one fused
multiply-add per pixel), where 4.11 and earlier, what Raspberry Pi OS Bookworm's pins keep, round
every coordinate to 1/32 px first. A model crop then differs by up to 4 grey levels on a few
percent of its pixels, the product by up to 3, and measures read from the landmarks (the lip gap,
the pose) moved by up to 10 % between the two: two booths of one fleet decided borderline photos
differently. `warp_affine` is what the engine and the product renderer call instead. Where OpenCV
samples exactly (4.12 on) it is OpenCV's own warpAffine; before that, the same arithmetic is done
here in NumPy, with OpenCV fetching only whole pixels (nearest neighbour at integer coordinates,
which no version rounds). The bilinear warp matches OpenCV 5.0 bit for bit, the bicubic one within
one grey level on a few pixels in 100 000 (tests/test_warp.py compares them where both exist).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

_F32, _F64 = np.float32, np.float64
# remap's second map when the first holds whole-pixel (x, y) pairs: none
_NO_MAP = np.empty((0, 0), np.uint16)
# Keys's cubic convolution kernel as OpenCV uses it.
_CUBIC_A = np.float32(-0.75)


@functools.cache
def opencv_samples_exactly() -> bool:
    """Whether this OpenCV's warpAffine samples at exact coordinates (4.12 and later)."""
    major, minor = (int(part) for part in cv2.__version__.split(".")[:2])
    return (major, minor) >= (4, 12)


def warp_affine(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int], interpolation: int,
                border: int = cv2.BORDER_CONSTANT, exact: bool | None = None) -> np.ndarray:
    """`image` warped by the 2x3 `matrix` (image pixels to output pixels) to `size` (width, height)
    with INTER_LINEAR or INTER_CUBIC and a zero constant or replicated border, as OpenCV 4.12 does
    it. `exact` forces the NumPy path (True) or OpenCV's (False); by default, the one that samples
    exactly on this OpenCV."""
    if exact is None:
        exact = not opencv_samples_exactly()
    if not exact:
        return cv2.warpAffine(image, matrix, size, flags=interpolation, borderMode=border, borderValue=0)
    if interpolation == cv2.INTER_LINEAR:
        return warp_linear(image, matrix, size, border)
    if interpolation == cv2.INTER_CUBIC:
        return warp_cubic(image, matrix, size, border)
    raise ValueError(f"warp_affine: interpolation {interpolation} is not INTER_LINEAR or INTER_CUBIC")


def source_coordinates(matrix: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) float32 source coordinates of every output pixel, rounded as OpenCV 4.12 rounds them:
    the inverse matrix in double; each row's offset in float32; each coordinate one fused
    multiply-add onto it (a float32 times a small integer is exact in float64, so a float64 sum
    rounded once to float32 is the fused operation)."""
    out_w, out_h = size
    m = [float(v) for v in np.asarray(matrix, dtype=_F64).reshape(-1)]
    det = m[0] * m[4] - m[1] * m[3]
    det = 1.0 / det if det != 0 else 0.0
    i0, i4, i1, i3 = m[4] * det, m[0] * det, m[1] * -det, m[3] * -det
    i2, i5 = -i0 * m[2] - i1 * m[5], -i3 * m[2] - i4 * m[5]
    rows = np.arange(out_h, dtype=_F32)
    row_x = (rows * _F32(i1) + _F32(i2)).astype(_F64)[:, None]
    row_y = (rows * _F32(i4) + _F32(i5)).astype(_F64)[:, None]
    cols = np.arange(out_w, dtype=_F64)
    return (cols * _F64(_F32(i0)) + row_x).astype(_F32), (cols * _F64(_F32(i3)) + row_y).astype(_F32)


def _neighbours(image: np.ndarray, x0: np.ndarray, y0: np.ndarray, offsets: range,
                border: int) -> np.ndarray:
    """The pixels at (x0 + i, y0 + j) for i, j in `offsets`, as float32 (j, h, i, w, channels),
    fetched by one nearest-neighbour remap of a map len(offsets) times the output's size each way;
    far-outside coordinates are clipped to a point that is still outside, so the border rule holds."""
    out_h, out_w = x0.shape
    n = len(offsets)
    grid = np.empty((n, out_h, n, out_w, 2), np.int16)
    grid[..., 0] = np.clip(x0, -8, 32000)[None, :, None, :]
    grid[..., 1] = np.clip(y0, -8, 32000)[None, :, None, :]
    step = np.array(offsets, np.int16)
    grid[..., 0] += step[None, None, :, None]
    grid[..., 1] += step[:, None, None, None]
    fetched = cv2.remap(image, grid.reshape(n * out_h, n * out_w, 2), _NO_MAP, cv2.INTER_NEAREST,
                        borderMode=border, borderValue=0)
    channels = image.shape[2] if image.ndim == 3 else 1
    return fetched.reshape(n, out_h, n, out_w, channels).astype(_F32)


def _per_channel(weight: np.ndarray, channels: int) -> np.ndarray:
    out_h, out_w = weight.shape
    return np.repeat(weight, channels, axis=1).reshape(out_h, out_w, channels)


def _finish(value: np.ndarray, image: np.ndarray) -> np.ndarray:
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        np.rint(value, out=value)
        np.clip(value, info.min, info.max, out=value)
    out_h, out_w = value.shape[:2]
    return value.astype(image.dtype).reshape((out_h, out_w, *image.shape[2:]))


def warp_linear(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
                border: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    """Bilinear: the horizontal, then the vertical interpolation in float32, round half to even."""
    src_x, src_y = source_coordinates(matrix, size)
    x0, y0 = np.floor(src_x), np.floor(src_y)
    src_x -= x0
    src_y -= y0
    quads = _neighbours(image, x0, y0, range(2), border)
    channels = quads.shape[-1]
    ax, ay = _per_channel(src_x, channels), _per_channel(src_y, channels)
    top = quads[0, :, 1] - quads[0, :, 0]
    top *= ax
    top += quads[0, :, 0]
    value = quads[1, :, 1] - quads[1, :, 0]
    value *= ax
    value += quads[1, :, 0]
    value -= top
    value *= ay
    value += top
    return _finish(value, image)


def _cubic_weights(t: np.ndarray) -> tuple[np.ndarray, ...]:
    a = _CUBIC_A
    t1, u = t + _F32(1), _F32(1) - t
    w0 = ((a * t1 - _F32(5) * a) * t1 + _F32(8) * a) * t1 - _F32(4) * a
    w1 = ((a + _F32(2)) * t - (a + _F32(3))) * t * t + _F32(1)
    w2 = ((a + _F32(2)) * u - (a + _F32(3))) * u * u + _F32(1)
    return w0, w1, w2, _F32(1) - w0 - w1 - w2


def warp_cubic(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
               border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """Bicubic (a = -0.75) over the 4x4 neighbourhood, in float32, round half to even."""
    src_x, src_y = source_coordinates(matrix, size)
    x0, y0 = np.floor(src_x), np.floor(src_y)
    taps = _neighbours(image, x0, y0, range(-1, 3), border)
    channels = taps.shape[-1]
    wx = [_per_channel(w, channels) for w in _cubic_weights(src_x - x0)]
    wy = [_per_channel(w, channels) for w in _cubic_weights(src_y - y0)]
    value = np.zeros_like(wx[0])
    for j in range(4):
        row = taps[j, :, 0] * wx[0]
        for i in range(1, 4):
            row += taps[j, :, i] * wx[i]
        row *= wy[j]
        value += row
    return _finish(value, image)
