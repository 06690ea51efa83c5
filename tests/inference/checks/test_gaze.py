"""Looking at the lens: irises moved along the eyes of real frontal photos by a known turn (the
eye opening warped by the eyeball's R sin(angle), appliance/testing/dress_variants.py), and the good frontal
folder as a whole.

Measured on 21 photos (10 dress controls, 11 CFD portraits) turned both ways: refused at 10
degrees 29/42, at 12 degrees 39/42, from 15 degrees on 42/42; 5 degrees 6/42 (a photo's own
reading of a few degrees adds to the turn). With the iris model's response mapped through a curve
instead of one factor (15 of those photos, both ways): 5 degrees 3/30 refused (as before: AF-224
reads -7 unwarped, both eyes agreeing, dbr_099 +5), 10 degrees 22/30 (as before), 15 degrees
29/30, 20 degrees 30/30; the good frontal folder's largest reading 8.2 -> 7.4. The tests hold what
every photo does, and the controlled set's shares refused (the 15 dress controls, refused from 8
since the margin is 2: 21/30 at 10, 29/30 at 15, 30/30 at 20; from 9 it was 28/30 at 15). The good
photos' pass rate is in test_good_frontal_rates.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from appliance.testing import dress_variants as dv
from appliance.testing.engine_helpers import evaluated

PHOTOS = ["a_plain_ok/dbr_034_03.jpg", "a_plain_ok/cfd_CFD-AM-241-287-N.jpg", "a_plain_ok/dbr_119_03.jpg"]


@pytest.fixture(scope="module", params=PHOTOS)
def frontal(request, analyzer, dress_photo):
    return analyzer.analyze(dress_photo(request.param)).for_checks


def gaze_of(analyzer, bgr):
    return evaluated(analyzer, bgr, "gaze")


def test_eyes_on_the_lens_pass(analyzer, frontal):
    check = gaze_of(analyzer, dv.gaze_turned(frontal, 0.0))
    assert check.passed, check.value


@pytest.mark.parametrize("degrees", [-20.0, -15.0, 15.0, 20.0])
def test_eyes_turned_past_the_limit_are_refused(analyzer, frontal, degrees):
    check = gaze_of(analyzer, dv.gaze_turned(frontal, degrees))
    assert not check.passed, check.value
    assert np.sign(check.value) == np.sign(degrees)
    assert check.message_zh.startswith("请看镜头")


def test_the_reading_follows_the_turn(analyzer, frontal):
    readings = [gaze_of(analyzer, dv.gaze_turned(frontal, d)).value for d in (-20, -10, 0, 10, 20)]
    assert all(b > a for a, b in itertools.pairwise(readings)), readings
    # the iris model's response is corrected for: a 20 degree swing either way reads 15-25
    assert 15.0 <= (readings[-1] - readings[0]) / 2 <= 25.0, readings


def test_the_iris_response_curve_maps_readings_back_to_turns():
    from appliance.inference.checks.gaze import IRIS_READING_DEG, IRIS_TURN_DEG, turn_from_reading

    for reading, turn in zip(IRIS_READING_DEG, IRIS_TURN_DEG, strict=True):
        assert turn_from_reading(reading) == pytest.approx(turn)
        assert turn_from_reading(-reading) == pytest.approx(-turn)
    # a small turn is read nearly in full: 4.7 is 5 degrees, not 4.7 / 0.78 = 6
    assert turn_from_reading(4.7) == pytest.approx(5.0)
    readings = np.linspace(-30, 30, 61)
    assert all(np.diff([turn_from_reading(r) for r in readings]) > 0)


def test_the_check_reports_its_reading_the_limit_applied_and_where_the_lens_is(analyzer, frontal):
    from appliance.settings import load_settings

    gaze = load_settings().checks.gaze
    check = gaze_of(analyzer, dv.gaze_turned(frontal, 20.0))
    assert (check.id, check.family) == ("gaze", "gaze")
    assert check.threshold == pytest.approx(gaze.max_off_lens_deg - gaze.margin_deg)
    assert check.value >= check.threshold and not check.passed
    assert "镜头" in check.message_zh and "lens" in check.message_en


# Share of the controlled set (each dress control's irises warped by the turn, both ways) the
# check refuses, as measured (gaze.py margin_deg): 21/30 at the limit, 29/30 at 15, all at 20.
# The photos' own readings (sd about 3 degrees) add to the turn, so the limit itself is not
# refused on every photo: see margin_deg.
CONTROLLED_REFUSED = {10.0: 0.66, 15.0: 0.95, 20.0: 1.0}


def test_the_controlled_set_is_refused_from_the_limit_on(analyzer, dress_dir):
    from appliance.imageio import load_image

    refused = {turn: 0 for turn in CONTROLLED_REFUSED}
    paths = sorted((dress_dir / "a_plain_ok").glob("*.jpg"))
    for path in paths:
        base = analyzer.analyze(load_image(path).bgr).for_checks
        for turn in CONTROLLED_REFUSED:
            for sign in (-1.0, 1.0):
                check = gaze_of(analyzer, dv.gaze_turned(base, sign * turn))
                refused[turn] += not check.passed and np.sign(check.value) == sign
    assert len(paths) >= 15
    for turn, share in CONTROLLED_REFUSED.items():
        assert refused[turn] / (2 * len(paths)) >= share, (turn, refused)
