"""Eye openness on controlled variants: a face made longer below the nose (a long chin or jaw) keeps
its open eyes open, and closed eyes on such a face still fail.

The variant stretches only the rows below the nose tip, so the eyes themselves are the same pixels
and only the eye-to-chin distance grows, which is what made open eyes on long faces read as
narrowed (issue H: 0.0398 against 0.04 on a studio portrait with a chin 5.1 eye widths down)."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.checks.eyes import eye_widths, opening_unit
from appliance.testing.engine_helpers import check_result

STRETCH = 1.5


def longer_below_nose(analyzer, bgr: np.ndarray, factor: float = STRETCH) -> np.ndarray:
    nose_y = round(float(analyzer.analyze(bgr).pts[lm.NOSE_TIP, 1]))
    lower = bgr[nose_y:]
    stretched = cv2.resize(lower, (bgr.shape[1], round(lower.shape[0] * factor)), interpolation=cv2.INTER_LINEAR)
    return np.vstack([bgr[:nose_y], stretched])


def test_a_long_lower_face_does_not_narrow_open_eyes(analyzer, plain_portrait):
    before = analyzer.analyze(plain_portrait).for_checks
    long_face = longer_below_nose(analyzer, plain_portrait)
    after = analyzer.analyze(long_face).for_checks
    # the variant does what it should: the chin moved down, the eyes did not change size
    assert after.eye_to_chin > 1.1 * before.eye_to_chin
    assert after.eye_to_chin > 5.0 * max(eye_widths(after))  # longer than faces of usual proportions
    old_reading = check_result(analyzer, plain_portrait, "eyes_open").value
    new_reading = check_result(analyzer, long_face, "eyes_open")
    assert new_reading.passed
    # measured against the eye-to-chin distance alone it would have fallen by about the stretch
    assert new_reading.value > 0.92 * old_reading
    assert opening_unit(after) < after.eye_to_chin


def test_closed_eyes_on_a_long_face_still_fail(analyzer, face_photo):
    closed = face_photo("b_eyes_closed/aps_eye_closed_-10-.jpg")
    assert not check_result(analyzer, closed, "eyes_open").passed
    check = check_result(analyzer, longer_below_nose(analyzer, closed), "eyes_open")
    assert not check.passed, check.value

