"""The event bus isolates listeners; payloads are JSON-ready and carry no personal data."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from appliance.errors import SettingsError
from appliance.session.chart import SessionState
from appliance.session.events import TRANSITION, EventBus, SessionEvent, safe_payload
from appliance.session.light_response import LightResponse
from appliance.session.listeners import EventLogger
from appliance.settings import settings_from_dict
from appliance.testing.session_fakes import ID_NUMBER, NAME, make_booth


def event(n: int = 1) -> SessionEvent:
    return SessionEvent("transition", "start", "idle", "scanning", "run1", n, 0.0, {})


def test_a_failing_listener_is_logged_and_the_others_still_hear(caplog):
    bus = EventBus()
    heard: list[SessionEvent] = []

    def broken(_: SessionEvent) -> None:
        raise RuntimeError("LED driver gone")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(heard.append)
    with caplog.at_level(logging.ERROR):
        bus.publish(event(1))
    assert heard == [event(1)]
    assert "LED driver gone" in caplog.text
    unsubscribe()
    bus.unsubscribe(broken)
    bus.unsubscribe(broken)  # twice is harmless
    bus.publish(event(2))
    assert heard == [event(1)]


def test_a_failing_listener_never_breaks_a_session():
    booth = make_booth()

    def broken(_: SessionEvent) -> None:
        raise RuntimeError("browser stream closed")

    booth.bus.subscribe(broken)
    booth.to_guiding()
    booth.to_reviewing()
    booth.machine.button_pressed()
    assert booth.machine.state == "done"
    assert len(booth.sink.commits) == 1


def test_safe_payload_masks_identity_and_drops_pixels():
    payload = safe_payload({
        "student_name": NAME, "id_number": ID_NUMBER, "capture_code": "c8bade99b9b2edca",
        "image": np.zeros((4, 4)), "jpeg": b"\xff\xd8", "score": np.float32(0.5), "n": np.int64(3),
        "nested": [{"student_number": "2020123456"}, (1, 2)], 7: "seven",
    })
    assert payload == {
        "student_name": "黄*正", "id_number": "**************1234", "capture_code": "c8ba********edca",
        "image": "ndarray", "jpeg": "bytes", "score": 0.5, "n": 3,
        "nested": [{"student_number": "2020**3456"}, [1, 2]], "7": "seven",
    }
    json.dumps(payload)


def test_event_logger_writes_one_masked_line_per_transition(caplog):
    booth = make_booth()
    booth.bus.subscribe(EventLogger())
    with caplog.at_level(logging.INFO, logger="appliance.session.events"):
        booth.to_guiding()
    lines = [r.getMessage() for r in caplog.records if r.name == "appliance.session.events"]
    assert len(lines) == 3
    assert "confirming" in lines[1] and "黄*正" in lines[1]
    assert NAME not in caplog.text and ID_NUMBER not in caplog.text


def test_session_settings_are_part_of_the_tree_and_bounded():
    settings = settings_from_dict({"session": {"auto_capture_frames": 5, "timeouts": {"guiding_s": 30}}})
    assert settings.session.auto_capture_frames == 5
    assert settings.session.timeouts.guiding_s == 30
    with pytest.raises(SettingsError, match=r"session\.burst_size"):
        settings_from_dict({"session": {"burst_size": 100}})


def test_events_name_their_states_as_the_enum_and_the_wire_keeps_the_names():
    booth = make_booth()
    booth.machine.button_pressed()
    start = booth.events[0]
    assert (start.event, start.source, start.target) == ("start", SessionState.IDLE, SessionState.SCANNING)
    assert type(start.source) is SessionState and type(start.target) is SessionState
    assert json.loads(json.dumps(start.to_dict()))["target"] == "scanning"  # the wire name


class _CancelFailsOnce:
    """A light challenge whose ring driver faults on its next cancel once armed (the failsafe's own
    clean-up), and works again after."""

    def __init__(self) -> None:
        self.armed = False

    def begin(self, landmarks: np.ndarray | None) -> None:
        return None

    def done(self) -> bool:
        return True

    def finish(self) -> LightResponse:
        return LightResponse("skipped")

    def cancel(self) -> None:
        if self.armed:
            self.armed = False
            raise RuntimeError("ring driver gone")


def test_a_session_reset_beyond_the_failsafe_tells_the_screens_it_is_idle():
    """The fresh chart's activation of its initial state went out as a transition "__initial__"
    from a state "None"; the reset is now said as what it is, from the state the session was in."""
    light = _CancelFailsOnce()
    booth = make_booth(light=light)
    booth.to_guiding()
    light.armed = True
    booth.guide.fail = RuntimeError("model crashed")
    booth.frame()
    assert booth.machine.state == SessionState.IDLE
    last = booth.events[-1]
    assert (last.kind, last.event, last.source, last.target) == (TRANSITION, "reset", SessionState.GUIDING,
                                                                 SessionState.IDLE)


def test_the_snapshot_the_screens_read_has_the_declared_keys_and_the_enum_state():
    from appliance.session.ports import MaskedIdentity, SessionSnapshot

    booth = make_booth()
    booth.machine.button_pressed()
    booth.frame()  # the code is read: a masked identity on screen
    snapshot = booth.machine.snapshot()
    assert set(snapshot) == SessionSnapshot.__required_keys__
    assert snapshot["state"] is SessionState.CONFIRMING
    identity = snapshot["identity"]
    assert identity is not None and MaskedIdentity.__required_keys__ <= set(identity) <= (
        MaskedIdentity.__required_keys__ | MaskedIdentity.__optional_keys__)
    assert NAME not in json.dumps(snapshot, ensure_ascii=False)
