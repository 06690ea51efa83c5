"""The affine warps behind every model crop and the product: exact sub-pixel sampling under every
OpenCV (4.11, Bookworm's, rounds warpAffine's coordinates to 1/32 px; 4.12 on does not)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.inference.geometry import Roi
from appliance.produce.render import warp_to_product
from appliance.warp import opencv_samples_exactly, warp_affine


def step_image() -> np.ndarray:
    """Black left of column 4, white from it on: a sample between columns 3 and 4 reads its
    position straight off its value."""
    image = np.zeros((12, 12, 3), np.uint8)
    image[:, 4:] = 255
    return image


def keys(s: float, a: float = -0.75) -> float:
    s = abs(s)
    if s <= 1:
        return (a + 2) * s**3 - (a + 3) * s**2 + 1
    return a * s**3 - 5 * a * s**2 + 8 * a * s - 4 * a if s < 2 else 0.0


def test_model_crop_samples_at_the_exact_subpixel_position():
    # the crop's pixel 4 sits at source x = 3.5125: 51.25 % of the way from black to white, 130.7;
    # rounded to 1/32 px first (OpenCV 4.11) it sat at 3.5 and read 128
    crop = Roi(cx=3.5125, cy=6.0, size=8.0).crop(step_image(), 8)
    assert crop[4, 4].tolist() == [131, 131, 131]


def test_product_warp_samples_at_the_exact_subpixel_position():
    t = 0.5125
    matrix = np.array([[1.0, 0.0, -t], [0.0, 1.0, 0.0]])  # output x = source x - t
    product, coverage = warp_to_product(step_image(), matrix, (12, 12))
    expected = 255 * (keys(1 - t) + keys(2 - t))  # taps at 3 - 1 .. 3 + 2 around x = 3 + t
    assert product[6, 3].tolist() == [round(expected)] * 3
    assert coverage[6, 3] == pytest.approx(1.0)


@pytest.mark.skipif(not opencv_samples_exactly(), reason="this OpenCV rounds warp coordinates to 1/32 px")
@pytest.mark.parametrize("seed", range(6))
def test_exact_path_gives_what_opencv_gives_where_it_samples_exactly(seed):
    """The NumPy path (what an OpenCV before 4.12 runs) against OpenCV's own warpAffine: model
    crops bit for bit, the product's bicubic warp within one grey level on a few pixels."""
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
    scale, angle = rng.uniform(0.9, 1.2), rng.uniform(-0.1, 0.1)
    matrix = np.array([[scale * np.cos(angle), scale * np.sin(angle), rng.uniform(-20, 20)],
                       [-scale * np.sin(angle), scale * np.cos(angle), rng.uniform(-20, 20)]])
    for flags, border, source in ((cv2.INTER_CUBIC, cv2.BORDER_REPLICATE, image),
                                  (cv2.INTER_LINEAR, cv2.BORDER_CONSTANT, np.ones((300, 400), np.float32))):
        ours = warp_affine(source, matrix, (320, 400), flags, border, exact=True).astype(np.float64)
        theirs = warp_affine(source, matrix, (320, 400), flags, border, exact=False).astype(np.float64)
        difference = np.abs(ours - theirs)
        assert difference.max() <= (1 if source.dtype == np.uint8 else 1e-5)
        assert np.count_nonzero(difference) <= 1e-3 * difference.size


def test_unsupported_interpolation_is_refused_on_the_exact_path():
    with pytest.raises(ValueError):
        warp_affine(step_image(), np.eye(2, 3), (8, 8), cv2.INTER_NEAREST, exact=True)
