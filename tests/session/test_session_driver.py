"""The driver runs the machine at the camera's rate, drops frames it cannot analyse, and stops."""

from __future__ import annotations

import threading
import time

import numpy as np

from appliance.capture.camera.base import Frame
from appliance.session.config import SessionSettings
from appliance.session.driver import SessionDriver, SharedCamera
from appliance.session.ports import MonotonicClock
from appliance.testing.session_fakes import make_booth

WAIT_S = 10.0  # generous upper bound for a shared CI machine; not a timing assertion


def wait_for(condition, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class FastCamera:
    """A new frame on every call; can be made to fail."""

    def __init__(self) -> None:
        self.count = 0
        self.fail = False
        self.lock = threading.Lock()

    def latest_lores(self):
        if self.fail:
            raise OSError("unplugged")
        with self.lock:
            self.count += 1
            return np.full((4, 4, 3), self.count % 256, np.uint8)

    def capture_stills(self, n: int):
        return [np.zeros((8, 6, 3), np.uint8) for _ in range(n)]


class RecordCamera(FastCamera):
    """Hands out Frames, as the booth's streaming camera does."""

    def latest_lores(self):
        image = super().latest_lores()
        return Frame(image, index=self.count, timestamp=0.0)

    def capture_stills(self, n: int):
        return [Frame(image[:4, :3], image, index=i, timestamp=0.0)
                for i, image in enumerate(super().capture_stills(n))]


class SlowMachine:
    """Records inputs; each frame takes a while, as analysis on a Pi does."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.ticks = 0
        self.lost: list[str] = []

    def frame(self, frame) -> None:
        self.frames.append(int(frame[0, 0, 0]))
        time.sleep(0.03)

    def tick(self, now=None) -> None:
        self.ticks += 1

    def camera_lost(self, reason: str) -> None:
        self.lost.append(reason)


def test_slow_analysis_drops_frames_instead_of_queueing_them():
    camera, machine = FastCamera(), SlowMachine()
    driver = SessionDriver(machine, camera, MonotonicClock(), SessionSettings(max_fps=120))
    driver.start()
    assert wait_for(lambda: len(machine.frames) >= 5)
    assert driver.stop()
    assert not driver.running
    stats = driver.stats
    assert stats.dropped > 0
    assert stats.analysed == len(machine.frames)
    assert stats.analysed + stats.dropped <= stats.grabbed
    assert machine.frames == sorted(machine.frames)  # always the newest, never an old one
    assert machine.ticks >= len(machine.frames)


def test_a_failing_camera_is_reported_once_per_outage_and_resumed():
    camera, machine = FastCamera(), SlowMachine()
    driver = SessionDriver(machine, camera, MonotonicClock(), SessionSettings())
    camera.fail = True
    driver.start()
    assert wait_for(lambda: driver.stats.camera_errors >= 2)
    camera.fail = False
    assert wait_for(lambda: len(machine.frames) >= 2)
    assert driver.stop()
    assert machine.lost == ["OSError"]


def test_driver_runs_a_whole_session_from_a_camera():
    camera = SharedCamera(RecordCamera())
    clock = MonotonicClock()
    booth = make_booth(countdown_s=0, clock=clock, still_source=camera)
    driver = SessionDriver(booth.machine, camera, clock, SessionSettings(max_fps=60))
    driver.start()
    try:
        booth.machine.web_action("start")
        assert wait_for(lambda: booth.machine.state == "confirming")
        booth.machine.button_pressed()
        assert wait_for(lambda: booth.machine.state == "reviewing")
        booth.machine.web_action("accept")
        assert booth.machine.state == "done"
    finally:
        assert driver.stop()
    assert len(booth.sink.commits) == 1
    assert driver.stats.analysed > 0
