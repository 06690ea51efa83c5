"""Ears on controlled variants of a photo whose ears show: hair drawn down over one ear must fail,
and light falling from one side (an ear in shade, as its cheek is) must not."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.inference import landmarks as lm
from tests.engine_helpers import check_result


def test_visible_ears_pass(analyzer, plain_portrait):
    check = check_result(analyzer, plain_portrait, "ears_visible")
    assert check.passed, check.value


@pytest.mark.parametrize("side", ["image_left", "image_right"])
def test_hair_down_over_one_ear_fails(analyzer, plain_portrait, side):
    """Black hair worn down over one ear: the area beside that cheek, from the temple to the jaw,
    brought down to hair's darkness. The segmenter counts real hair as the person, but not such
    a painted patch over the backdrop, so the patch is marked as the person before the check."""
    from appliance.inference.checks.occlusion import check_occlusion

    analysis = analyzer.analyze(plain_portrait)
    pts, width = analysis.pts[:, :2], analysis.face_width
    edge = pts[lm.FACE_RIGHT_EDGE if side == "image_left" else lm.FACE_LEFT_EDGE]
    outward = -1 if side == "image_left" else 1
    x0, x1 = sorted((int(edge[0] - outward * 0.02 * width), int(edge[0] + outward * 0.3 * width)))
    y0, y1 = int(pts[lm.FOREHEAD, 1]), int(pts[lm.CHIN, 1])
    covered = plain_portrait.astype(np.float32)
    covered[y0:y1, x0:x1] *= 0.22
    analysis = analyzer.analyze(covered.astype(np.uint8))
    analysis.person_mask[y0:y1, x0:x1] = np.maximum(analysis.person_mask[y0:y1, x0:x1], 0.9)
    check = next(c for c in check_occlusion(analysis, analyzer.settings) if c.id == "ears_visible")
    assert not check.passed, check.value


def test_an_ear_in_shade_is_still_an_ear(analyzer, plain_portrait):
    """Light from one side darkens that side's ear and cheek alike."""
    nose_x = int(analyzer.analyze(plain_portrait).pts[lm.NOSE_TIP, 0])
    ramp = np.ones(plain_portrait.shape[1], np.float32)
    ramp[:nose_x] = np.linspace(0.45, 1.0, nose_x)
    shaded = (plain_portrait.astype(np.float32) * ramp[None, :, None]).astype(np.uint8)
    check = check_result(analyzer, shaded, "ears_visible")
    assert check.passed, check.value
