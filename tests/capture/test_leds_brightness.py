"""The closed-loop brightness controller against a simple model of a lit face."""

from __future__ import annotations

from itertools import pairwise

import pytest

from appliance.capture.brightness import BrightnessController, RingLevels


def face(levels: RingLevels, ambient: float = 0.3, skin: float = 150.0, side_ambient: float = 0.0):
    """Mean luma and balance of a face lit by the ring plus ambient light (an uneven ambient lights
    the image's right half more when side_ambient > 0)."""
    left_light = ambient - side_ambient + levels.left
    right_light = ambient + side_ambient + levels.right
    left, right = skin * left_light, skin * right_light
    return (left + right) / 2.0, (right - left) / (right + left)


def run(controller: BrightnessController, steps: int = 200, dt: float = 0.1, **plant):
    now = 0.0
    history = [controller.levels]
    for _ in range(steps):
        luma, balance = face(controller.levels, **plant)
        now += dt
        history.append(controller.update(luma, balance, now))
    return history


def test_dark_face_is_brightened_until_the_target_is_met():
    controller = BrightnessController(target_luma=135.0, start_level=0.2, luma_deadband=5.0)
    run(controller, ambient=0.2)
    luma, _ = face(controller.levels, ambient=0.2)
    assert luma == pytest.approx(135.0, abs=6.0)


def test_bright_face_is_dimmed_but_never_below_the_minimum():
    controller = BrightnessController(target_luma=135.0, start_level=0.8, min_level=0.15)
    run(controller, ambient=1.2)  # ambient alone overexposes: the ring goes to its floor
    assert controller.levels.left == pytest.approx(0.15)
    assert controller.levels.right == pytest.approx(0.15)


def test_half_lit_face_is_balanced_by_the_two_sides():
    controller = BrightnessController(target_luma=135.0, start_level=0.5, balance_deadband=0.02)
    run(controller, side_ambient=0.15)
    luma, balance = face(controller.levels, side_ambient=0.15)
    assert abs(balance) <= 0.03
    assert controller.levels.left > controller.levels.right
    assert luma == pytest.approx(135.0, abs=10.0)


def test_changes_are_rate_limited_and_bounded():
    controller = BrightnessController(max_change_per_s=0.4, start_level=0.5, min_level=0.1, max_level=0.9)
    history = run(controller, steps=60, dt=0.1, ambient=0.0, skin=40.0)  # very dark: wants max
    for before, after in pairwise(history):
        assert abs(after.left - before.left) <= 0.04 * 1.5 + 1e-9  # 0.4/s x 0.1 s, plus balance share
        assert 0.1 <= after.left <= 0.9 and 0.1 <= after.right <= 0.9
    assert controller.levels.mean == pytest.approx(0.9)


def test_a_long_gap_does_not_allow_a_jump():
    controller = BrightnessController(max_change_per_s=0.4, start_level=0.5)
    controller.update(135.0, 0.0, 0.0)
    after = controller.update(20.0, 0.0, 60.0)  # a minute without a face, then a dark one
    assert after.mean - 0.5 <= 0.4 * 0.2 + 1e-9


def test_inside_the_deadband_nothing_moves():
    controller = BrightnessController(target_luma=135.0, luma_deadband=8.0, balance_deadband=0.05)
    start = controller.levels
    for t in range(10):
        controller.update(130.0, 0.03, float(t))
    assert controller.levels == start


def test_no_measurement_holds_the_levels():
    controller = BrightnessController(start_level=0.4)
    assert controller.update(None, None, 1.0) == RingLevels(0.4, 0.4)


def test_a_one_segment_ring_ignores_balance():
    controller = BrightnessController(start_level=0.5, two_sided=False)
    run(controller, side_ambient=0.2)
    assert controller.levels.left == controller.levels.right


def test_reset_returns_to_the_start_level():
    controller = BrightnessController(start_level=0.5)
    run(controller, steps=20, ambient=0.0, skin=40.0)
    controller.reset()
    assert controller.levels == RingLevels(0.5, 0.5)


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        BrightnessController(min_level=0.8, max_level=0.2)
