"""The picamera2 driver against a fake picamera2 module (the real one exists only on a Pi)."""

from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import pytest

from appliance.capture.camera import CameraHealth, build_camera
from appliance.capture.camera.picamera import Picamera2Source
from appliance.capture.errors import HardwareUnavailableError
from appliance.settings import settings_from_dict
from appliance.testing.camera_fakes import padded_i420


class FakeRequest:
    def __init__(self, camera):
        self.camera = camera

    def get_metadata(self):
        # libcamera reports the values in force; with AE/AWB off they are the ones set.
        return dict(self.camera.metadata)

    def make_array(self, stream):
        (width, height) = self.camera.config[stream]["size"]
        if stream == "main":
            return np.full((height, width, 3), 200, np.uint8)
        bgr = np.zeros((height, width, 3), np.uint8)
        bgr[:, : width // 2] = (255, 0, 0)  # blue left half, to check colour order
        bgr[:, width // 2 :] = (0, 0, 255)
        return padded_i420(bgr, stride=width + 64)


class FakePicamera2:
    cameras: ClassVar[list[dict]] = [{"Model": "imx708"}]
    instances: ClassVar[list[FakePicamera2]] = []

    def __init__(self, camera_num=0):
        self.camera_num = camera_num
        self.configure_calls = 0
        self.started = False
        self.closed = False
        self.acquired = 0
        self.released = 0
        self.fail_next = 0
        self.config = None
        self.metadata = {"ExposureTime": 12000, "AnalogueGain": 2.5, "ColourGains": (1.8, 1.5)}
        self.control_calls: list[dict] = []
        FakePicamera2.instances.append(self)

    def set_controls(self, controls):
        self.control_calls.append(dict(controls))
        if controls.get("AeEnable") is False:
            self.metadata = {**self.metadata, "ExposureTime": controls["ExposureTime"],
                             "AnalogueGain": controls["AnalogueGain"], "ColourGains": controls["ColourGains"]}

    @staticmethod
    def global_camera_info():
        return list(FakePicamera2.cameras)

    def create_still_configuration(self, main, lores=None, **kwargs):
        return {"main": main, "lores": lores, **kwargs}

    def configure(self, config):
        self.configure_calls += 1
        self.config = config

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True

    @contextmanager
    def captured_request(self):
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("Camera frontend has timed out!")
        self.acquired += 1
        try:
            yield FakeRequest(self)
        finally:
            self.released += 1


@pytest.fixture
def fake_picamera2(monkeypatch):
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2
    FakePicamera2.instances = []
    FakePicamera2.cameras = [{"Model": "imx708"}]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return module


def pi_settings(**camera):
    options = {"kind": "picamera2", "main_size": [1280, 720], "lores_size": [320, 180], "fps": 30}
    options.update(camera)
    return settings_from_dict({"capture": {"camera": options}})


def test_one_configuration_holds_both_streams_and_stills_need_no_mode_switch(fake_picamera2):
    camera = build_camera(pi_settings())
    camera.start()
    try:
        frame = camera.next_lores(0, timeout=5)
        assert frame.lores.shape == (180, 320, 3) and not frame.has_main
        left, right = frame.lores[90, 40], frame.lores[90, 280]
        assert left[0] > 200 and left[2] < 50 and right[2] > 200 and right[0] < 50  # BGR order kept
        stills = camera.capture_stills(2)
        assert [s.main.shape for s in stills] == [(720, 1280, 3)] * 2
        # each still carries its own sensor frame's metadata, in seconds and plain gains
        exposure = stills[0].exposure
        assert exposure.exposure_s == pytest.approx(0.012)
        assert (exposure.analogue_gain, exposure.colour_gains) == (2.5, (1.8, 1.5))
        assert exposure.lux is None and exposure.origin == "sensor" and stills[0].source == "picamera2:0"
        fake = FakePicamera2.instances[-1]
        assert fake.configure_calls == 1
        assert fake.config["main"] == {"size": (1280, 720), "format": "RGB888"}
        assert fake.config["lores"]["size"] == (320, 180)
        assert fake.config["controls"]["FrameDurationLimits"] == (33333, 33333)
    finally:
        camera.stop()
    assert fake.acquired == fake.released > 0
    assert fake.closed and not fake.started


def test_driver_error_reopens_the_pi_camera(fake_picamera2):
    camera = build_camera(pi_settings(reopen_backoff_s=0.05))
    camera.start()
    try:
        first = FakePicamera2.instances[-1]
        camera.next_lores(0, timeout=5)
        first.fail_next = 1
        index = camera.latest_lores().index
        assert camera.next_lores(index + 1, timeout=10) is not None
        assert camera.stats.failures >= 1 and camera.stats.reopens >= 1
        assert first.closed and len(FakePicamera2.instances) >= 2
        assert camera.status().health is CameraHealth.OK
    finally:
        camera.stop()


def test_missing_camera_is_a_clear_error(fake_picamera2):
    FakePicamera2.cameras = []
    with pytest.raises(HardwareUnavailableError, match="no Raspberry Pi camera"):
        build_camera(pi_settings())


def test_missing_picamera2_module_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # makes the import fail
    with pytest.raises(HardwareUnavailableError, match="picamera2 is not installed"):
        build_camera(pi_settings())


def test_read_before_open_fails():
    source = Picamera2Source(0, (1280, 720), (320, 180), 30.0)
    with pytest.raises(RuntimeError):
        source.read(False)


def test_exposure_and_white_balance_lock_at_the_values_in_force_and_release(fake_picamera2):
    camera = build_camera(pi_settings())
    camera.start()
    try:
        camera.next_lores(0, timeout=5)
        fake = FakePicamera2.instances[-1]
        lock = camera.lock_exposure()
        assert lock.locked and lock.exposure_s == pytest.approx(0.012)
        assert lock.analogue_gain == 2.5 and lock.colour_gains == (1.8, 1.5)
        assert fake.control_calls[-1] == {"AeEnable": False, "AwbEnable": False, "ExposureTime": 12000,
                                          "AnalogueGain": 2.5, "ColourGains": (1.8, 1.5)}
        camera.unlock_exposure()
        assert fake.control_calls[-1] == {"AeEnable": True, "AwbEnable": True}
    finally:
        camera.stop()


def test_exposure_lock_before_any_frame_says_why_not(fake_picamera2):
    source = Picamera2Source(0, (1280, 720), (320, 180), 30.0)
    assert not source.lock_exposure().locked
    source.open()
    try:
        lock = source.lock_exposure()
        assert not lock.locked and "metadata" in lock.reason
        assert FakePicamera2.instances[-1].control_calls == []
    finally:
        source.close()


def test_a_frame_carries_the_end_of_its_sensor_exposure_not_its_arrival(fake_picamera2):
    """The light challenge matches frames to the ring by when they were exposed: libcamera's
    SensorTimestamp (first row's start, boot clock) plus the exposure and a frame of readout."""
    source = Picamera2Source(0, (1280, 720), (320, 180), 20.0, clocks=lambda: (2000.5, 70.0))
    source.open()
    try:
        FakePicamera2.instances[-1].metadata["SensorTimestamp"] = int(2000.0e9)
        frame = source.read(False)
    finally:
        source.close()
    # Began 0.5 s before the read, 12 ms exposure, 50 ms readout at 20 fps: on the monotonic clock.
    assert frame.exposed_at == pytest.approx(70.0 - 0.5 + 0.012 + 0.05)
    assert frame.exposure.sensor_ns == int(2000.0e9)
