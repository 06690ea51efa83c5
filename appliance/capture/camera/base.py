"""What the rest of the booth sees of a camera, and what a device driver has to provide.

Two layers keep drivers tiny: a `FrameSource` only opens, reads one frame pair and closes; the
`Camera` built on top of it (see streaming.py) owns the thread, the newest-frame slot, bursts,
health and reopening, so those rules exist once for the Pi camera and every development source.
All images are BGR uint8 arrays (OpenCV's order), whatever the device delivers.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    index: int
    timestamp: float  # time.monotonic() when the frame was received


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

    def read(self, want_full: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Return (lores, full); full is None unless asked for. Raise on any failure."""
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
        """`n` consecutive full-resolution frames; raises CameraError if the camera fails."""

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
