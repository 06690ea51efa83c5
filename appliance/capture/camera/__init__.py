"""The camera: one interface, the Pi camera, OpenCV development sources and the demo portrait."""

from appliance.capture.camera.base import Camera, CameraHealth, CameraStatus, Frame, FrameSource
from appliance.capture.camera.demo import DemoPose, DemoSource, ScriptedSource
from appliance.capture.camera.factory import build_camera
from appliance.capture.camera.streaming import StreamingCamera

__all__ = [
    "Camera",
    "CameraHealth",
    "CameraStatus",
    "DemoPose",
    "DemoSource",
    "Frame",
    "FrameSource",
    "ScriptedSource",
    "StreamingCamera",
    "build_camera",
]
