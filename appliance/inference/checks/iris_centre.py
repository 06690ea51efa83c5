"""The iris centre found on the image's own pixels, where the iris model gives it only roughly.

The iris model reads a 64x64 crop centred on the mesh's eye corners, about 28 of its pixels per
eye width, and pulls its answer toward the crop's middle: it reads about 0.8 of a known turn, and
a pixel of its crop is about 2 degrees of gaze. The limbus (the dark iris against the white
sclera, left and right of the iris, where the lids do not cover it) is the sharpest edge in the
eye, and it is what moves when the eye turns. So the centre is searched near the model's answer as
the circle whose left and right arcs, inside the eye opening, have the strongest dark-to-bright
step from just inside to just outside them (an integro-differential search, after Daugman), on a
patch resampled along the eye's corner axis at a fixed size, so a live frame and a still are
measured alike. The model's radius sets the circle's size (searched within +-20 %).

Measured on real eyes (scripts/gaze_reference_scatter.py, irises warped by a known turn): the
centre found here moves 1.00 of the warp's shift (the model's 0.91-0.96), and a photo and its
mirror image disagree less (1.6 degrees sd against the model's 1.8). The gaze check does not read
it yet: what bounds the check is the photos' own spread at 0 (about 2.7 degrees sd either way,
mostly their own gaze and eyes), so at the same false alarms it refused only about 5 % more of
the turns by the limit, for about 3 ms per eye (live, a slow cadence would have to carry it).
"""

from __future__ import annotations

import cv2
import numpy as np

# Patch pixels per eye width (corner to corner), and the patch's half extent in eye widths.
PATCH_EYE_WIDTH = 64.0
PATCH_HALF = (0.75, 0.35)
# The search around the model's centre, in iris radii: along the eye and across it.
SEARCH_ALONG, SEARCH_ACROSS = 0.5, 0.25
# A coarse search in whole patch px over the radii, then a fine one in FINE_STEP around the best.
RADIUS_FACTORS = (0.8, 0.9, 1.0, 1.1, 1.2)
FINE_STEP = 0.5
FINE_RADIUS_FACTORS = (0.95, 1.0, 1.05)
# The arcs sampled either side (degrees from the eye's axis) and how far inside/outside the circle.
ARC_DEG = np.arange(-50.0, 50.1, 12.5)
RING_INSIDE, RING_OUTSIDE = 0.88, 1.12
MIN_SAMPLES_PER_SIDE = 3
# A step this small (grey levels, inside to outside, the visible sides summed) is no limbus: the
# eye is too dark, blurred or covered to be measured on pixels, and the model's centre is kept.
MIN_CONTRAST = 6.0

# Patch px: larger than a catchlight (a few hundredths of the eye's width), smaller than the iris.
_HIGHLIGHT_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
_ANGLES = np.radians(np.concatenate([ARC_DEG, 180.0 + ARC_DEG]))
_RIGHT_SIDE = np.concatenate([np.ones(ARC_DEG.size, bool), np.zeros(ARC_DEG.size, bool)])


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, image.shape[1] - 1.001)
    y = np.clip(y, 0.0, image.shape[0] - 1.001)
    x0, y0 = x.astype(np.intp), y.astype(np.intp)
    fx, fy = x - x0, y - y0
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _limbus_score(gray: np.ndarray, opening: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                  radii: np.ndarray, nominal: int) -> np.ndarray:
    """(len(xs), len(ys), len(radii)): the mean step from inside to outside the circle's arcs,
    each side's mean on its own (so both edges count alike), where both samples are in the eye.
    A circle with one side hidden (an eye turned into its corner) has one edge to go by, which
    any smaller circle shifted toward it fits as well: it is scored at the `nominal` radius only."""
    cx, cy, r, angle = np.meshgrid(xs, ys, radii, _ANGLES, indexing="ij")
    cos, sin = np.cos(angle), np.sin(angle)
    values, inside = [], np.ones(cx.shape, bool)
    for factor in (RING_INSIDE, RING_OUTSIDE):
        x, y = cx + factor * r * cos, cy + factor * r * sin
        values.append(_bilinear(gray, x, y))
        xi = np.clip(np.rint(x).astype(np.intp), 0, gray.shape[1] - 1)
        yi = np.clip(np.rint(y).astype(np.intp), 0, gray.shape[0] - 1)
        inside &= opening[yi, xi]
    step = np.where(inside, values[1] - values[0], 0.0)
    score = np.zeros(cx.shape[:3])
    both = np.ones(cx.shape[:3], bool)
    for side in (_RIGHT_SIDE, ~_RIGHT_SIDE):
        count = inside[..., side].sum(axis=-1)
        seen = count >= MIN_SAMPLES_PER_SIDE
        score += np.where(seen, step[..., side].sum(axis=-1) / np.maximum(count, 1), 0.0)
        both &= seen
    off_nominal = np.arange(len(radii)) != nominal
    score[~both & off_nominal[None, None, :]] = -np.inf
    return score


def _peak(values: np.ndarray, index: int) -> float:
    """Sub-step position of a maximum from the parabola through it and its neighbours."""
    if index <= 0 or index >= len(values) - 1:
        return 0.0
    left, mid, right = values[index - 1], values[index], values[index + 1]
    curvature = left - 2 * mid + right
    if not np.isfinite(curvature) or curvature >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def _best(score: np.ndarray) -> tuple[int, int, int]:
    i, j, k = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(i), int(j), int(k)


def _search(gray: np.ndarray, inside: np.ndarray, start: np.ndarray, r: float) -> tuple[float, float]:
    """The best circle's centre (patch px), coarse then fine; NaN where no limbus is seen."""
    along = np.arange(-np.floor(SEARCH_ALONG * r), np.floor(SEARCH_ALONG * r) + 1)
    across = np.arange(-np.floor(SEARCH_ACROSS * r), np.floor(SEARCH_ACROSS * r) + 1)
    xs, ys, radii = start[0] + along, start[1] + across, r * np.array(RADIUS_FACTORS)
    score = _limbus_score(gray, inside, xs, ys, radii, RADIUS_FACTORS.index(1.0))
    i, j, k = _best(score)
    if score[i, j, k] < MIN_CONTRAST:
        return float("nan"), float("nan")
    fine = FINE_STEP * np.arange(-2, 3)
    xs, ys = xs[i] + fine, ys[j] + fine[1:-1]
    score = _limbus_score(gray, inside, xs, ys, radii[k] * np.array(FINE_RADIUS_FACTORS), 1)
    i, j, k = _best(score)
    return (float(xs[i] + FINE_STEP * _peak(score[:, j, k], i)),
            float(ys[j] + FINE_STEP * _peak(score[i, :, k], j)))


def iris_centre(bgr: np.ndarray, corner_a: np.ndarray, corner_b: np.ndarray, opening: np.ndarray,
                centre: np.ndarray, radius: float) -> np.ndarray | None:
    """The iris centre (image px) of the eye between `corner_a` and `corner_b`, whose opening is
    the polygon `opening` (image px), searched near the iris model's `centre` and `radius`;
    None where no limbus is seen (the model's centre then stands)."""
    width = float(np.linalg.norm(corner_b - corner_a))
    if width < 1.0 or radius <= 0.0:
        return None
    axis = (corner_b - corner_a) / width
    normal = np.array([-axis[1], axis[0]])
    mid = (corner_a + corner_b) / 2
    scale = width / PATCH_EYE_WIDTH  # image px per patch px
    half = np.array([round(PATCH_HALF[0] * PATCH_EYE_WIDTH), round(PATCH_HALF[1] * PATCH_EYE_WIDTH)])
    origin = mid - scale * (half[0] * axis + half[1] * normal)
    to_image = np.array([[scale * axis[0], scale * normal[0], origin[0]],
                         [scale * axis[1], scale * normal[1], origin[1]]])
    size = (int(2 * half[0] + 1), int(2 * half[1] + 1))
    patch = cv2.warpAffine(bgr, to_image, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
    # the ring light's reflection on the cornea (and any small highlight) is a brighter spot with
    # an edge of its own: a grey opening removes spots smaller than the kernel, the limbus stays
    gray = cv2.morphologyEx(gray, cv2.MORPH_OPEN, _HIGHLIGHT_KERNEL)
    gray = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 0.8)

    def to_patch(points: np.ndarray) -> np.ndarray:
        d = (np.asarray(points, np.float64) - origin) / scale
        return np.stack([d @ axis, d @ normal], axis=-1)

    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillPoly(mask, [np.rint(to_patch(opening)).astype(np.int32)], 1)
    inside = cv2.erode(mask, np.ones((3, 3), np.uint8)) > 0
    x, y = _search(gray, inside, to_patch(centre), radius / scale)
    if np.isnan(x):
        return None
    return origin + scale * (x * axis + y * normal)
