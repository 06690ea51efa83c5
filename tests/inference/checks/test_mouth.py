"""Teeth on controlled variants of a portrait with closed lips: a specular highlight on the lower
lip, pale lips, and the two together must pass; a row of teeth drawn between the lips must fail."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.testing.engine_helpers import check_result


def mouth_geometry(analyzer, portrait):
    pts = analyzer.analyze(portrait).pts[:, :2]
    outline = pts[list(lm.OUTER_LIPS)]
    junction = pts[list(lm.LIP_JUNCTION_LOWER)]
    return outline, junction


def with_highlight(portrait, outline, junction):
    """A bright, colourless streak on the body of the lower lip, a quarter of the mouth wide."""
    out = portrait.copy()
    width = float(np.ptp(outline[:, 0]))
    centre_x = float(np.mean(outline[:, 0]))
    lower = float(outline[:, 1].max())
    meet = float(junction[:, 1].max())
    centre_y = meet + 0.6 * (lower - meet)
    cv2.ellipse(out, (round(centre_x), round(centre_y)), (round(0.13 * width), max(2, round(0.12 * (lower - meet)))),
                0, 0, 360, (250, 250, 250), -1)
    return out


def with_pale_lips(portrait, outline):
    """Lips brought close to the skin: half their colour, a little lighter."""
    mask = np.zeros(portrait.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 255)
    lab = cv2.cvtColor(portrait, cv2.COLOR_BGR2LAB).astype(np.float32)
    inside = mask > 0
    lab[inside, 1:] = 128 + 0.5 * (lab[inside, 1:] - 128)
    lab[inside, 0] = np.minimum(lab[inside, 0] + 20, 255)
    return cv2.cvtColor(lab.clip(0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def test_closed_lips_pass(analyzer, plain_portrait):
    assert check_result(analyzer, plain_portrait, "mouth_no_teeth").passed


def test_a_highlight_on_closed_lips_is_not_teeth(analyzer, plain_portrait):
    outline, junction = mouth_geometry(analyzer, plain_portrait)
    check = check_result(analyzer, with_highlight(plain_portrait, outline, junction), "mouth_no_teeth")
    assert check.passed, check.value


def test_pale_lips_with_a_highlight_are_not_teeth(analyzer, plain_portrait):
    outline, junction = mouth_geometry(analyzer, plain_portrait)
    pale = with_highlight(with_pale_lips(plain_portrait, outline), outline, junction)
    check = check_result(analyzer, pale, "mouth_no_teeth")
    assert check.passed, check.value


def test_a_row_of_teeth_between_the_lips_fails(analyzer, plain_portrait):
    outline, _ = mouth_geometry(analyzer, plain_portrait)
    pts = analyzer.analyze(plain_portrait).pts[:, :2]
    meet = (pts[lm.LIP_UPPER_INNER[1]] + pts[lm.LIP_LOWER_INNER[1]]) / 2
    width, height = float(np.ptp(outline[:, 0])), float(np.ptp(outline[:, 1]))
    teeth = plain_portrait.copy()
    x0, x1 = round(meet[0] - 0.3 * width), round(meet[0] + 0.3 * width)
    y0, y1 = round(meet[1] - 0.15 * height), round(meet[1] + 0.1 * height)
    teeth[y0:y1, x0:x1] = (225, 232, 236)
    for x in np.linspace(x0, x1, 7)[1:-1]:  # the gaps between teeth
        teeth[y0:y1, round(x)] = (150, 150, 160)
    check = check_result(analyzer, teeth, "mouth_no_teeth")
    assert not check.passed, check.value
