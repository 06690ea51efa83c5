"""Cameras that need no hardware and no files: the demo portrait and scripted frames for tests.

The demo animates the public-domain NASA astronaut portrait the package ships (appliance/samples.py), so
`appliance run --demo` works on any PC without putting any student's face into the repository. Its
motion is a slow sway of a few pixels and a degree of roll, like a person trying to sit still;
a pose script replaces that motion to put the face off-centre, too far, tilted, or badly lit, and
an optional lighting hook makes the image respond to the LED ring so the closed loop can be seen.
It is a flat picture: it cannot blink or turn in depth, so liveness checks rightly find it flat.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from appliance.capture.camera.base import Exposure, Frame

# Portrait crop of the 512x512 astronaut (x0, x1), face centred; and rows of backdrop added above
# the hair so a crown margin exists when the photo is cropped.
_CROP_X = (33, 417)
_HEADROOM = 64
# Approximate face centre in the padded crop, the pivot for roll and scale.
_FACE_CENTRE = (192.0, 140.0 + _HEADROOM)
# Ambient light relative to a ring at half level, for the lighting hook's simple light model.
_AMBIENT = 0.5


@dataclass(frozen=True)
class DemoPose:
    dx: float = 0.0  # shift right, fraction of the frame width
    dy: float = 0.0  # shift down, fraction of the frame height
    roll_deg: float = 0.0  # counter-clockwise, degrees
    scale: float = 1.0  # > 1 = closer to the camera
    gain: float = 1.0  # overall exposure
    balance: float = 0.0  # -1..1: positive lights the image's right side more than its left
    face: bool = True  # False = an empty booth (backdrop only)


def natural_motion(t: float) -> DemoPose:
    """Sway of a seated person: incommensurate slow sines so the motion never visibly repeats."""
    tau = 2 * math.pi
    return DemoPose(
        dx=0.008 * math.sin(tau * 0.23 * t),
        dy=0.005 * math.sin(tau * 0.31 * t + 1.0),
        roll_deg=0.8 * math.sin(tau * 0.17 * t + 0.5),
        scale=1.0 + 0.01 * math.sin(tau * 0.11 * t + 2.0),
    )


def astronaut_portrait() -> np.ndarray:
    """The padded portrait crop in BGR (384x576)."""
    from appliance.samples import demo_portrait_bgr

    bgr = np.ascontiguousarray(demo_portrait_bgr()[:, _CROP_X[0] : _CROP_X[1]])
    return cv2.copyMakeBorder(bgr, _HEADROOM, 0, 0, 0, cv2.BORDER_REPLICATE)


PoseScript = Sequence[DemoPose] | Callable[[int], DemoPose]
LightingHook = Callable[[], Sequence[float]]


class DemoSource:
    def __init__(
        self,
        lores_size: tuple[int, int],
        fps: float,
        scale: float = 2.5,
        script: PoseScript | None = None,
        lighting: LightingHook | None = None,
        noise: float = 1.5,
        seed: int = 0,
    ) -> None:
        self.name = "demo:astronaut"
        self._lores_box = lores_size
        self._fps = fps
        self._scale = scale
        self._script = script
        self._lighting = lighting
        self._noise = noise
        self._rng = np.random.default_rng(seed)
        self._base: np.ndarray | None = None
        self._backdrop: np.ndarray | None = None
        self._index = 0

    def set_script(self, script: PoseScript | None) -> None:
        """Replace the motion from the next frame on (None = natural sway)."""
        self._script = script

    def pose_at(self, index: int) -> DemoPose:
        script = self._script
        if script is None:
            return natural_motion(index / self._fps)
        if callable(script):
            return script(index)
        return script[min(index, len(script) - 1)] if script else DemoPose()

    def open(self) -> None:
        if self._base is None:
            self._base = astronaut_portrait()
            self._backdrop = np.full_like(self._base, self._base[:8].reshape(-1, 3).mean(axis=0))

    def read(self, want_full: bool) -> Frame:
        if self._base is None:
            raise RuntimeError("demo source is not open")
        pose = self.pose_at(self._index)
        self._index += 1
        # the ring's light is read when the frame is "exposed"; the still is rendered when first used
        ring = list(self._lighting()) if self._lighting is not None else None
        height, width = self._base.shape[:2]
        lores_scale = min(self._lores_box[0] / width, self._lores_box[1] / height)
        lores = self._render(pose, lores_scale, ring)
        if self._noise > 0:
            noise = self._rng.normal(0.0, self._noise, lores.shape)
            lores = np.clip(lores + noise, 0, 255).astype(np.uint8)
        main = (lambda: self._render(pose, self._scale, ring)) if want_full else None
        exposure = Exposure(exposure_s=1.0 / self._fps, analogue_gain=pose.gain, origin="simulated")
        return Frame(lores, main, exposure=exposure, source=self.name)

    def close(self) -> None:
        """Nothing to release; the portrait stays cached for a reopen."""

    def _render(self, pose: DemoPose, out_scale: float, ring: list[float] | None) -> np.ndarray:
        assert self._base is not None and self._backdrop is not None
        height, width = self._base.shape[:2]
        size = (max(2, round(width * out_scale)), max(2, round(height * out_scale)))
        matrix = cv2.getRotationMatrix2D(_FACE_CENTRE, pose.roll_deg, pose.scale) * out_scale
        matrix[0, 2] += pose.dx * size[0]
        matrix[1, 2] += pose.dy * size[1]
        source = self._base if pose.face else self._backdrop
        image = cv2.warpAffine(source, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return self._light(image, pose, ring)

    def _light(self, image: np.ndarray, pose: DemoPose, ring_levels: list[float] | None) -> np.ndarray:
        columns = np.linspace(-1.0, 1.0, image.shape[1], dtype=np.float32)
        profile = pose.gain * (1.0 + 0.5 * pose.balance * columns)
        if ring_levels is not None:
            levels = ring_levels
            left, right = (levels[0], levels[-1]) if levels else (0.5, 0.5)
            ring = left + (right - left) * (columns + 1.0) / 2.0
            profile = profile * (_AMBIENT + ring) / (_AMBIENT + 0.5)
        if np.allclose(profile, 1.0):
            return image
        lit = image.astype(np.float32) * profile[None, :, None]
        return np.clip(lit, 0, 255).astype(np.uint8)


ScriptItem = np.ndarray | Frame | BaseException


class ScriptedSource:
    """Plays given frames (and raises given exceptions) in order, for tests of whole sessions.

    Items are BGR images, Frames (to give a frame its own main picture or exposure) or exception
    instances; an exception is raised by the read that reaches it, which is how a test makes the
    camera fail mid-session. `open_failures` makes the next
    opens fail, to exercise reopening. Items can be replaced while the camera runs.
    """

    def __init__(self, items: Iterable[ScriptItem], loop: bool = True, name: str = "scripted") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._items: list[ScriptItem] = list(items)
        self._loop = loop
        self._position = 0
        self.open_failures = 0
        self.opens = 0
        self.closes = 0
        self.is_open = False

    def replace(self, items: Iterable[ScriptItem], loop: bool | None = None) -> None:
        with self._lock:
            self._items = list(items)
            self._position = 0
            if loop is not None:
                self._loop = loop

    def open(self) -> None:
        with self._lock:
            if self.open_failures > 0:
                self.open_failures -= 1
                raise OSError("scripted camera refuses to open")
            self.opens += 1
            self.is_open = True

    def read(self, want_full: bool) -> Frame:
        with self._lock:
            if not self.is_open:
                raise RuntimeError("scripted camera is closed")
            if not self._items:
                raise RuntimeError("scripted camera has no frames")
            if self._position >= len(self._items):
                self._position = 0 if self._loop else len(self._items) - 1
            item = self._items[self._position]
            self._position += 1
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Frame):
            return item if want_full or not item.has_main else Frame(item.lores, None, exposure=item.exposure,
                                                                     source=item.source or self.name)
        return Frame(item, item.copy() if want_full else None, source=self.name)

    def close(self) -> None:
        with self._lock:
            self.closes += 1
            self.is_open = False
