"""Every session state lights the ring: an unmapped state froze it on the previous pattern."""

from __future__ import annotations

import logging

import pytest

from appliance.capture.brightness import BrightnessController
from appliance.capture.leds import VirtualRing
from appliance.capture.light_patterns import PATTERNS, STATE_PATTERNS
from appliance.capture.ring_animator import RingAnimator
from appliance.session.chart import BoothChart

SESSION_STATES = [state.value for state in BoothChart.states]


def test_the_chart_has_the_states_the_booth_is_known_for() -> None:
    # Guards the test itself: an empty or renamed list would make the checks below vacuous.
    assert {"idle", "confirming", "choosing", "reviewing", "failsafe"} <= set(SESSION_STATES)


@pytest.mark.parametrize("state", SESSION_STATES)
def test_every_session_state_has_a_known_pattern(state: str) -> None:
    assert state in STATE_PATTERNS, f"no ring pattern for session state {state!r}"
    assert STATE_PATTERNS[state] in PATTERNS


def test_walking_through_every_state_logs_no_missing_pattern(caplog: pytest.LogCaptureFixture) -> None:
    ring = VirtualRing(12)
    animator = RingAnimator(ring, BrightnessController(start_level=0.5, two_sided=ring.two_sided))
    with caplog.at_level(logging.WARNING, logger="appliance.capture.ring_animator"):
        for state in SESSION_STATES:
            animator.state_changed(state)
            assert animator.pattern == STATE_PATTERNS[state]
    assert "no pattern" not in caplog.text


def test_an_accepted_photo_and_a_fault_look_different() -> None:
    assert STATE_PATTERNS["done"] == "accepted"
    assert STATE_PATTERNS["failsafe"] == "rejected"
    assert STATE_PATTERNS["confirming"] != STATE_PATTERNS["scanning"]
