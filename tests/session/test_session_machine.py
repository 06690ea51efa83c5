"""Whole sessions through the state machine with a fake for every port."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.capture.camera.base import Exposure, Frame
from appliance.session.ports import CodeRejected
from appliance.testing.session_fakes import (
    CODE,
    ID_NUMBER,
    NAME,
    STUDENT_NUMBER,
    FakeBinding,
    make_booth,
    replay_landmarks,
)

HAPPY = [
    ("start", "scanning"),
    ("code_read", "confirming"),
    ("confirmed", "guiding"),
    ("ready", "countdown"),
    ("shoot", "capturing"),
    ("captured", "choosing"),
    ("chosen", "producing"),
    ("produced", "reviewing"),
    ("accepted", "committing"),
    ("committed", "done"),
    ("finished", "idle"),
]


def test_happy_path_commits_once_and_never_publishes_personal_data():
    booth = make_booth()
    booth.to_guiding()
    frames = booth.frames_until(lambda: booth.machine.state == "countdown")
    assert frames >= booth.machine_settings.auto_capture_frames
    booth.tick(booth.machine_settings.countdown_s + 0.01)
    assert booth.machine.state == "reviewing"
    assert booth.machine.preview() == b"\xff\xd8fake-jpeg"
    booth.machine.button_pressed()
    assert booth.machine.state == "done"
    assert len(booth.sink.commits) == 1
    assert booth.stills.bursts == 1
    booth.tick(booth.machine_settings.timeouts.done_s + 0.01)
    assert booth.transitions() == HAPPY
    text = booth.all_text()
    for secret in (NAME, ID_NUMBER, CODE, "fake-jpeg"):
        assert secret not in text
    confirm = next(e for e in booth.events if e.event == "code_read")
    assert confirm.payload["identity"] == {"capture_code": "c8ba********edca", "name": "黄*正",
                                           "id_number": "**************1234"}
    done = next(e for e in booth.events if e.event == "committed")
    assert done.payload["receipt"]["capture_code"] == "c8ba********edca"
    assert [e.seq for e in booth.events] == sorted({e.seq for e in booth.events})
    assert {e.session for e in booth.events if e.kind == "transition"} == {"run1"}


def test_guidance_events_carry_one_message_and_the_streak():
    booth = make_booth()
    booth.to_guiding()
    booth.guide.passed = False
    booth.frame()
    guidance = [e for e in booth.events if e.kind == "guidance"][-1]
    assert guidance.payload["message_en"] == "Move closer"
    assert guidance.payload["streak"] == 0
    assert guidance.payload["checks"] == [{"name": "distance", "passed": False}]


def test_failed_product_cannot_be_accepted_and_a_retake_starts_over():
    booth = make_booth(verdicts=[False, True])
    booth.to_guiding()
    booth.to_reviewing()
    produced = [e for e in booth.events if e.event == "produced"][-1]
    assert produced.payload["ok"] is False and produced.payload["can_retake"] is True
    assert NAME not in booth.all_text()  # the producer's report carried the name; masked
    booth.machine.button_pressed()
    assert booth.machine.state == "reviewing"
    assert booth.notices() == ["accept_refused"]
    booth.machine.web_action("retake")
    assert booth.machine.state == "guiding"
    booth.to_reviewing()
    booth.machine.web_action("accept")
    assert booth.machine.state == "done"
    assert len(booth.sink.commits) == 1
    assert booth.sink.commits[0][1].ok


def test_retake_limit_is_enforced():
    booth = make_booth(verdicts=[False], retake_limit=1)
    booth.to_guiding()
    booth.to_reviewing()
    booth.machine.web_action("retake")
    booth.to_reviewing()
    assert booth.machine.snapshot()["retakes_left"] == 0
    booth.machine.web_action("retake")
    assert booth.machine.state == "reviewing"
    assert "retake_refused" in booth.notices()
    booth.tick(booth.machine_settings.timeouts.reviewing_s + 0.01)
    assert booth.machine.state == "idle"
    assert booth.sink.commits == []


@pytest.mark.parametrize("state", ["scanning", "confirming", "guiding", "reviewing"])
def test_timeout_returns_to_idle_and_discards_everything(state):
    booth = make_booth()
    booth.reader.result = None
    booth.machine.button_pressed()
    if state != "scanning":
        booth.reader.result = booth.reader.__class__().result
        booth.frame()
    if state in ("guiding", "reviewing"):
        booth.machine.button_pressed()
    if state == "reviewing":
        booth.to_reviewing()
    assert booth.machine.state == state
    limit = getattr(booth.machine_settings.timeouts, f"{state}_s")
    booth.tick(limit - 0.5)
    assert booth.machine.state == state
    booth.tick(0.51)
    assert booth.machine.state == "idle"
    assert booth.transitions()[-1] == ("timeout", "idle")
    assert booth.machine.preview() is None
    assert booth.machine.snapshot()["identity"] is None
    assert booth.sink.commits == []


def test_long_press_cancels_and_is_harmless_when_idle():
    booth = make_booth()
    booth.machine.button_long_pressed()
    assert booth.events == []
    booth.to_guiding()
    booth.frame()
    booth.machine.button_long_pressed()
    assert booth.machine.state == "idle"
    cancel = [e for e in booth.events if e.kind == "transition"][-1]
    assert (cancel.event, cancel.payload) == ("cancel", {"by": "button"})
    assert booth.machine.snapshot()["identity"] is None


def test_screen_can_reject_a_wrong_identity_and_scan_again():
    booth = make_booth()
    booth.machine.web_action("start")
    booth.frame()
    booth.reader.result = None
    booth.machine.web_action("retake")
    assert booth.machine.state == "scanning"
    assert booth.machine.snapshot()["identity"] is None
    with pytest.raises(ValueError):
        booth.machine.web_action("shutdown")


def test_rejected_code_is_noticed_once_and_scanning_continues():
    booth = make_booth()
    booth.reader.result = CodeRejected("不是本场次的采集码", "This code is not for this session")
    booth.machine.button_pressed()
    for _ in range(5):
        booth.frame()
    assert booth.machine.state == "scanning"
    assert booth.notices() == ["code_rejected"]


def test_camera_failure_mid_burst_lands_in_failsafe_and_recovers():
    booth = make_booth()
    booth.to_guiding()
    booth.stills.fail = OSError("camera disappeared")
    booth.frames_until(lambda: booth.machine.state == "countdown")
    booth.tick(booth.machine_settings.countdown_s + 0.01)
    assert booth.machine.state == "failsafe"
    fault = [e for e in booth.events if e.event == "fault"][-1]
    assert fault.payload == {"error": "OSError"}
    assert booth.machine.snapshot()["identity"] is None
    booth.tick(booth.machine_settings.timeouts.failsafe_s + 0.01)
    assert booth.machine.state == "idle"
    booth.stills.fail = None
    booth.to_guiding()
    booth.to_reviewing()
    booth.machine.button_pressed()
    assert booth.machine.state == "done"


def test_camera_lost_in_guiding_abandons_the_attempt():
    booth = make_booth(timeouts={"failsafe_s": 0})
    booth.to_guiding()
    booth.machine.camera_lost("OSError")
    assert booth.machine.state == "idle"
    assert booth.transitions()[-2:] == [("fault", "failsafe"), ("recovered", "idle")]
    assert "camera_lost" in booth.notices()
    booth.machine.camera_lost("OSError")  # idle: the screen is told, nothing else happens
    assert booth.machine.state == "idle"


def test_any_exception_in_a_state_is_caught_by_the_failsafe():
    booth = make_booth()
    booth.to_guiding()
    booth.guide.fail = RuntimeError("model crashed")
    booth.frame()
    assert booth.machine.state == "failsafe"
    booth.frame()  # frames in failsafe are ignored
    booth.tick(booth.machine_settings.timeouts.failsafe_s + 0.01)
    assert booth.machine.state == "idle"


def test_duplicate_presses_in_one_state_are_harmless():
    booth = make_booth(auto_capture_frames=0)
    booth.machine.button_pressed()
    booth.frame()
    booth.machine.button_pressed()
    booth.machine.button_pressed()  # bounce: in guiding with no live evidence yet -> refused, no move
    assert booth.machine.state == "guiding"
    booth.frames_until(lambda: booth.machine.snapshot()["guidance"]["liveness"]["established"])
    booth.machine.button_pressed()
    booth.machine.button_pressed()
    assert booth.machine.state == "countdown"
    booth.tick(booth.machine_settings.countdown_s + 0.01)
    booth.machine.button_pressed()
    booth.machine.button_pressed()
    booth.machine.button_pressed()
    assert booth.machine.state == "done"
    assert len(booth.sink.commits) == 1
    assert booth.stills.bursts == 1
    assert [t for t in booth.transitions() if t[0] in ("ready", "accepted")] == [
        ("ready", "countdown"), ("accepted", "committing")]


def test_printed_photo_or_screen_replay_never_gets_a_capture():
    booth = make_booth(sequence=replay_landmarks())
    booth.to_guiding()
    for _ in range(80):
        booth.frame()
        booth.machine.button_pressed()
    assert booth.machine.state == "guiding"
    assert booth.stills.bursts == 0
    last = [e for e in booth.events if e.kind == "guidance"][-1].payload
    assert last["liveness"]["established"] is False
    assert last["passed"] is False
    assert last["message_en"] == "Turn your head slightly left and right, slowly"
    assert "capture_refused" in booth.notices()


def test_losing_liveness_during_the_countdown_aborts_it():
    booth = make_booth()
    booth.to_guiding()
    booth.frames_until(lambda: booth.machine.state == "countdown")
    booth.guide.sequence = replay_landmarks()  # a different, flat face jumps in
    booth.guide.index = 0
    booth.frame()
    assert booth.machine.state == "guiding"
    assert booth.transitions()[-1] == ("abort", "guiding")


def test_receipt_stays_until_the_button_and_not_for_a_repeated_press():
    booth = make_booth(auto_capture_frames=0)
    booth.machine.button_pressed()
    booth.frame()
    booth.machine.button_pressed()
    booth.frames_until(lambda: booth.machine.snapshot()["guidance"]["liveness"]["established"])
    booth.machine.button_pressed()
    booth.tick(booth.machine_settings.countdown_s + 0.01)
    booth.machine.button_pressed()
    assert booth.machine.state == "done"
    assert booth.machine.snapshot()["receipt"]["sha256"] == "ab" * 32
    booth.machine.button_pressed()  # the accepting press repeated: the receipt stays
    booth.tick(60.0)  # far longer than the old 10 s
    assert booth.machine.state == "done"
    booth.machine.button_pressed()
    assert booth.machine.state == "idle" and booth.machine.snapshot()["receipt"] is None


def test_the_reader_and_the_guide_get_the_cameras_frame_record():
    """One frame record from camera to still: the ports see the Frame itself, not its lores array."""
    booth = make_booth()
    booth.reader.result = None
    booth.machine.button_pressed()
    scanned = Frame(np.zeros((4, 4, 3), np.uint8), index=7, timestamp=1.5, exposure=Exposure(lux=120.0))
    booth.machine.frame(scanned)
    assert booth.reader.last_frame is scanned
    booth.reader.result = FakeBinding()
    booth.frame()
    booth.machine.button_pressed()
    assert booth.machine.state == "guiding"
    guided = Frame(np.zeros((4, 4, 3), np.uint8), index=8, timestamp=1.6)
    booth.machine.frame(guided)
    assert booth.guide.last_frame is guided


def test_student_login_asks_the_readers_roster():
    """The kit's reader answers logins as a roster of one: a wrong ID number is refused in scanning."""
    booth = make_booth()
    booth.reader.result = None
    booth.machine.button_pressed()
    refused = booth.machine.student_login(STUDENT_NUMBER, "110101199001011234")
    assert isinstance(refused, CodeRejected) and booth.machine.state == "scanning"
    assert booth.machine.student_login(STUDENT_NUMBER, ID_NUMBER) is None
    assert booth.machine.state == "confirming" and booth.reader.logins == [STUDENT_NUMBER] * 2


def test_student_login_binds_only_while_scanning():
    from appliance.session.ports import CodeRejected

    booth = make_booth()
    answers: list = []
    booth.reader.login = lambda number, id_number: answers.pop(0)
    assert isinstance(booth.machine.student_login("2022001234", "x"), CodeRejected)  # idle: press Start first
    booth.reader.result = None  # no code in view
    booth.machine.button_pressed()
    assert booth.machine.state == "scanning"
    answers.append(CodeRejected("学号或身份证号不正确", "not correct"))
    assert booth.machine.student_login("2022001234", "x").reason_en == "not correct"
    assert booth.machine.state == "scanning"
    answers.append(FakeBinding())
    assert booth.machine.student_login("2022001234", "11010519491231002X") is None
    assert booth.machine.state == "confirming" and booth.machine.snapshot()["identity"]["name"]
