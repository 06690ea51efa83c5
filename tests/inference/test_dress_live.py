"""Live guidance hears the dress and jewellery checks at the slow checks' cadence: within two
rotations of the heavy steps a change the subject makes (putting earrings on, a striped top) shows
in the live verdict, and gaze is read on every frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.inference.checks.registry import ALL_CHECKS, SLOW_CHECKS
from appliance.inference.engine import HEAVY_ROTATION
from appliance.testing import dress_variants as dv

NEW_SLOW = {"check_earrings", "check_necklace", "check_head_ornament", "check_clothing_pattern", "check_neckline",
            "check_eye_colour", "check_makeup"}


def frame_of(bgr: np.ndarray) -> np.ndarray:
    """The photo letterboxed into a 640x480 camera frame."""
    height, width = bgr.shape[:2]
    scale = min(640 / width, 480 / height)
    small = cv2.resize(bgr, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 200, np.uint8)
    y, x = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
    frame[y:y + small.shape[0], x:x + small.shape[1]] = small
    return frame


def test_new_appearance_checks_are_slow_checks_and_gaze_is_not():
    names = {c.__name__ for c in SLOW_CHECKS}
    assert names >= NEW_SLOW
    assert "check_gaze" not in names and "check_gaze" in {c.__name__ for c in ALL_CHECKS}


@pytest.mark.parametrize("check_id", ["clothing_pattern", "earrings"])
def test_a_change_shows_within_two_rotations(analyzer, dress_photo, check_id):
    analysis = analyzer.analyze(dress_photo("a_plain_ok/dpf_img14.jpg")).for_checks
    if check_id == "clothing_pattern":
        changed = dv.striped(analysis.bgr, dv.top_mask(analysis), 0.12 * analysis.face_width)
    else:
        changed = dv.with_drop_earrings(analysis, strands=2)
    plain, changed = frame_of(analysis.bgr), frame_of(changed)
    analyzer.reset_tracking()
    try:
        for _ in range(len(HEAVY_ROTATION) + 2):
            report = analyzer.check(plain, live=True)
        assert next(c for c in report.checks if c.id == check_id).passed
        seen = []
        for _ in range(2 * len(HEAVY_ROTATION) + 1):  # a detection frame may take a group's turn
            report = analyzer.check(changed, live=True)
            seen.append(next(c for c in report.checks if c.id == check_id).passed)
        assert not seen[-1], seen
    finally:
        analyzer.reset_tracking()
