"""Every session state lights the ring: an unmapped state froze it on the previous pattern.

The mapping is the composition root's data (`app.RING_PATTERNS`); the ring itself knows no state names.
"""

from __future__ import annotations

import logging

import pytest

from appliance.app import RING_PATTERNS
from appliance.capture.brightness import BrightnessController
from appliance.capture.leds import VirtualRing
from appliance.capture.light_patterns import PATTERNS
from appliance.capture.ring_animator import RingAnimator
from appliance.session.chart import BoothChart, SessionState

SESSION_STATES = [state.value for state in BoothChart.states]


def test_the_chart_has_the_states_the_booth_is_known_for() -> None:
    # Guards the test itself: an empty or renamed list would make the checks below vacuous.
    assert {"idle", "confirming", "choosing", "reviewing", "failsafe"} <= set(SESSION_STATES)


@pytest.mark.parametrize("state", SESSION_STATES)
def test_every_session_state_has_a_known_pattern(state: str) -> None:
    assert state in RING_PATTERNS, f"no ring pattern for session state {state!r}"
    assert RING_PATTERNS[state] in PATTERNS


def test_the_mapping_names_only_states_of_the_chart() -> None:
    assert set(RING_PATTERNS) == set(SessionState)


def test_walking_through_every_state_logs_no_missing_pattern(caplog: pytest.LogCaptureFixture) -> None:
    ring = VirtualRing(12)
    animator = RingAnimator(ring, BrightnessController(start_level=0.5, two_sided=ring.two_sided),
                            state_patterns=RING_PATTERNS)
    with caplog.at_level(logging.WARNING, logger="appliance.capture.ring_animator"):
        for state in SESSION_STATES:
            animator.state_changed(state)
            assert animator.pattern == RING_PATTERNS[state]
    assert "no pattern" not in caplog.text


def test_an_accepted_photo_and_a_fault_look_different() -> None:
    assert RING_PATTERNS["done"] == "accepted"
    assert RING_PATTERNS["failsafe"] == "rejected"
    assert RING_PATTERNS["confirming"] != RING_PATTERNS["scanning"]


def test_the_ring_hears_the_session_states_the_booth_publishes() -> None:
    # The composition root's listener hands the event's target to the ring: a StrEnum or its string.
    ring = VirtualRing(12)
    animator = RingAnimator(ring, BrightnessController(start_level=0.5, two_sided=ring.two_sided),
                            state_patterns=RING_PATTERNS)
    animator.state_changed(SessionState.CAPTURING)
    assert animator.pattern == "flash"
    animator.state_changed("done")
    assert animator.pattern == "accepted"
