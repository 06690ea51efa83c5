"""Development sources (image folder, video file), the demo portrait and the camera factory."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.capture.camera import DemoPose, DemoSource, build_camera
from appliance.capture.camera.imaging import fit_within, rotate, yuv420_to_bgr
from appliance.capture.camera.opencv_sources import ImageFolderSource, VideoFileSource
from appliance.capture.errors import HardwareUnavailableError
from appliance.settings import settings_from_dict
from appliance.testing.camera_fakes import padded_i420


def write_images(folder: Path, count: int) -> list[np.ndarray]:
    images = []
    for i in range(count):
        image = np.full((60, 80, 3), 40 * (i + 1), np.uint8)
        cv2.putText(image, str(i), (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2)
        cv2.imwrite(str(folder / f"frame_{i:02d}.png"), image)
        images.append(image)
    return images


def test_image_folder_plays_in_name_order_and_loops(tmp_path):
    images = write_images(tmp_path, 3)
    (tmp_path / "notes.txt").write_text("not an image")
    source = ImageFolderSource(tmp_path)
    source.open()
    reads = [source.read(want_full=(i == 4)) for i in range(5)]
    for i, frame in enumerate(reads):
        assert np.array_equal(frame.lores, images[i % 3])
    assert not reads[0].has_main and np.array_equal(reads[4].main, images[1])
    assert reads[4].source == f"folder:{tmp_path.name}/frame_01.png"


def test_image_folder_errors_name_the_folder(tmp_path):
    with pytest.raises(HardwareUnavailableError, match="no images"):
        ImageFolderSource(tmp_path).open()
    with pytest.raises(HardwareUnavailableError, match="not found"):
        ImageFolderSource(tmp_path / "missing").open()


def test_folder_camera_from_settings(tmp_path):
    write_images(tmp_path, 2)
    settings = settings_from_dict(
        {"capture": {"camera": {"kind": "folder", "source": str(tmp_path), "lores_size": [640, 360]}}}
    )
    camera = build_camera(settings)
    camera.start()
    try:
        frame = camera.next_lores(0, timeout=5)
        assert frame.lores.shape == (60, 80, 3)  # small images are not enlarged
        assert camera.capture_stills(2)[1].main.shape == (60, 80, 3)
    finally:
        camera.stop()


def test_video_file_loops(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG/AVI")
    for value in (30, 120, 220):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    source = VideoFileSource(path)
    source.open()
    means = [float(source.read(False).lores.mean()) for _ in range(6)]
    source.close()
    assert means[0] < means[1] < means[2]
    assert means[3] == pytest.approx(means[0], abs=3)  # looped back to the start


def test_missing_video_is_a_clear_error(tmp_path):
    with pytest.raises(HardwareUnavailableError, match="not found"):
        VideoFileSource(tmp_path / "none.mp4").open()


def test_webcam_kind_needs_an_index():
    with pytest.raises(Exception, match="device index"):
        settings_from_dict({"capture": {"camera": {"kind": "webcam", "source": "front"}}})


def test_demo_moves_like_a_person_sitting_still():
    source = DemoSource((640, 360), fps=10.0)
    source.open()
    frames = [source.read(False).lores for _ in range(20)]
    assert frames[0].shape == (360, 240, 3)  # portrait fitted into the guidance box
    differences = [float(np.abs(a.astype(int) - b.astype(int)).mean()) for a, b in pairwise(frames)]
    assert min(differences) > 0.5  # every frame differs (motion and sensor noise) ...
    assert max(differences) < 25  # ... but only slightly: a small sway, no jumps
    assert source.read(True).main.shape == (1440, 960, 3)


def test_demo_script_controls_position_and_light():
    script = [DemoPose(), DemoPose(dx=0.2), DemoPose(gain=0.5), DemoPose(face=False), DemoPose(balance=0.8)]
    source = DemoSource((640, 360), fps=10.0, script=script, noise=0.0)
    source.open()
    centred, shifted, dark, empty, balanced = (source.read(False).lores.astype(float) for _ in script)
    shift = 0.2 * centred.shape[1]
    assert np.abs(shifted[:, 60:180] - centred[:, round(60 - shift) : round(180 - shift)]).mean() < 12
    assert dark.mean() == pytest.approx(centred.mean() * 0.5, rel=0.05)
    assert empty.std() < centred.std() / 3
    third = balanced.shape[1] // 3
    assert balanced[:, -third:].mean() > balanced[:, :third].mean() * 1.5


def test_demo_follows_the_ring_lighting():
    levels = [0.5, 0.5]
    source = DemoSource((640, 360), fps=10.0, script=[DemoPose()], lighting=lambda: levels, noise=0.0)
    source.open()
    normal = source.read(False).lores.astype(float)
    levels[:] = [0.9, 0.1]
    unbalanced = source.read(False).lores.astype(float)
    third = normal.shape[1] // 3
    assert unbalanced[:, :third].mean() > normal[:, :third].mean()
    assert unbalanced[:, -third:].mean() < normal[:, -third:].mean()


def test_yuv420_with_padded_rows_converts_back_to_bgr():
    rng = np.random.default_rng(1)
    bgr = cv2.GaussianBlur(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), (7, 7), 0)
    converted = yuv420_to_bgr(padded_i420(bgr, stride=128), 64, 48)
    assert converted.shape == bgr.shape
    assert np.abs(converted.astype(int) - bgr.astype(int)).mean() < 4


def test_fit_within_keeps_aspect_and_rotate_turns():
    image = np.zeros((100, 200, 3), np.uint8)
    assert fit_within(image, (50, 50)).shape == (25, 50, 3)
    assert fit_within(image, (400, 400)) is image
    assert rotate(image, 90).shape == (200, 100, 3)
    assert rotate(image, 0) is image
