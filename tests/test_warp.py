"""The affine warp behind every model crop: exact sub-pixel sampling under every
OpenCV (4.11, Bookworm's, rounds warpAffine's coordinates to 1/32 px; 4.12 on does not)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.inference.geometry import Roi
from appliance.warp import opencv_samples_exactly, warp_affine


def step_image() -> np.ndarray:
    """Black left of column 4, white from it on: a sample between columns 3 and 4 reads its
    position straight off its value."""
    image = np.zeros((12, 12, 3), np.uint8)
    image[:, 4:] = 255
    return image


def test_model_crop_samples_at_the_exact_subpixel_position():
    # the crop's pixel 4 sits at source x = 3.5125: 51.25 % of the way from black to white, 130.7;
    # rounded to 1/32 px first (OpenCV 4.11) it sat at 3.5 and read 128
    crop = Roi(cx=3.5125, cy=6.0, size=8.0).crop(step_image(), 8)
    assert crop[4, 4].tolist() == [131, 131, 131]


@pytest.mark.skipif(not opencv_samples_exactly(), reason="this OpenCV rounds warp coordinates to 1/32 px")
@pytest.mark.parametrize("seed", range(6))
def test_exact_path_gives_what_opencv_gives_where_it_samples_exactly(seed):
    """The NumPy path (what an OpenCV before 4.12 runs) against OpenCV's own warpAffine: model
    crops bit for bit, in colour and grey, and a float mask."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), (0, 0), 1.5)
    for _ in range(4):
        roi = Roi(float(rng.uniform(-50, 450)), float(rng.uniform(-50, 350)), float(rng.uniform(20, 600)),
                  float(rng.uniform(-3.2, 3.2)))
        size = int(rng.choice([64, 128, 192]))
        matrix = roi.affine(size)
        for source in (image, np.ascontiguousarray(image[..., 1])):
            ours = warp_affine(source, matrix, (size, size), cv2.INTER_LINEAR, exact=True)
            assert np.array_equal(ours, warp_affine(source, matrix, (size, size), cv2.INTER_LINEAR, exact=False))
        mask = (image[..., 0] > 128).astype(np.float32)
        ours = warp_affine(mask, matrix, (size, size), cv2.INTER_LINEAR, exact=True)
        assert np.abs(ours - warp_affine(mask, matrix, (size, size), cv2.INTER_LINEAR, exact=False)).max() <= 1e-6


def test_unsupported_interpolation_is_refused_on_the_exact_path():
    with pytest.raises(ValueError):
        warp_affine(step_image(), np.eye(2, 3), (8, 8), cv2.INTER_CUBIC, exact=True)
