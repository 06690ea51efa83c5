"""Runs the session from a camera at the camera's own rate.

Two threads share a one-frame slot: the grabber takes every frame the camera delivers and overwrites
the slot; the analyser takes whatever is in the slot when it is free. Analysis slower than the camera
therefore drops frames instead of queueing them, so guidance always describes the subject as they are
now, not as they were a second ago. The analyser also ticks the machine so timeouts fire even when
the camera delivers nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from appliance.capture.camera.base import Frame
from appliance.session.config import SessionSettings
from appliance.session.ports import Clock

log = logging.getLogger(__name__)

_FIRST_RETRY_S = 0.25
_MAX_RETRY_S = 2.0


class Camera(Protocol):
    def latest_lores(self) -> Frame | None:
        """The newest guidance frame (None when none is ready yet)."""
        ...

    def capture_stills(self, n: int) -> Sequence[Frame]: ...


class SessionInputs(Protocol):
    def frame(self, frame: Frame) -> None: ...

    def tick(self, now: float | None = None) -> None: ...

    def camera_lost(self, reason: str) -> None: ...

    def camera_restored(self) -> None: ...


class SharedCamera:
    """One camera shared by the grabber thread and the session's burst, handing out its Frames.

    Calls never overlap, since most camera stacks (picamera2, OpenCV captures) are not safe to call
    from two threads at once; a camera that is thread-safe itself loses nothing by it.
    """

    def __init__(self, camera: Any) -> None:
        self._camera = camera
        self._lock = threading.Lock()

    def latest_lores(self) -> Frame | None:
        with self._lock:
            return self._camera.latest_lores()

    def capture_stills(self, n: int) -> list[Frame]:
        with self._lock:
            return list(self._camera.capture_stills(n))


@dataclass
class DriverStats:
    grabbed: int = 0
    analysed: int = 0
    dropped: int = 0
    camera_errors: int = 0


class SessionDriver:
    def __init__(
        self,
        machine: SessionInputs,
        camera: Camera,
        clock: Clock,
        settings: SessionSettings,
        heartbeat: Callable[[], None] | None = None,
    ) -> None:
        self._machine = machine
        self._camera = camera
        self._clock = clock
        self._settings = settings
        self._stop = threading.Event()
        self._slot_ready = threading.Event()
        self._slot_lock = threading.Lock()
        self._slot: Frame | None = None
        self._threads: list[threading.Thread] = []
        # Beaten once per analyser iteration: a hung analysis stops it, and so the systemd watchdog.
        self._heartbeat = heartbeat
        self._camera_news: list[str | None] = []
        self.stats = DriverStats()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._grab_loop, name="session-grab", daemon=True),
            threading.Thread(target=self._analyse_loop, name="session-analyse", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop both threads; False if one is still stuck in a camera or port call after `timeout`."""
        self._stop.set()
        self._slot_ready.set()
        for thread in self._threads:
            thread.join(timeout)
        stopped = not self.running
        if not stopped:
            log.warning("session driver did not stop within %.1f s", timeout)
        return stopped

    def camera_health_changed(self, lost_reason: str | None) -> None:
        """The camera's own health report (a reason when lost, None when delivering again).

        It arrives on the camera's thread, which must not wait for the machine (the machine may be
        waiting for that very camera's burst), so the analyser hands it over in order.
        """
        with self._slot_lock:
            self._camera_news.append(lost_reason)
        self._slot_ready.set()

    def _deliver_camera_news(self) -> None:
        with self._slot_lock:
            news, self._camera_news = self._camera_news, []
        for lost_reason in news:
            if lost_reason is None:
                self._machine.camera_restored()
            else:
                self._machine.camera_lost(lost_reason)

    def _grab_loop(self) -> None:
        interval = 1.0 / self._settings.max_fps
        retry = _FIRST_RETRY_S
        failing = False
        previous: Frame | None = None
        while not self._stop.is_set():
            started = self._clock.now()
            try:
                frame = self._camera.latest_lores()
            except Exception as exc:
                self.stats.camera_errors += 1
                if not failing:
                    log.warning("camera failed: %s", type(exc).__name__, exc_info=True)
                    self._machine.camera_lost(type(exc).__name__)
                failing = True
                self._stop.wait(retry)
                retry = min(retry * 2, _MAX_RETRY_S)
                continue
            failing, retry = False, _FIRST_RETRY_S
            if frame is not None and frame is not previous:
                previous = frame
                self.stats.grabbed += 1
                with self._slot_lock:
                    if self._slot is not None:
                        self.stats.dropped += 1
                    self._slot = frame
                self._slot_ready.set()
            self._stop.wait(max(interval - (self._clock.now() - started), 0.0))

    def _analyse_loop(self) -> None:
        while not self._stop.is_set():
            if self._heartbeat is not None:
                self._heartbeat()
            self._slot_ready.wait(self._settings.tick_interval_s)
            with self._slot_lock:
                frame, self._slot = self._slot, None
                self._slot_ready.clear()
            if self._stop.is_set():
                return
            try:
                self._deliver_camera_news()
                if frame is not None:
                    self.stats.analysed += 1
                    self._machine.frame(frame)
                self._machine.tick(self._clock.now())
            except Exception:
                # The machine handles its own failures; this only guards the loop against a bug.
                log.exception("session driver: machine input failed")
