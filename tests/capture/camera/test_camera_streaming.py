"""The streaming camera: newest-frame slot, bursts, failure, stall and reopen (scripted frames)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from appliance.capture.camera import CameraHealth, ScriptedSource, StreamingCamera
from appliance.capture.errors import CameraError


def numbered_frames(count: int, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    """Frames whose pixel value is their number, so a test can tell which one it got."""
    return [np.full((size[1], size[0], 3), i, np.uint8) for i in range(count)]


def make_camera(source, **kwargs) -> StreamingCamera:
    options = {"lores_size": (32, 24), "fps": 200.0, "stall_timeout_s": 5.0, "reopen_backoff_s": 0.01}
    options.update(kwargs)
    return StreamingCamera(source, **options)


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture
def camera_factory():
    cameras: list[StreamingCamera] = []

    def build(source, **kwargs):
        camera = make_camera(source, **kwargs)
        cameras.append(camera)
        return camera

    yield build
    for camera in cameras:
        camera.stop()


def test_guidance_frames_are_scaled_newest_first_and_dropped_not_queued(camera_factory):
    camera = camera_factory(ScriptedSource(numbered_frames(200)))
    assert camera.latest_lores() is None
    camera.start()
    first = camera.next_lores(0, timeout=5)
    assert first is not None and first.lores.shape == (24, 32, 3)
    assert wait_for(lambda: camera.stats.frames > first.index + 10)
    newest = camera.latest_lores()
    assert newest.index > first.index + 10  # jumped straight to the newest: no backlog
    assert camera.stats.dropped > 0
    later = camera.next_lores(newest.index, timeout=5)
    assert later is not None and later.index > newest.index


def test_burst_returns_consecutive_full_resolution_stills(camera_factory):
    camera = camera_factory(ScriptedSource(numbered_frames(50, size=(64, 48))))
    camera.start()
    stills = camera.capture_stills(3)
    assert len(stills) == 3
    assert all(s.main.shape == (48, 64, 3) and s.lores.shape == (24, 32, 3) for s in stills)
    indices = [s.index for s in stills]
    assert indices == list(range(indices[0], indices[0] + 3))
    values = [int(s.main[0, 0, 0]) for s in stills]
    assert [int(s.lores[0, 0, 0]) for s in stills] == values  # one record: both streams of one frame
    assert [(v - values[0]) % 50 for v in values] == [0, 1, 2]


def test_rotation_turns_frames_upright(camera_factory):
    camera = camera_factory(ScriptedSource(numbered_frames(5, size=(64, 48))), rotation=90)
    camera.start()
    assert camera.next_lores(0, timeout=5).lores.shape == (32, 24, 3)
    assert camera.capture_stills(1)[0].main.shape == (64, 48, 3)


def test_camera_failure_is_reported_and_the_device_reopened(camera_factory):
    frames = numbered_frames(3)
    source = ScriptedSource([*frames, OSError("cable pulled")], loop=False)
    camera = camera_factory(source)
    statuses = []
    camera.add_status_listener(statuses.append)
    camera.start()
    source.open_failures = 2  # after the failure the device stays away for two attempts
    assert wait_for(lambda: source.opens >= 2)  # opened at start, then again after the failure
    healths = [s.health for s in statuses]
    assert CameraHealth.REOPENING in healths
    assert camera.stats.failures >= 3  # the read failure and two refused opens
    assert "cable pulled" in " ".join(s.last_error for s in statuses)
    source.replace(frames)  # the camera is back with frames
    before = camera.latest_lores().index
    assert camera.next_lores(before, timeout=5) is not None
    assert camera.status().health is CameraHealth.OK and camera.status().message == ""


def test_failure_during_a_burst_raises_a_clear_error(camera_factory):
    source = ScriptedSource(numbered_frames(2))
    camera = camera_factory(source, fps=50.0)
    camera.start()
    camera.next_lores(0, timeout=5)
    source.replace([OSError("sensor timeout")] * 1000)
    with pytest.raises(CameraError, match="retry"):
        camera.capture_stills(3)
    assert camera.status().health is CameraHealth.REOPENING
    assert "重新连接" in camera.status().message


class BlockingSource(ScriptedSource):
    """Hangs inside read() when told to, like a driver call that never returns."""

    def __init__(self, frames):
        super().__init__(frames)
        self.hang = threading.Event()
        self.release = threading.Event()

    def read(self, want_full):
        if self.hang.is_set():
            self.release.wait(10)
            raise OSError("released")
        return super().read(want_full)


def test_stalled_camera_is_abandoned_and_reopened(camera_factory):
    source = BlockingSource(numbered_frames(5))
    camera = camera_factory(source, stall_timeout_s=0.5)
    camera.start()
    assert camera.next_lores(0, timeout=5) is not None
    source.hang.set()
    assert wait_for(lambda: camera.status().health is CameraHealth.REOPENING, timeout=10)
    source.hang.clear()
    assert wait_for(lambda: camera.status().health is CameraHealth.OK, timeout=10)
    last = camera.latest_lores().index
    assert camera.next_lores(last, timeout=5) is not None
    source.release.set()


def test_start_fails_clearly_when_the_device_cannot_open(camera_factory):
    source = ScriptedSource(numbered_frames(1))
    source.open_failures = 1
    camera = camera_factory(source)
    with pytest.raises(CameraError, match="cannot be opened"):
        camera.start()
    assert camera.status().health is CameraHealth.STOPPED


def test_stop_ends_the_reader_and_refuses_stills(camera_factory):
    source = ScriptedSource(numbered_frames(3))
    camera = camera_factory(source)
    camera.start()
    camera.next_lores(0, timeout=5)
    camera.stop()
    assert not source.is_open
    assert camera.status().health is CameraHealth.STOPPED
    assert camera.latest_lores() is None
    with pytest.raises(CameraError):
        camera.capture_stills(1)
