"""The demo's scripted subject: sits down too far away, head turned and smiling, and corrects each
problem when - and only when - the booth's guidance asks for it.

A newcomer running `appliance run --demo` thus sees the guidance loop work: the message names a
problem, the subject reacts after a moment, the next message names the next problem, and the photo
is taken once every live check passes. The subject is a camera source (the development camera's
frames), driven by the session's guidance events; its final pose passes every check of the
engine, so nothing needs to be made advisory.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from appliance.capture.camera.base import Exposure, Frame
from appliance.demo.portrait import BACKDROP_BGR, SubjectPictures, compose_subject
from appliance.inference.checks.face_count import FACE_COUNT
from appliance.inference.checks.geometry import FRAMING_DISTANCE, SHOULDERS_LEVEL
from appliance.inference.checks.mouth import MOUTH_CLOSED, MOUTH_NEUTRAL, MOUTH_NO_TEETH
from appliance.inference.checks.occlusion import EARS_VISIBLE
from appliance.inference.checks.pose import POSE_YAW
from appliance.inference.checks.sharpness import RESOLUTION
from appliance.session.chart import SessionState
from appliance.session.events import GUIDANCE, TRANSITION, SessionEvent

# What the view shows at distance 1.0, in base (canvas) pixels: a landscape camera's field.
_VIEW_H = 310.0
# Corrections: reaction time after the guidance names a problem, then how long the movement takes.
REACTION_S = 0.8
MOVE_S = 1.6


@dataclass(frozen=True)
class SubjectPose:
    distance: float = 1.0  # < 1: further away than the booth wants (the face is small)
    yaw_deg: float = 0.0  # head and shoulders turned
    smile: float = 0.0  # 1 = smiling with teeth, 0 = relaxed closed lips
    hair_over_ears: float = 0.0  # 1 = the hair beside the cheeks falls over both ears, 0 = tucked behind


START = SubjectPose(distance=0.72, yaw_deg=22.0, smile=1.0, hair_over_ears=1.0)
GOAL = SubjectPose()
# Which problem each live check's failure names, so the subject corrects what it is told.
_PROBLEMS = {
    FRAMING_DISTANCE.id: "distance", RESOLUTION.id: "distance",
    POSE_YAW.id: "yaw_deg", SHOULDERS_LEVEL.id: "yaw_deg",
    FACE_COUNT.id: "yaw_deg",  # "未检测到人脸，请正对镜头": face the camera
    MOUTH_CLOSED.id: "smile", MOUTH_NEUTRAL.id: "smile", MOUTH_NO_TEETH.id: "smile",
    EARS_VISIBLE.id: "hair_over_ears",
}


def _ease(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


class ScriptedStudent:
    """The subject's state: which problems remain and which correction is under way."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pose = START
        self._moving: tuple[str, float, float] | None = None  # (field, start time, from value)
        self.corrections: list[str] = []

    def reset(self) -> None:
        """A new student sits down, with the same problems."""
        with self._lock:
            self._pose, self._moving = START, None
            self.corrections = []

    def pose(self) -> SubjectPose:
        with self._lock:
            return self._current()

    def _current(self) -> SubjectPose:
        if self._moving is None:
            return self._pose
        name, started, start_value = self._moving
        goal = getattr(GOAL, name)
        progress = _ease((self._clock() - started - REACTION_S) / MOVE_S)
        value = start_value + (goal - start_value) * progress
        pose = replace(self._pose, **{name: value})
        if progress >= 1.0:
            self._pose, self._moving = pose, None
        return pose

    def guided(self, failed_checks: list[str]) -> None:
        """The booth showed guidance; correct the first problem it names that this subject has."""
        with self._lock:
            pose = self._current()
            if self._moving is not None:
                return
            for check in failed_checks:
                name = _PROBLEMS.get(check)
                if name is not None and getattr(pose, name) != getattr(GOAL, name):
                    self._pose = pose
                    self._moving = (name, self._clock(), getattr(pose, name))
                    self.corrections.append(check)
                    return

    def on_event(self, event: SessionEvent) -> None:
        """Session bus listener: guidance frames tell it what to correct; a new session resets it."""
        if event.kind == TRANSITION and event.target == SessionState.SCANNING:
            self.reset()
        elif event.kind == GUIDANCE:
            # Only the first failed check: that is the one message the screen shows the student.
            checks = (event.payload or {}).get("checks") or []
            failed = [c.get("id", "") for c in checks if isinstance(c, dict) and not c.get("passed", True)]
            if failed:
                self.guided(failed[:1])


class SubjectSource:
    """The development camera showing the scripted subject (a FrameSource for StreamingCamera)."""

    def __init__(self, subject: ScriptedStudent, analyze: Callable[[np.ndarray], Any],
                 lores_size: tuple[int, int], main_size: tuple[int, int], fps: float,
                 noise: float = 1.5, seed: int = 0) -> None:
        self.name = "demo:scripted-subject"
        self._subject = subject
        self._analyze = analyze
        self._lores = lores_size
        self._main = main_size
        self._fps = fps
        self._noise = noise
        self._rng = np.random.default_rng(seed)
        self._pictures: SubjectPictures | None = None
        self._index = 0

    def open(self) -> None:
        if self._pictures is None:
            from appliance.capture.camera.demo import astronaut_portrait

            self._pictures = compose_subject(astronaut_portrait(), self._analyze)

    def read(self, want_full: bool) -> Frame:
        if self._pictures is None:
            raise RuntimeError("demo subject is not open")
        pose = self._subject.pose()
        t = self._index / self._fps
        self._index += 1
        lores = self._render(pose, self._lores, t)
        if self._noise > 0:
            lores = np.clip(lores + self._rng.normal(0.0, self._noise, lores.shape), 0, 255).astype(np.uint8)
        main = (lambda: self._render(pose, self._main, t)) if want_full else None  # rendered when used
        exposure = Exposure(exposure_s=1.0 / self._fps, analogue_gain=1.0, origin="simulated")
        return Frame(lores, main, exposure=exposure, source=self.name)

    def close(self) -> None:
        """Nothing to release; the pictures stay for a reopen."""

    def _render(self, pose: SubjectPose, size: tuple[int, int], t: float) -> np.ndarray:
        pictures = self._pictures
        assert pictures is not None
        width, height = size
        image = pictures.neutral
        if pose.smile > 0.0:
            image = cv2.addWeighted(pictures.smiling, pose.smile, pictures.neutral, 1.0 - pose.smile, 0.0)
        if pose.hair_over_ears < 1.0 and pictures.ears is not None and pictures.ears_cover is not None:
            image = _with_ears(image, pictures, 1.0 - pose.hair_over_ears)
        # A seated person's sway: a few pixels and under a degree, never the same twice.
        tau = 2 * math.pi
        sway_x = 2.0 * math.sin(tau * 0.23 * t)
        sway_y = 1.2 * math.sin(tau * 0.31 * t + 1.0)
        roll = 0.6 * math.sin(tau * 0.17 * t + 0.5)
        fx, fy = pictures.face_centre
        view_h = _VIEW_H / pose.distance
        scale = height / view_h
        centre = (fx + sway_x, fy + 0.11 * view_h + sway_y)
        matrix = cv2.getRotationMatrix2D(centre, roll, scale)
        matrix[0, 2] += width / 2 - centre[0]
        matrix[1, 2] += height / 2 - centre[1]
        frame = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=BACKDROP_BGR)
        if abs(pose.yaw_deg) > 0.05:
            face_x = (fx - centre[0]) * scale + width / 2
            face_y = (fy - centre[1]) * scale + height / 2
            frame = _turn_head(frame, pose.yaw_deg, (face_x, face_y), pictures.face_width * scale)
        return frame


def _with_ears(image: np.ndarray, pictures: SubjectPictures, tucked: float) -> np.ndarray:
    """The picture with the hair beside the cheeks `tucked` (0..1) of the way behind the ears."""
    assert pictures.ears is not None and pictures.ears_cover is not None
    x0, y0, x1, y1 = pictures.ears_box
    out = image.copy()
    weight = (pictures.ears_cover * tucked)[..., None]
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(region * (1 - weight) + pictures.ears.astype(np.float32) * weight + 0.5,
                                0, 255).astype(np.uint8)
    return out


def _turn_head(frame: np.ndarray, yaw_deg: float, face: tuple[float, float], face_w: float) -> np.ndarray:
    """The head turned about its vertical axis: the face drawn on a cylinder and rotated, so the
    nose and eyes move toward one cheek while the head's outline stays; shoulders stay square."""
    height, width = frame.shape[:2]
    cx, cy = face
    radius = 0.62 * face_w
    x0, x1 = max(int(cx - 1.6 * radius), 0), min(int(cx + 1.6 * radius) + 1, width)
    y0, y1 = max(int(cy - 2.0 * radius), 0), min(int(cy + 2.0 * radius) + 1, height)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    u = np.clip((xs - cx) / radius, -1.0, 1.0)
    source_x = cx + radius * np.sin(np.arcsin(u) - math.radians(yaw_deg))
    # full turn inside the head, fading out over its edge (hair, ears) so no seam is drawn
    reach = np.hypot((xs - cx) / (1.25 * radius), (ys - cy) / (1.7 * radius))
    weight = np.clip((1.25 - reach) / 0.35, 0.0, 1.0)
    map_x = xs + (source_x - xs) * weight
    patch = cv2.remap(frame, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out = frame.copy()
    out[y0:y1, x0:x1] = patch
    return out
