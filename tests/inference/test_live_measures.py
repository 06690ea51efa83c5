"""The every-frame measures made cheaper for the live path give exactly what the whole-image
versions gave: the skin mask built in the face's window, the lighting medians from a histogram."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.inference import landmarks as lm
from appliance.inference.checks.lighting import median_of_levels


def whole_image_skin_mask(analysis) -> np.ndarray:
    """The skin mask as it was built before the window: on an image-sized canvas."""
    mask = analysis.region_mask(analysis.face_polygon)
    p = analysis.pts[:, :2]
    for idx in ([*lm.RIGHT_BROW, lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER, *lm.RIGHT_EYE_LOWER],
                [*lm.LEFT_BROW, lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER, *lm.LEFT_EYE_LOWER],
                [*lm.INNER_LIPS, lm.MOUTH_LEFT, lm.MOUTH_RIGHT, 0, 17]):
        cv2.fillConvexPoly(mask, cv2.convexHull(p[idx].astype(np.int32)), 0)
    size = max(3, int(analysis.face_width * 0.04))
    x, y, w, h = cv2.boundingRect(mask)
    if w and h:
        mask[y:y + h, x:x + w] = cv2.erode(mask[y:y + h, x:x + w], np.ones((size, size), np.uint8),
                                           borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return mask


@pytest.mark.parametrize("photo", [
    # a yawn whose brow holes reach past the face oval's box (the window once cut them there)
    "c_mouth_open_teeth/aps_yawn_1357.jpg",
    "c_mouth_open_teeth/aps_yawn_469.jpg",
    "a_good_frontal/CFD-AM-204-122-N.jpg",
    "f_head_pose/" + "",
])
def test_the_windowed_skin_mask_is_the_whole_image_one(analyzer, face_photo, faces_dir, photo):
    if photo.endswith("/"):
        photo += sorted(p.name for p in (faces_dir / photo).iterdir())[0]
    image = face_photo(photo)
    analysis = analyzer.analyze(image).for_checks
    assert analysis.mesh is not None
    assert np.array_equal(analysis.skin_mask, whole_image_skin_mask(analysis))
    # the face cut by the image's edges: the window ends where the image does
    x0, y0, x1, y1 = analysis.faces[0].box.astype(int)
    cut = np.ascontiguousarray(analysis.bgr[max(y0 + (y1 - y0) // 4, 0):, max(x0 + (x1 - x0) // 5, 0):])
    cut_analysis = analyzer.analyze(cut)
    if cut_analysis.mesh is not None:
        assert np.array_equal(cut_analysis.skin_mask, whole_image_skin_mask(cut_analysis))


def test_the_histogram_median_is_numpys():
    rng = np.random.default_rng(7)
    for n in [*range(1, 40), 999, 1000, 4096]:
        for _ in range(10):
            levels = rng.integers(0, 256, n).astype(np.uint8)
            if rng.random() < 0.5:  # ties and gaps
                levels = (levels // 40 * 40).astype(np.uint8)
            expected = float(np.median(levels.astype(np.float32)))
            assert median_of_levels(np.bincount(levels, minlength=256)) == expected, (n, levels)
