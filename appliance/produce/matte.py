"""A soft matte of the person that follows hair and shoulder edges in the image itself.

The segmentation model sees 256x256 and gives a blurry silhouette; a guided filter (He, Sun and
Tang 2010) with the colour photo as the guide keeps its meaning but moves its edges onto the real
ones. opencv-contrib's ximgproc is not on the device, and the filter is a dozen box filters, so it
is written here with cv2.boxFilter. Where the booth calibrated an empty-backdrop frame, the
difference from that frame decides the uncertain edge band, which is sharper than any model.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.produce.config import MatteSettings


def _mean(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, cv2.CV_32F, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-aware smoothing of `source` (HxW float) steered by a colour `guide` (HxWx3 float 0..1)."""
    guide = guide.astype(np.float32, copy=False)
    source = source.astype(np.float32, copy=False)
    mean_i = _mean(guide, radius)
    mean_p = _mean(source, radius)
    mean_ip = _mean(guide * source[..., None], radius)
    cov_ip = mean_ip - mean_i * mean_p[..., None]
    # per-pixel 3x3 covariance of the guide, regularised, solved for the local linear coefficients
    # in closed form (the adjugate of a symmetric 3x3), in float64, which float32 cofactors are
    # not precise enough for: a batched np.linalg.solve over every pixel cost five times the rest
    # of the filter
    planes = [np.ascontiguousarray(guide[..., a]) for a in range(3)]
    means = [np.ascontiguousarray(mean_i[..., a]) for a in range(3)]
    var = {}
    for a in range(3):
        for b in range(a, 3):
            var[a, b] = _mean(planes[a] * planes[b], radius)
            var[a, b] -= means[a] * means[b]
    coef = _solve_symmetric3(var, cov_ip, eps)
    offset = mean_p - np.einsum("hwc,hwc->hw", coef, mean_i)
    return np.einsum("hwc,hwc->hw", _mean(coef, radius), guide) + _mean(offset, radius)


# Rows solved at a time: the dozen float64 intermediates of a block stay in the CPU's cache, where
# whole 480x640 planes went through memory and cost as much as the arithmetic.
SOLVE_ROWS = 32


def _solve_symmetric3(m: dict[tuple[int, int], np.ndarray], rhs: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """x (HxWx3, rounded to float32) with (M + eps I) x = rhs (HxWx3) at every pixel, M symmetric
    positive definite given by its upper entries: in float64, with the same operations in the same
    order as the plain whole-plane expressions, block by block (inputs widened block by block too)."""
    height = m[0, 0].shape[0]
    coef = np.empty((*m[0, 0].shape, 3), np.float32)
    for top in range(0, height, SOLVE_ROWS):
        rows = slice(top, top + SOLVE_ROWS)
        block = {}
        for (a, b), plane in m.items():
            block[a, b] = plane[rows].astype(np.float64)
            block[a, b] += eps if a == b else 0.0
        _solve_block(block, rhs[rows].astype(np.float64), coef[rows])
    return coef


def _solve_block(m: dict[tuple[int, int], np.ndarray], rhs: np.ndarray, coef: np.ndarray) -> None:
    a, b, c = m[0, 0], m[0, 1], m[0, 2]
    d, e, f = m[1, 1], m[1, 2], m[2, 2]
    scratch = np.empty_like(a)

    def minus_products(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
        """p * q - r * s"""
        out = np.multiply(p, q)
        out -= np.multiply(r, s, out=scratch)
        return out

    # cofactors (the adjugate is symmetric too)
    ca, cb, cc = minus_products(d, f, e, e), minus_products(c, e, b, f), minus_products(b, e, c, d)
    cd, ce, cf = minus_products(a, f, c, c), minus_products(b, c, a, e), minus_products(a, d, b, b)
    det = np.multiply(a, ca)
    det += np.multiply(b, cb, out=scratch)
    det += np.multiply(c, cc, out=scratch)
    p0, p1, p2 = rhs[..., 0], rhs[..., 1], rhs[..., 2]
    row = np.empty_like(a)
    for k, (x, y, z) in enumerate(((ca, cb, cc), (cb, cd, ce), (cc, ce, cf))):
        np.multiply(x, p0, out=row)
        row += np.multiply(y, p1, out=scratch)
        row += np.multiply(z, p2, out=scratch)
        np.divide(row, det, out=coef[..., k], casting="same_kind")


def backdrop_alpha(image: np.ndarray, backdrop: np.ndarray, settings: MatteSettings) -> np.ndarray:
    """How unlike the empty backdrop each pixel is: 0 = backdrop, 1 = something in front of it."""
    diff = cv2.GaussianBlur(image.astype(np.float32) - backdrop.astype(np.float32), (3, 3), 0)
    distance = np.linalg.norm(diff, axis=2)
    span = max(settings.backdrop_high - settings.backdrop_low, 1.0)
    return np.clip((distance - settings.backdrop_low) / span, 0.0, 1.0).astype(np.float32)


def refine_matte(bgr: np.ndarray, prior: np.ndarray, face_width: float, settings: MatteSettings,
                 backdrop: np.ndarray | None = None) -> np.ndarray:
    """Alpha (HxW float32, 0..1) of the person in `bgr` from a coarse probability `prior`."""
    radius = max(2, round(settings.guided_radius_ratio * face_width))
    if backdrop is not None:
        # keep the model's certain core and certain outside; let the backdrop decide the band between
        band = 2 * radius + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (band, band))
        person = (prior > 0.5).astype(np.uint8)
        core = cv2.erode(person, kernel) > 0
        outside = cv2.dilate(person, kernel) == 0
        prior = np.where(core, 1.0, np.where(outside, 0.0, backdrop_alpha(bgr, backdrop, settings)))
    guide = bgr.astype(np.float32) / 255.0
    alpha = guided_filter(guide, prior.astype(np.float32), radius, settings.guided_eps)
    # the filter's tails: faint grey left over far from the edge would show as a halo
    alpha = np.clip((alpha - 0.1) / 0.8, 0.0, 1.0).astype(np.float32)
    return alpha * main_body(alpha, radius)


def main_body(alpha: np.ndarray, radius: int) -> np.ndarray:
    """1 on and near the largest connected part of the matte, 0 on islands (a chair back, a poster)."""
    solid = (alpha > 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if count <= 2:
        return np.ones_like(alpha)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    keep = (labels == largest).astype(np.uint8)
    size = 2 * radius + 1
    return cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))).astype(np.float32)
