"""The annotated picture outlines, in red, the area each failed appearance check judged, and only
for failed checks."""

from __future__ import annotations

import numpy as np

from appliance.inference.annotate import JUDGED_AREAS, RED, draw_annotation
from appliance.testing.dress_variants import crown_mask, with_cap


def red_pixels(image: np.ndarray) -> int:
    return int(np.count_nonzero(np.all(image == RED, axis=2)))


def test_a_failed_headwear_check_outlines_the_crown(analyzer, face_photo):
    good = face_photo("a_good_frontal/dpf_img10.jpg")
    capped = with_cap(good, crown_mask(analyzer, good), (40, 40, 170))
    before, after = analyzer.check(good), analyzer.check(capped)
    assert not any(c.id in JUDGED_AREAS for c in before.failed)
    assert any(c.id == "no_headwear" for c in after.failed)
    # the outline is what adds red: the failed-check text is drawn in grey on the dark panel
    assert red_pixels(draw_annotation(after)) > red_pixels(draw_annotation(before)) + 100


def test_every_judged_area_lies_around_the_face(analyzer, plain_portrait):
    from appliance.inference.checks.sharpness import face_box

    analysis = analyzer.check(plain_portrait).analysis
    fx0, fy0, fx1, fy1 = face_box(analysis)
    reach = analysis.face_width
    for check_id, areas in JUDGED_AREAS.items():
        for x0, y0, x1, y1 in areas(analysis):
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            assert fx0 - reach < cx < fx1 + reach and fy0 - reach < cy < fy1 + reach, check_id
            assert 0 < abs(x1 - x0) <= 2 * reach and 0 < abs(y1 - y0) <= 2 * reach, check_id
