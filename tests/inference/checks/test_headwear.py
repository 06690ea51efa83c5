"""Headwear on controlled variants of a photo that passes: the same head given a cap of several
colours (shaded, as a real brim shades it), on light and on brown skin, and given dyed hair instead.
A covering must fail whatever its colour and the skin tone; hair of any natural shade must pass,
red and copper hair too, whose hue is the skin's own (the copper_red shade: 3 degrees redder than
this subject's skin, as the red-haired portraits in ../shared/faces measure).

The face parser's witness (parsed_hat_share) is tested on parses whose labels are set where a cap,
a scarf or a hair clip sits (a flat painted cap does not look like a cap to the network, so painted
caps test the colour measure only), on a painted scarf the network does label, and on a real
colourless knitted hat."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from appliance.inference import face_parsing as fp
from appliance.inference import landmarks as lm
from appliance.inference.checks.headwear import check_headwear, parsed_hat_share, sides_of
from appliance.testing.dress_variants import crown_mask, with_cap
from appliance.testing.engine_helpers import check_result


@pytest.fixture(scope="module")
def good(face_photo):
    return face_photo("a_good_frontal/dpf_img10.jpg")


def with_brown_skin(bgr: np.ndarray) -> np.ndarray:
    """Every colour made darker and warmer, so the face's skin reads as a brown skin tone."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab[..., 0] *= 0.62
    lab[..., 1] = 128 + (lab[..., 1] - 128) * 1.3 + 4
    lab[..., 2] = 128 + (lab[..., 2] - 128) * 1.3 + 8
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def headwear(analyzer, bgr: np.ndarray):
    return check_result(analyzer, bgr, "no_headwear")


@pytest.mark.parametrize("colour", [(40, 40, 170), (150, 60, 20), (40, 130, 40), (140, 40, 120)],
                         ids=["red", "navy", "green", "purple"])
@pytest.mark.parametrize("skin", ["as_photographed", "brown"])
def test_a_coloured_cap_fails_on_any_skin_tone(analyzer, good, colour, skin):
    base = with_brown_skin(good) if skin == "brown" else good
    assert headwear(analyzer, base).passed
    capped = with_cap(base, crown_mask(analyzer, base), colour)
    check = headwear(analyzer, capped)
    assert not check.passed, check.value


@pytest.mark.parametrize("hair_lab", [(150, 136, 158), (110, 138, 152), (200, 130, 160), (105, 148, 156)],
                         ids=["light_brown", "auburn_brown", "blonde", "copper_red"])
def test_natural_hair_colours_are_not_a_covering(analyzer, good, hair_lab):
    """The hair recoloured, its texture kept: only its lightness and hue change."""
    mask = crown_mask(analyzer, good)
    lab = cv2.cvtColor(good, cv2.COLOR_BGR2LAB).astype(np.float32)
    texture = lab[..., 0] - cv2.GaussianBlur(lab[..., 0], (0, 0), 3)
    lab[mask, 0] = hair_lab[0] + texture[mask]
    lab[mask, 1], lab[mask, 2] = hair_lab[1], hair_lab[2]
    dyed = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
    check = headwear(analyzer, dyed)
    assert check.passed, check.value


def scarf_mask(analyzer, bgr: np.ndarray) -> np.ndarray:
    """A headscarf that frames the face: cloth from over the crown down both sides of the head to the
    chin, wider than the head as a draped scarf is, except the face's outline and around each ear
    (beside the cheek, eye line to below the nose), which stay bare."""
    analysis = analyzer.analyze(bgr)
    pts = analysis.pts[:, :2]
    unit, width = analysis.eye_to_chin, analysis.face_width
    left, right = float(pts[lm.FACE_RIGHT_EDGE, 0]), float(pts[lm.FACE_LEFT_EDGE, 0])
    top, chin = float(pts[lm.FOREHEAD, 1]) - 0.75 * unit, float(pts[lm.CHIN, 1])
    mask = np.zeros(bgr.shape[:2], np.uint8)
    centre = (round((left + right) / 2), round((top + chin) / 2))
    axes = (round((right - left) / 2 + 0.5 * width), round((chin - top) / 2 + 0.1 * unit))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    mask[int(chin):, :] = 0
    cv2.fillPoly(mask, [np.round(pts[list(lm.FACE_OVAL)]).astype(np.int32)], 0)
    eye_y = float(np.mean([c[1] for c in analysis.eye_centres]))
    y0, y1 = int(eye_y - 0.1 * unit), int(pts[lm.NOSE_TIP, 1] + 0.15 * unit)
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        xs = sorted(int(pts[edge, 0] + outward * share * width) for share in (-0.05, 0.18))
        mask[y0:y1, xs[0]:xs[1]] = 0
    return mask > 0


def with_fabric(bgr: np.ndarray, mask: np.ndarray, colour_bgr: tuple[int, int, int]) -> np.ndarray:
    """`mask` painted in one plain fabric colour with a gentle fold shading from top to bottom."""
    out = bgr.copy()
    rows = np.linspace(1.0, 0.75, bgr.shape[0])[:, None, None]
    out[mask] = (np.array(colour_bgr, np.float32)[None, None, :] * rows).astype(np.uint8)[np.nonzero(mask)[0], 0]
    return out


@pytest.mark.parametrize("colour", [(150, 60, 20), (40, 40, 140), (40, 130, 40)], ids=["navy", "maroon", "green"])
def test_a_headscarf_framing_the_face_with_ears_bare_is_allowed_and_a_cap_of_that_cloth_is_not(
        analyzer, good, colour):
    """SPEC §3: religious wear is allowed when the whole face shows. The same cloth painted as a
    scarf round the face (forehead, face and both ears bare) passes; painted only on the crown, as a
    cap, it fails."""
    scarf = headwear(analyzer, with_fabric(good, scarf_mask(analyzer, good), colour))
    assert scarf.passed, scarf.value
    cap = headwear(analyzer, with_fabric(good, crown_mask(analyzer, good), colour))
    assert not cap.passed, cap.value


def headwear_of(analyzer, analysis):
    return check_headwear(analysis, analyzer.settings)[0]


def with_parsed_hat(analysis, crown: bool = True, sides: bool = False, clip: bool = False):
    """`analysis` (its own pixels) with its parse relabelled `hat`: on the crown (the forehead's
    top up to the crop's edge, across the face), beside both sides of the head (a scarf's fall,
    SIDE_BAND, eye line to chin) or as a hair clip (a tenth of a face width square above one
    temple)."""
    parse = analysis.parsing
    labels = parse.labels.copy()
    points = parse.crop_points(analysis.pts)
    unit = parse.face_width_px
    x0, x1 = sorted(int(points[i, 0]) for i in (lm.FACE_RIGHT_EDGE, lm.FACE_LEFT_EDGE))
    top = int(points[lm.FOREHEAD, 1])
    if crown:
        labels[:top, x0:x1] = fp.HAT
    if sides:
        eye_y = float(np.mean(parse.crop_points(np.array(analysis.eye_centres))[:, 1]))
        for bx0, by0, bx1, by1 in sides_of(points, unit, eye_y):
            labels[int(by0):int(by1), int(bx0):int(bx1)] = fp.HAT
    if clip:
        side = int(0.1 * unit)
        labels[top - side:top, x0 - side:x0] = fp.HAT
    analysis.parsing = replace(parse, labels=labels)
    return analysis


def test_a_covering_the_parser_labels_on_the_crown_fails_though_its_colour_says_nothing(analyzer, good):
    settings = analyzer.settings.headwear
    check = headwear_of(analyzer, with_parsed_hat(analyzer.analyze(good)))
    assert check.detail["image"] <= settings.max_cover_score, check.detail
    assert not check.passed and check.threshold == settings.max_parsed_hat_share, check.detail


def test_the_parser_passes_a_bare_crown_and_a_hair_clip_beside_it(analyzer, good):
    """A hair clip is the head_ornament check's: headwear must not name it first."""
    settings = analyzer.settings.headwear
    for analysis in (analyzer.analyze(good), with_parsed_hat(analyzer.analyze(good), crown=False, clip=True)):
        check = headwear_of(analyzer, analysis)
        assert check.passed and check.detail["parsed"] <= settings.max_parsed_hat_share, check.detail


def test_the_parser_exempts_cloth_framing_the_face_as_a_wrap(analyzer, good):
    check = headwear_of(analyzer, with_parsed_hat(analyzer.analyze(good), sides=True))
    assert check.passed and check.detail["parsed"] == 0.0, check.detail


def test_a_dark_headscarf_the_parser_labels_hat_on_the_crown_is_allowed(analyzer, good):
    """SPEC §3: black cloth round the face, forehead, face and ears bare. The colour measure sees
    no coloured cloth; the parser labels the crown `hat` past the limit, and the scarf's fall down
    both sides exempts it."""
    analysis = analyzer.analyze(with_fabric(good, scarf_mask(analyzer, good), (30, 30, 30)))
    assert parsed_hat_share(analysis, 1.0) > analyzer.settings.headwear.max_parsed_hat_share
    check = headwear_of(analyzer, analysis)
    assert check.passed, check.detail


def test_a_colourless_knitted_hat_is_named_as_headwear_first(analyzer, face_photo):
    """A grey striped beanie (../shared/faces/d_hat): no clearly coloured pixel on the crown, so the
    colour measure reads 0; the parser labels it `hat`, and headwear is the first message about
    the subject (the framing is the booth's to change, not the student's)."""
    settings = analyzer.settings.headwear
    report = analyzer.check(face_photo("d_hat/sung_selfies_4_images_390.jpeg"))
    check = next(c for c in report.checks if c.id == "no_headwear")
    assert check.detail["image"] <= settings.max_cover_score, check.detail
    assert not check.passed and check.threshold == settings.max_parsed_hat_share, check.detail
    first = next(c for c in report.failed if c.family not in ("geometry", "background", "clothing"))
    assert first.id == "no_headwear", [c.id for c in report.failed]


def test_a_live_frame_keeps_the_colour_measure(analyzer, good):
    analysis = with_parsed_hat(analyzer.analyze(good))
    analysis.face_parser = None  # as on a live frame
    del analysis.parsing  # the cached parse goes with it
    check = headwear_of(analyzer, analysis)
    assert "parsed" not in check.detail and check.threshold == analyzer.settings.headwear.max_cover_score


@pytest.mark.parametrize("colour", [(150, 60, 20), (40, 40, 140), (40, 130, 40), (30, 30, 30)],
                         ids=["navy", "maroon", "green", "black"])
def test_a_headscarf_framing_the_face_is_no_hair_ornament_either(analyzer, good, colour):
    """SPEC §3 asks of the whole verdict, not the headwear check alone: the scarf's cloth round the
    head must not be refused as a hair ornament (both its measures read 1.1-1.8 face widths
    squared of it), nor its crown as a hat."""
    report = analyzer.check(with_fabric(good, scarf_mask(analyzer, good), colour))
    checks = {c.id: c for c in report.checks}
    for check_id in ("no_headwear", "head_ornament"):
        assert checks[check_id].passed, (check_id, checks[check_id].detail)
