"""Liveness evidence on synthesised face-mesh sequences: live heads pass, flat prints and screens do not."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.session.config import LivenessSettings
from appliance.session.liveness import LivenessTracker, depth_parallax, eye_opening_ratio, shape_change
from appliance.testing import synthetic_faces as sf
from appliance.testing.session_fakes import FPS


def run(sequence, settings=None, spoof=None):
    tracker = LivenessTracker(settings or LivenessSettings())
    states = [tracker.update(landmarks, i / FPS, spoof) for i, landmarks in enumerate(sequence)]
    return tracker, states


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_swaying_blinking_head_is_live(seed):
    rng = np.random.default_rng(seed)
    _, states = run(sf.live_sequence(rng, 60, FPS, 2.0, 1.0, [2.0]))
    assert states[-1].established
    assert states[-1].blink_seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_flat_print_waved_about_is_refused(seed):
    rng = np.random.default_rng(seed)
    _, states = run(sf.print_sequence(rng, 60, FPS, 8.0, 1.0))
    assert not any(s.established for s in states)
    assert states[-1].depth_pairs == 0
    assert states[-1].reason_en == "Turn your head slightly left and right, slowly"


def test_a_screen_replaying_a_blink_is_refused_for_lack_of_depth():
    rng = np.random.default_rng(5)
    _, states = run(sf.print_sequence(rng, 60, FPS, 8.0, 1.0, [1.0, 3.0]))
    assert states[-1].blink_seen
    assert not any(s.established for s in states)


def test_a_live_head_that_never_blinks_is_asked_to_blink():
    rng = np.random.default_rng(6)
    _, states = run(sf.live_sequence(rng, 60, FPS, 2.0, 1.0, []))
    assert states[-1].depth_pairs >= 2
    assert not states[-1].established
    assert states[-1].reason_en == "Blink naturally"


def test_a_high_spoof_score_refuses_even_a_moving_blinking_face():
    rng = np.random.default_rng(7)
    _, states = run(sf.live_sequence(rng, 60, FPS, 2.0, 1.0, [2.0]), spoof=0.9)
    assert not states[-1].established
    assert states[-1].spoof_mean == pytest.approx(0.9)


def test_liveness_can_be_switched_off_for_the_demo_only_explicitly():
    _, states = run([None], LivenessSettings(required=False))
    assert states[-1].established


def test_losing_the_face_or_swapping_it_starts_the_evidence_over():
    rng = np.random.default_rng(8)
    live = sf.live_sequence(rng, 60, FPS, 2.0, 1.0, [2.0])
    tracker, states = run(live)
    assert states[-1].established
    for _ in range(LivenessSettings().max_missing_frames + 1):
        state = tracker.update(None, 5.0)
    assert not state.established
    tracker, _ = run(live)
    other = sf.print_sequence(np.random.default_rng(9), 1, FPS, 1.0, 1.0)[0]
    assert not tracker.update(other, 5.0).established


def test_geometry_helpers_measure_what_they_claim():
    rng = np.random.default_rng(10)
    face = sf.face_points(rng)
    still = sf.project(face, np.eye(3), np.zeros(3), face[:, 2], 0.0, rng)
    shut = sf.project(sf.close_eyes(face, 0.1), np.eye(3), np.zeros(3), face[:, 2], 0.0, rng)
    assert eye_opening_ratio(shut) < 0.2 * eye_opening_ratio(still)
    turned = sf.project(face, sf.rotation(4.0, 0, 0), np.zeros(3), face[:, 2], 0.0, rng)
    sheet = face.copy()
    sheet[:, 2] = 0
    flat = sf.project(sheet, np.eye(3), np.zeros(3), face[:, 2], 0.0, rng)
    tilted = sf.project(sheet, sf.rotation(15.0, 5.0, 2.0), np.zeros(3), face[:, 2], 0.0, rng)
    assert depth_parallax(still, turned).depth_r2 > 0.5
    assert depth_parallax(flat, tilted).residual_ratio < 1e-6
    assert shape_change(still, turned) < 0.1


def test_wrong_landmark_shape_is_an_error():
    tracker = LivenessTracker(LivenessSettings())
    with pytest.raises(ValueError):
        tracker.update(np.zeros((68, 2)), 0.0)
