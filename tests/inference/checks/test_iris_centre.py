"""The iris centre found on pixels (inference/checks/iris_centre.py) on drawn eyes whose iris sits
at a known place: a grey sclera, a dark iris disc, lids covering its top and bottom, and the ring
light's reflection beside the pupil."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.inference.checks.iris_centre import iris_centre

A, B = np.array([100.0, 120.0]), np.array([220.0, 120.0])  # corners: a 120 px wide eye
RADIUS = 24.0
# The eye opening: two arcs, corner to corner, 30 px above and below the corners' line at the middle.
XS = np.linspace(A[0], B[0], 17)
BULGE = 30.0 * np.sin(np.pi * (XS - A[0]) / (B[0] - A[0]))
OPENING = np.concatenate([np.stack([XS, A[1] - BULGE], 1), np.stack([XS[::-1], A[1] + BULGE[::-1]], 1)])


def drawn_eye(centre_x: float, catchlight: bool = True) -> np.ndarray:
    scale = 8  # drawn at 8x and reduced, so the disc's edge is placed to a fraction of a pixel
    big = np.full((240 * scale, 320 * scale, 3), (120, 140, 170), np.uint8)  # skin
    cv2.fillPoly(big, [np.rint(OPENING * scale).astype(np.int32)], (225, 225, 230))  # sclera
    iris = np.zeros(big.shape[:2], np.uint8)
    cv2.circle(iris, (round(centre_x * scale), round(A[1] * scale)), round(RADIUS * scale), 255, -1)
    opening = np.zeros(big.shape[:2], np.uint8)
    cv2.fillPoly(opening, [np.rint(OPENING * scale).astype(np.int32)], 255)
    big[(iris > 0) & (opening > 0)] = (60, 70, 90)
    if catchlight:
        cv2.circle(big, (round((centre_x + 0.6 * RADIUS) * scale), round((A[1] - 6) * scale)), 3 * scale,
                   (255, 255, 255), -1)
    return cv2.resize(big, (320, 240), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("offset", [-14.3, -5.0, 0.0, 2.6, 9.7])
def test_the_limbus_places_the_centre_to_a_fraction_of_a_pixel(offset):
    true_x = (A[0] + B[0]) / 2 + offset
    # the model's guess: 4 px off toward the eye's middle, its radius 10 % small
    guess = np.array([true_x - 4.0 * np.sign(offset or 1.0), A[1] + 2.0])
    found = iris_centre(drawn_eye(true_x), A, B, OPENING, guess, 0.9 * RADIUS)
    assert found is not None
    assert abs(found[0] - true_x) <= 0.6, (found, true_x)
    assert abs(found[1] - A[1]) <= 2.0, (found, A[1])


def test_an_eye_turned_into_its_corner_is_placed_by_its_one_visible_edge():
    true_x = B[0] - 30.0  # the iris's outer edge is under the lids' corner
    found = iris_centre(drawn_eye(true_x), A, B, OPENING, np.array([true_x - 6.0, A[1]]), RADIUS)
    assert found is not None and abs(found[0] - true_x) <= 1.5, (found, true_x)


def test_no_limbus_keeps_the_models_centre():
    flat = np.full((240, 320, 3), 128, np.uint8)
    assert iris_centre(flat, A, B, OPENING, np.array([160.0, 120.0]), RADIUS) is None
    assert iris_centre(flat, A, A, OPENING, np.array([160.0, 120.0]), RADIUS) is None
