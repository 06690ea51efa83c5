"""The fine-detail measure on controlled variants of a sharp photo: the face enlarged from a much
smaller copy, or blurred, must fail; the photo itself and a heavily compressed copy must pass."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.imageio import load_image


@pytest.fixture(scope="module")
def sharp(faces_dir):
    return load_image(faces_dir / "a_good_frontal" / "dpf_img29.jpg").bgr


def detail(analyzer, bgr: np.ndarray):
    return next(c for c in analyzer.check(bgr).checks if c.id == "fine_detail")


def test_a_sharp_photo_and_a_compressed_copy_pass(analyzer, sharp):
    assert detail(analyzer, sharp).passed
    _, data = cv2.imencode(".jpg", sharp, [cv2.IMWRITE_JPEG_QUALITY, 40])
    assert detail(analyzer, cv2.imdecode(data, cv2.IMREAD_COLOR)).passed


def test_a_face_enlarged_from_40_px_fails(analyzer, sharp):
    face_width = analyzer.analyze(sharp).face_width
    factor = 40 / face_width
    small = cv2.resize(sharp, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    # back to a 100 px face: large enough for the resolution check, so only detail can refuse it
    enlarged = cv2.resize(small, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_LINEAR)
    report = analyzer.check(enlarged)
    assert next(c for c in report.checks if c.id == "resolution").passed
    check = next(c for c in report.checks if c.id == "fine_detail")
    assert not check.passed, check.value


def test_detail_falls_as_blur_grows(analyzer, sharp):
    values = [detail(analyzer, cv2.GaussianBlur(sharp, (0, 0), sigma) if sigma else sharp).value
              for sigma in (0, 1.5, 3.0)]
    assert values[0] > values[1] > values[2]
