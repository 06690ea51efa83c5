"""One Frame per sensor frame: every source yields one, with its streams and exposure kept together."""

from __future__ import annotations

import threading
import time
from itertools import pairwise

import cv2
import numpy as np
import pytest

from appliance.capture.camera import DemoPose, DemoSource, ScriptedSource, StreamingCamera
from appliance.capture.camera.base import Exposure, Frame
from appliance.capture.camera.lit_face import LitFaceSource
from appliance.capture.camera.opencv_sources import ImageFolderSource, VideoFileSource, WebcamSource


def test_libcamera_metadata_becomes_seconds_gains_lux_and_the_sensor_time() -> None:
    exposure = Exposure.from_libcamera({"ExposureTime": 20000, "AnalogueGain": 4.0, "DigitalGain": 1.02,
                                        "ColourGains": (1.9, 1.4), "Lux": 312.5, "SensorTimestamp": 123456789})
    assert exposure.exposure_s == pytest.approx(0.02)
    assert (exposure.analogue_gain, exposure.digital_gain, exposure.colour_gains) == (4.0, 1.02, (1.9, 1.4))
    assert exposure.lux == 312.5 and exposure.sensor_ns == 123456789 and exposure.origin == "sensor"
    assert exposure.to_payload()["colour_gains"] == [1.9, 1.4]
    partial = Exposure.from_libcamera({"ExposureTime": "n/a", "ColourGains": (1.0,)})
    assert partial.exposure_s is None and partial.colour_gains is None and partial.lux is None


def test_a_lazy_main_picture_is_made_once_on_first_use() -> None:
    calls = []

    def render() -> np.ndarray:
        calls.append(1)
        return np.ones((4, 4, 3), np.uint8)

    frame = Frame(np.zeros((2, 2, 3), np.uint8), render, index=3)
    assert frame.has_main and not calls
    assert frame.main is frame.main and len(calls) == 1
    with pytest.raises(ValueError, match="no still-resolution image"):
        _ = Frame(np.zeros((2, 2, 3), np.uint8), index=4).main
    assert frame.describe()["index"] == 3 and "exposure" in frame.describe()


def test_image_folder_and_video_frames_carry_their_picture_as_main(tmp_path) -> None:
    image = np.full((48, 64, 3), 90, np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), image)
    folder = ImageFolderSource(tmp_path)
    folder.open()
    frame = folder.read(True)
    assert isinstance(frame, Frame) and np.array_equal(frame.main, image) and frame.exposure.origin == "none"
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG/AVI")
    for _ in range(2):
        writer.write(image)
    writer.release()
    video = VideoFileSource(path)
    video.open()
    first, still = video.read(False), video.read(True)
    video.close()
    assert not first.has_main and still.main.shape == (48, 64, 3) and still.source == "video:clip.avi"


class _FakeCapture:
    """cv2.VideoCapture as a webcam driver answers: frames, and exposure/gain in its own units."""

    def __init__(self, index: int) -> None:
        self.props = {cv2.CAP_PROP_EXPOSURE: 156.0, cv2.CAP_PROP_GAIN: 32.0}

    def isOpened(self) -> bool:
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray]:
        return True, np.full((36, 64, 3), 77, np.uint8)

    def release(self) -> None: ...


def test_webcam_frames_pass_on_the_drivers_own_exposure_readings(monkeypatch) -> None:
    monkeypatch.setattr(cv2, "VideoCapture", _FakeCapture)
    source = WebcamSource(0, (640, 360), 15.0)
    source.open()
    frame = source.read(True)
    assert frame.main.shape == (36, 64, 3) and frame.main is not frame.lores
    # V4L2 units are the driver's, so nothing is converted into seconds or a gain
    assert frame.exposure.exposure_s is None and frame.exposure.origin == "driver"
    assert frame.exposure.to_payload()["driver_units"] == {"exposure": 156.0, "gain": 32.0}


def test_demo_still_is_rendered_on_use_in_the_light_of_its_own_exposure() -> None:
    levels = [0.5, 0.5]
    source = DemoSource((640, 360), fps=10.0, script=[DemoPose(gain=0.8)], lighting=lambda: levels, noise=0.0)
    source.open()
    frame = source.read(True)
    assert frame.exposure.origin == "simulated" and frame.exposure.analogue_gain == 0.8
    assert frame.exposure.exposure_s == pytest.approx(0.1)
    levels[:] = [1.0, 0.0]  # the ring changes after the exposure: the still must not see it
    third = frame.main.shape[1] // 3
    left, right = frame.main[:, :third].mean(), frame.main[:, -third:].mean()
    assert left == pytest.approx(right, rel=0.25)
    later = source.read(True).main
    assert later[:, :third].mean() > later[:, -third:].mean() * 1.3


def test_lit_face_layer_keeps_the_still_and_reports_its_simulated_gain() -> None:
    picture = np.full((120, 160, 3), 120, np.uint8)
    source = LitFaceSource(ScriptedSource([picture]))
    source.open()
    frame = source.read(True)
    assert np.array_equal(frame.main, picture) and frame.exposure.origin == "simulated"
    assert frame.exposure.analogue_gain == pytest.approx(1.0)


def test_streaming_camera_numbers_and_stamps_frames_and_keeps_each_frames_metadata() -> None:
    clock_lock = threading.Lock()
    ticks = [100.0]

    def clock() -> float:
        with clock_lock:
            ticks[0] += 0.001
            return ticks[0]

    items = [Frame(np.full((48, 64, 3), i, np.uint8), np.full((96, 128, 3), i, np.uint8),
                   exposure=Exposure(exposure_s=0.01 * (i + 1), origin="sensor")) for i in range(4)]
    camera = StreamingCamera(ScriptedSource(items), lores_size=(32, 24), fps=200.0, rotation=180, clock=clock)
    camera.start()
    try:
        guidance = camera.next_lores(0, timeout=5)
        assert guidance is not None and not guidance.has_main and guidance.timestamp > 100.0
        stills = camera.capture_stills(3)
    finally:
        camera.stop()
    assert [s.index for s in stills] == list(range(stills[0].index, stills[0].index + 3))
    assert all(a.timestamp < b.timestamp for a, b in pairwise(stills))
    for still in stills:
        value = int(still.main[0, 0, 0])
        # lores, main and exposure all come from the same sensor frame
        assert int(still.lores[0, 0, 0]) == value
        assert still.exposure.exposure_s == pytest.approx(0.01 * (value + 1))
        assert still.main.shape == (96, 128, 3) and still.lores.shape == (24, 32, 3)


def test_a_lazy_still_is_turned_upright_when_it_is_made() -> None:
    made = []

    def render() -> np.ndarray:
        made.append(time.monotonic())
        image = np.zeros((40, 60, 3), np.uint8)
        image[0, 0] = 255
        return image

    camera = StreamingCamera(ScriptedSource([Frame(np.zeros((20, 30, 3), np.uint8), render)]),
                             lores_size=(30, 20), fps=200.0, rotation=90)
    camera.start()
    try:
        still = camera.capture_stills(1)[0]
    finally:
        camera.stop()
    assert still.main.shape == (60, 40, 3) and still.main[0, -1, 0] == 255  # clockwise quarter turn
    assert len(made) == 1
