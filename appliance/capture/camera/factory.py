"""Build the configured camera, refusing when the configured device is not there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.capture.camera.base import FrameSource
from appliance.capture.camera.demo import DemoSource, LightingHook
from appliance.capture.camera.lit_face import LitFaceSource
from appliance.capture.camera.opencv_sources import ImageFolderSource, VideoFileSource, WebcamSource
from appliance.capture.camera.picamera import Picamera2Source, require_pi_camera
from appliance.capture.camera.streaming import StreamingCamera
from appliance.capture.config import CameraSettings, capture_section


def build_source(config: CameraSettings, lighting: LightingHook | None = None) -> FrameSource:
    """The device driver; opening (and so any hardware error) happens here, once, to fail early."""
    source: FrameSource
    if config.kind == "picamera2":
        require_pi_camera(config.camera_num)
        source = Picamera2Source(
            config.camera_num, config.main_size, config.lores_size, config.fps, config.buffer_count
        )
        return source
    if config.kind == "demo":
        # The portrait answers the ring's light challenge like a face (capture/camera/lit_face.py).
        return LitFaceSource(DemoSource(config.lores_size, config.fps, scale=config.demo_scale, lighting=lighting))
    if config.kind == "webcam":
        source = WebcamSource(int(config.source), config.main_size, config.fps)
    elif config.kind == "video":
        source = VideoFileSource(Path(config.source))
    else:
        source = ImageFolderSource(Path(config.source))
    source.open()  # raises HardwareUnavailableError with the reason
    source.close()
    return source


def build_camera(settings: Any, lighting: LightingHook | None = None,
                 source: FrameSource | None = None) -> StreamingCamera:
    """The camera described by the settings (not started). `lighting` feeds ring levels to the demo;
    `source` replaces the configured device (the demo's scripted subject)."""
    config = capture_section(settings, CameraSettings)
    return StreamingCamera(
        source if source is not None else build_source(config, lighting),
        lores_size=config.lores_size,
        fps=config.fps,
        rotation=config.rotation,
        stall_timeout_s=config.stall_timeout_s,
        reopen_backoff_s=config.reopen_backoff_s,
        reopen_backoff_max_s=config.reopen_backoff_max_s,
        burst_timeout_s=config.burst_timeout_s,
    )
