"""Ears on controlled variants of a photo whose ears show: hair drawn down over one ear or both,
black or brown, or over the ear's top with the lobe showing, must fail; hair worn behind the ears
(beside the head, the ears in front of it) and light falling from one side (an ear in shade, as
its cheek is) must not. On a still the face parser is a second witness (where each ear starts);
a live frame has no parse and keeps the colour measure."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.inference import landmarks as lm
from appliance.testing.engine_helpers import check_result


def test_visible_ears_pass(analyzer, plain_portrait):
    check = check_result(analyzer, plain_portrait, "ears_visible")
    assert check.passed, check.value


SIDES = {"image_left": (lm.FACE_RIGHT_EDGE, -1), "image_right": (lm.FACE_LEFT_EDGE, 1)}
BLACK, BROWN = (0.22, 0.22, 0.22), (0.35, 0.5, 0.75)  # BGR factors: black hair, mid-brown hair


def with_hair(analyzer, portrait, sides, start=0.02, end=0.3, colour=BLACK, down_to="chin"):
    """The portrait with hair painted beside the named cheeks, from `start` to `end` face widths
    out and from the forehead to the chin (or, with down_to="nose", to the nose tip's height,
    leaving the ear lobe in view). The segmenter counts real hair as the person, but not
    such a painted patch over the backdrop, so the patch is marked as the person before the check."""
    analysis = analyzer.analyze(portrait)
    pts, width = analysis.pts[:, :2], analysis.face_width
    painted = portrait.astype(np.float32)
    patches = []
    for side in sides:
        edge_index, outward = SIDES[side]
        edge = pts[edge_index]
        x0, x1 = sorted((int(edge[0] + outward * start * width), int(edge[0] + outward * end * width)))
        y0, y1 = int(pts[lm.FOREHEAD, 1]), int(pts[lm.CHIN if down_to == "chin" else lm.NOSE_TIP, 1])
        painted[y0:y1, x0:x1] *= np.array(colour, np.float32)
        patches.append((y0, y1, x0, x1))
    analysis = analyzer.analyze(painted.astype(np.uint8))
    for y0, y1, x0, x1 in patches:
        analysis.person_mask[y0:y1, x0:x1] = np.maximum(analysis.person_mask[y0:y1, x0:x1], 0.9)
    return analysis


def ears_check(analyzer, analysis):
    from appliance.inference.checks.occlusion import check_occlusion

    return next(c for c in check_occlusion(analysis, analyzer.settings) if c.id == "ears_visible")


@pytest.mark.parametrize("side", ["image_left", "image_right"])
def test_hair_down_over_one_ear_fails(analyzer, plain_portrait, side):
    check = ears_check(analyzer, with_hair(analyzer, plain_portrait, [side]))
    assert not check.passed, check.value


@pytest.mark.parametrize("colour", [BLACK, BROWN], ids=["black", "brown"])
def test_hair_down_over_both_ears_fails(analyzer, plain_portrait, colour):
    check = ears_check(analyzer, with_hair(analyzer, plain_portrait, list(SIDES), colour=colour))
    assert not check.passed, check.value


def test_hair_worn_behind_the_ears_passes(analyzer, plain_portrait):
    """Long hair beside the head but behind the ears: the ears, just outside the cheeks, show."""
    analysis = with_hair(analyzer, plain_portrait, list(SIDES), start=0.12, end=0.4)
    check = ears_check(analyzer, analysis)
    assert check.passed, check.value


def test_an_ear_in_shade_is_still_an_ear(analyzer, plain_portrait):
    """Light from one side darkens that side's ear and cheek alike."""
    nose_x = int(analyzer.analyze(plain_portrait).pts[lm.NOSE_TIP, 0])
    ramp = np.ones(plain_portrait.shape[1], np.float32)
    ramp[:nose_x] = np.linspace(0.45, 1.0, nose_x)
    shaded = (plain_portrait.astype(np.float32) * ramp[None, :, None]).astype(np.uint8)
    check = check_result(analyzer, shaded, "ears_visible")
    assert check.passed, check.value


def test_the_parser_sees_both_ears_start_at_eye_height_on_a_visible_pair(analyzer, plain_portrait):
    from appliance.inference.checks.occlusion import parsed_ear_drop

    drops = parsed_ear_drop(analyzer.analyze(plain_portrait))
    assert drops is not None
    assert max(drops) <= analyzer.settings.occlusion.max_parsed_ear_drop, drops


@pytest.mark.parametrize("side", ["image_left", "image_right"])
def test_hair_over_the_top_of_one_ear_with_the_lobe_showing_fails(analyzer, plain_portrait, side):
    check = ears_check(analyzer, with_hair(analyzer, plain_portrait, [side], down_to="nose"))
    assert not check.passed, check.detail


def test_hair_worn_behind_the_ears_keeps_the_ear_tops_in_the_parse(analyzer, plain_portrait):
    check = ears_check(analyzer, with_hair(analyzer, plain_portrait, list(SIDES), start=0.12, end=0.4))
    assert "parsed" in check.detail
    assert check.detail["parsed"] <= analyzer.settings.occlusion.max_parsed_ear_drop, check.detail


def test_a_live_frame_keeps_the_colour_measure(analyzer, plain_portrait):
    analysis = analyzer.analyze(plain_portrait)
    analysis.face_parser = None  # as on a live frame
    check = ears_check(analyzer, analysis)
    assert "parsed" not in check.detail
    assert check.threshold == analyzer.settings.occlusion.max_ear_cover


def test_hair_near_the_skins_colour_over_one_ear_fails_through_the_parser(analyzer, face_photo):
    """Ginger hair worn down over one ear: the colour rows take it for the ear, the parser does not."""
    check = ears_check(analyzer, analyzer.analyze(face_photo("k_hair_covering/frec_rose_leslie_img1.jpg")).for_checks)
    occlusion = analyzer.settings.occlusion
    assert check.detail["image"] <= occlusion.max_ear_cover
    assert not check.passed and check.threshold == occlusion.max_parsed_ear_drop, check.detail


def long_hair_over_ears(analyzer, portrait, inner=-0.02):
    """Strands of long brown hair (the dress variants' long hair) falling from the forehead's
    height past the chin beside both cheeks, from `inner` face widths out of the face's edge."""
    from appliance.testing.dress_variants import with_long_hair

    analysis = analyzer.analyze(portrait)
    top = float(analysis.pts[lm.FOREHEAD, 1] + 0.1 * analysis.eye_to_chin)
    return analyzer.analyze(with_long_hair(analysis, top=top, inner=inner))


def test_long_hair_strands_down_over_both_ears_fail(analyzer, plain_portrait):
    check = ears_check(analyzer, long_hair_over_ears(analyzer, plain_portrait))
    assert not check.passed, check.detail


def test_long_hair_strands_behind_the_ears_pass(analyzer, plain_portrait):
    check = ears_check(analyzer, long_hair_over_ears(analyzer, plain_portrait, inner=0.17))
    assert check.passed, check.detail
