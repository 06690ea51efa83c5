"""The fine-detail measure on controlled variants of a sharp photo: the face enlarged from a much
smaller copy, or blurred, must fail; the photo itself and a heavily compressed copy must pass."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.testing.engine_helpers import check_result


def detail(analyzer, bgr: np.ndarray):
    return check_result(analyzer, bgr, "fine_detail")


def test_a_sharp_photo_and_a_compressed_copy_pass(analyzer, plain_portrait):
    assert detail(analyzer, plain_portrait).passed
    _, data = cv2.imencode(".jpg", plain_portrait, [cv2.IMWRITE_JPEG_QUALITY, 40])
    assert detail(analyzer, cv2.imdecode(data, cv2.IMREAD_COLOR)).passed


def test_a_face_enlarged_from_40_px_fails(analyzer, plain_portrait):
    face_width = analyzer.analyze(plain_portrait).face_width
    factor = 40 / face_width
    small = cv2.resize(plain_portrait, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    # back to a 200 px face: large enough for the resolution check, so only detail can refuse it
    enlarged = cv2.resize(small, None, fx=5.0, fy=5.0, interpolation=cv2.INTER_LINEAR)
    report = analyzer.check(enlarged)
    assert next(c for c in report.checks if c.id == "resolution").passed
    check = next(c for c in report.checks if c.id == "fine_detail")
    assert not check.passed, check.value


def test_detail_falls_as_blur_grows(analyzer, plain_portrait):
    values = [detail(analyzer, cv2.GaussianBlur(plain_portrait, (0, 0), sigma) if sigma else plain_portrait).value
              for sigma in (0, 1.5, 3.0)]
    assert values[0] > values[1] > values[2]
