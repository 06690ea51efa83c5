"""What the rest of the booth sees of a camera, and what a device driver has to provide.

Two layers keep drivers tiny: a `FrameSource` only opens, reads one `Frame` and closes; the
`Camera` built on top of it (see streaming.py) owns the thread, the newest-frame slot, bursts,
health and reopening, so those rules exist once for the Pi camera and every development source.
All images are BGR uint8 arrays (OpenCV's order), whatever the device delivers.

A `Frame` is everything one exposure of the sensor gave, kept together from the driver to the
still's report: the guidance picture, the still-resolution picture when one was taken, and how
the sensor was set (exposure, gains, lux) at that instant. Kept apart, a still chosen from a burst
could be described by another frame's metadata, or its guidance twin lost.
"""

from __future__ import annotations

import enum
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Exposure:
    """How the sensor took one frame, where the source knows it (None where it does not).

    `exposure_s` and the gains are what the camera applied (libcamera's ExposureTime, AnalogueGain,
    DigitalGain, ColourGains (red, blue)), `lux` its estimate of the scene, `sensor_ns` the sensor's
    own timestamp of the frame; `origin` says where the values come from ("sensor", "simulated",
    "driver", "none"). A webcam's driver reports exposure and gain in units of its own, kept
    unconverted in `driver_units`.
    """

    exposure_s: float | None = None
    analogue_gain: float | None = None
    digital_gain: float | None = None
    colour_gains: tuple[float, float] | None = None
    lux: float | None = None
    sensor_ns: int | None = None
    origin: str = "none"
    driver_units: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_libcamera(cls, metadata: Mapping[str, Any]) -> Exposure:
        """The fields of a picamera2 request's metadata; a missing or malformed one stays None."""

        def number(key: str, scale: float = 1.0) -> float | None:
            try:
                return float(metadata[key]) * scale
            except (KeyError, TypeError, ValueError):
                return None

        try:
            red, blue = (float(g) for g in metadata["ColourGains"])
            gains: tuple[float, float] | None = (red, blue)
        except (KeyError, TypeError, ValueError):
            gains = None
        stamp = number("SensorTimestamp")
        return cls(exposure_s=number("ExposureTime", 1e-6), analogue_gain=number("AnalogueGain"),
                   digital_gain=number("DigitalGain"), colour_gains=gains, lux=number("Lux"),
                   sensor_ns=None if stamp is None else int(stamp), origin="sensor")

    def to_payload(self) -> dict[str, object]:
        return {
            "exposure_s": self.exposure_s,
            "analogue_gain": self.analogue_gain,
            "digital_gain": self.digital_gain,
            "colour_gains": None if self.colour_gains is None else list(self.colour_gains),
            "lux": self.lux,
            "sensor_ns": self.sensor_ns,
            "origin": self.origin,
        } | ({"driver_units": dict(self.driver_units)} if self.driver_units else {})


MainImage = np.ndarray | Callable[[], np.ndarray]


class _Lazy:
    """The still-resolution picture, made on first use and kept (a demo renders it on demand)."""

    def __init__(self, make: Callable[[], np.ndarray]) -> None:
        self._make: Callable[[], np.ndarray] | None = make
        self._value: np.ndarray | None = None
        self._lock = threading.Lock()

    def get(self) -> np.ndarray:
        with self._lock:
            if self._value is None:
                assert self._make is not None
                self._value, self._make = self._make(), None
            return self._value


@dataclass(frozen=True, eq=False)
class Frame:
    """One sensor frame: its streams and its metadata (picamera2 calls this a completed request).

    `main` is the still-resolution picture: an array, a function that makes it (evaluated once, on
    first use), or None when this frame was only a guidance frame. A source fills `index` and
    `timestamp` as it can; the StreamingCamera numbers its frames and stamps them with its own
    monotonic clock when they arrive, so every frame a session sees is on one time line.

    Arrival is not when the picture was taken: between the end of the exposure and the stamp lie
    the readout, the driver's queue and, on a busy processor, however long the reader thread waited
    for a core. `exposed_at` is the end of the exposure on that same monotonic time line where the
    source knows it (the sensor's timestamp, a simulation's own moment), None where it does not (a
    webcam); `seen_at` is the best time of the picture there is. Whatever relates a frame to the
    light that fell on the face (the light challenge) uses `seen_at`, never the arrival.
    """

    lores: np.ndarray
    main_image: MainImage | _Lazy | None = field(default=None, repr=False)
    index: int = 0
    timestamp: float = 0.0  # time.monotonic() when the frame was received
    exposure: Exposure = field(default_factory=Exposure)
    source: str = ""
    exposed_at: float | None = None  # time.monotonic() at the end of the exposure, where known

    def __post_init__(self) -> None:
        if callable(self.main_image) and not isinstance(self.main_image, _Lazy):
            object.__setattr__(self, "main_image", _Lazy(self.main_image))

    @property
    def seen_at(self) -> float:
        """When the picture was taken: the end of its exposure where known, else its arrival."""
        return self.timestamp if self.exposed_at is None else self.exposed_at

    @property
    def has_main(self) -> bool:
        return self.main_image is not None

    @property
    def main(self) -> np.ndarray:
        """The still-resolution picture; raises when this frame has none (a guidance-only frame)."""
        image = self.main_image
        if image is None:
            raise ValueError(f"frame {self.index} from {self.source or 'a camera'} has no still-resolution image")
        # __post_init__ wraps every callable in _Lazy, so what is left is an array
        return image.get() if isinstance(image, _Lazy) else cast(np.ndarray, image)

    def with_main(self, transform: Callable[[np.ndarray], np.ndarray]) -> MainImage | None:
        """This frame's main picture passed through `transform`, lazily if it is lazy."""
        image = self.main_image
        if image is None:
            return None
        if isinstance(image, _Lazy):
            return lambda: transform(image.get())
        return transform(cast(np.ndarray, image))

    def describe(self) -> dict[str, object]:
        """Which frame this is, for a report: index, timestamp, source and exposure (no pixels)."""
        return {"index": self.index, "timestamp": round(self.timestamp, 6), "source": self.source,
                "exposure": self.exposure.to_payload()}


class CameraHealth(enum.Enum):
    STOPPED = "stopped"
    OK = "ok"
    REOPENING = "reopening"


@dataclass(frozen=True)
class CameraStatus:
    health: CameraHealth
    source: str
    failures: int = 0
    last_error: str = ""

    @property
    def message(self) -> str:
        """Guidance line for the screen (Chinese first)."""
        if self.health is CameraHealth.OK:
            return ""
        if self.health is CameraHealth.STOPPED:
            return "摄像头未启动 / Camera is not running"
        return "摄像头连接中断，正在重新连接… / Camera lost, reconnecting…"


class FrameSource(Protocol):
    """A device driver: blocking reads, no threads, no retries."""

    name: str

    def open(self) -> None: ...

    def read(self, want_full: bool) -> Frame:
        """One frame: its lores picture, its main picture when `want_full` (a source whose one
        picture serves as both may always give it), and what it knows of the exposure. Raise on
        any failure."""
        ...

    def close(self) -> None: ...


class Camera(ABC):
    @abstractmethod
    def start(self) -> None:
        """Open the device and start delivering frames; raises CameraError if it cannot open."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def latest_lores(self) -> Frame | None:
        """The newest guidance frame (None before the first); never a queue of old ones."""

    @abstractmethod
    def next_lores(self, after: int, timeout: float) -> Frame | None:
        """Block until a frame newer than index `after` exists; None on timeout."""

    @abstractmethod
    def capture_stills(self, n: int) -> list[Frame]:
        """`n` consecutive frames, each with its main (still-resolution) picture; raises
        CameraError if the camera fails."""

    @abstractmethod
    def status(self) -> CameraStatus: ...

    @abstractmethod
    def reopen(self) -> None:
        """Close and reopen the device (the automatic recovery, also callable by the operator)."""

    @abstractmethod
    def add_status_listener(self, callback: Callable[[CameraStatus], object]) -> None: ...


@dataclass(frozen=True)
class ExposureLock:
    """What a camera fixed for the light challenge; `locked` False says why not in `reason`."""

    locked: bool
    exposure_s: float | None = None
    analogue_gain: float | None = None
    colour_gains: tuple[float, float] | None = None
    reason: str = ""

    def to_payload(self) -> dict[str, object]:
        return {
            "locked": self.locked,
            "exposure_s": self.exposure_s,
            "analogue_gain": self.analogue_gain,
            "colour_gains": None if self.colour_gains is None else list(self.colour_gains),
            "reason": self.reason,
        }


@runtime_checkable
class ExposureControl(Protocol):
    """A source that can hold its exposure and white balance where they are, and let them go.

    The light challenge needs it: an auto-exposure would cancel the very change the ring makes.
    """

    def lock_exposure(self) -> ExposureLock: ...

    def unlock_exposure(self) -> None: ...
