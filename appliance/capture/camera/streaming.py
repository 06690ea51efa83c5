"""The camera the booth uses: one reader thread per device, a newest-frame slot, bursts, recovery.

Guidance must run at the camera's rate without waiting on analysis, so the reader never queues:
each guidance frame replaces the previous one, and a slow consumer simply sees fewer frames.
Stills are taken by the same thread from the same stream configuration, so a burst never waits
for a mode switch. A read that raises, or no frame for `stall_timeout_s`, marks the camera as
reopening; the device is closed and opened again with a growing pause, for as long as it takes.
A reader stuck inside a driver call is abandoned (its generation no longer matches) rather than
waited for, because a hung USB or CSI driver call may never return.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.capture.camera.base import (
    Camera,
    CameraHealth,
    CameraStatus,
    ExposureControl,
    ExposureLock,
    Frame,
    FrameSource,
)
from appliance.capture.camera.imaging import fit_within, rotate
from appliance.capture.errors import CameraError
from appliance.capture.listeners import Listeners
from appliance.errors import ApplianceError

log = logging.getLogger(__name__)


@dataclass
class _Burst:
    count: int
    frames: list[Frame] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    error: str = ""


@dataclass
class CameraStats:
    frames: int = 0
    dropped: int = 0
    failures: int = 0
    reopens: int = 0


class StreamingCamera(Camera):
    def __init__(
        self,
        source: FrameSource,
        *,
        lores_size: tuple[int, int],
        fps: float,
        rotation: int = 0,
        stall_timeout_s: float = 3.0,
        reopen_backoff_s: float = 0.5,
        reopen_backoff_max_s: float = 5.0,
        burst_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._rotation = rotation
        self._lores_box = lores_size if rotation in (0, 180) else (lores_size[1], lores_size[0])
        self._period = 1.0 / fps
        self._stall_timeout = stall_timeout_s
        self._backoff_initial = reopen_backoff_s
        self._backoff_max = max(reopen_backoff_max_s, reopen_backoff_s)
        self._burst_timeout = burst_timeout_s
        self._clock = clock
        self._cond = threading.Condition()
        self._burst_lock = threading.Lock()
        self._stop_event = threading.Event()
        self._listeners: Listeners[CameraStatus] = Listeners()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._latest: Frame | None = None
        self._latest_taken = True
        self._progress_deadline = float("inf")
        self._burst: _Burst | None = None
        self._status = CameraStatus(CameraHealth.STOPPED, source.name)
        self.stats = CameraStats()

    # -- public interface -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        try:
            self._source.open()
        except ApplianceError:
            raise
        except Exception as exc:
            raise CameraError(f"camera {self._source.name} cannot be opened: {exc}") from None
        self._stop_event.clear()
        self._expect_progress(self._stall_timeout)
        self._set_status(CameraHealth.OK)
        self._spawn(opened=True)

    def stop(self) -> None:
        with self._cond:
            self._generation += 1
            thread, self._thread = self._thread, None
        self._stop_event.set()
        if thread is not None:
            thread.join(timeout=2.0)
        self._close_source()
        self._fail_burst("camera stopped")
        with self._cond:
            self._latest = None
        self._set_status(CameraHealth.STOPPED)

    def latest_lores(self) -> Frame | None:
        self._check_stall()
        with self._cond:
            self._latest_taken = True
            return self._latest

    def next_lores(self, after: int, timeout: float) -> Frame | None:
        deadline = self._clock() + timeout
        with self._cond:
            while self._latest is None or self._latest.index <= after:
                remaining = deadline - self._clock()
                if remaining <= 0 or self._thread is None:
                    break
                self._cond.wait(min(remaining, 0.25))
            frame = self._latest if self._latest is not None and self._latest.index > after else None
            if frame is not None:
                self._latest_taken = True
        if frame is None:
            self._check_stall()
        return frame

    def capture_stills(self, n: int) -> list[Frame]:
        if n < 1:
            raise ValueError("a burst needs at least one still")
        self._check_stall()
        if self._status.health is not CameraHealth.OK:
            raise CameraError("camera is not delivering frames; the photo cannot be taken now")
        with self._burst_lock:
            burst = _Burst(n)
            with self._cond:
                self._burst = burst
            if not burst.done.wait(self._burst_timeout):
                self._fail_burst("timed out")
            if burst.error:
                raise CameraError(f"camera failed while taking the photo ({burst.error}); please retry")
            return burst.frames

    def status(self) -> CameraStatus:
        self._check_stall()
        return self._status

    def reopen(self) -> None:
        """Start a fresh reader that closes and reopens the device; the old one is abandoned."""
        if self._thread is None:
            raise CameraError("camera is not started")
        self._fail_burst("camera is being reopened")
        self._set_status(CameraHealth.REOPENING)
        self._expect_progress(self._stall_timeout)
        self._spawn(opened=False)

    @property
    def source(self) -> FrameSource:
        """The device driver (the composition root wires the demo's light layer to the ring)."""
        return self._source

    def lock_exposure(self) -> ExposureLock:
        """Hold exposure and white balance (the light challenge); a source that cannot says so."""
        if not isinstance(self._source, ExposureControl):
            return ExposureLock(False, reason=f"{self._source.name} cannot fix its exposure")
        try:
            return self._source.lock_exposure()
        except Exception as exc:  # a driver refusing the controls must not end the session
            log.warning("camera %s: exposure lock failed: %s", self._source.name, exc)
            return ExposureLock(False, reason=f"exposure lock failed: {exc}")

    def unlock_exposure(self) -> None:
        if isinstance(self._source, ExposureControl):
            try:
                self._source.unlock_exposure()
            except Exception as exc:
                log.warning("camera %s: exposure unlock failed: %s", self._source.name, exc)

    def add_status_listener(self, callback: Callable[[CameraStatus], object]) -> None:
        self._listeners.add(callback)

    # -- reader thread ----------------------------------------------------------------------------
    def _spawn(self, opened: bool) -> None:
        with self._cond:
            self._generation += 1
            generation = self._generation
            self._thread = threading.Thread(
                target=self._run, args=(generation, opened), name=f"camera-{generation}", daemon=True
            )
            thread = self._thread
        thread.start()

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._stop_event.is_set()

    def _run(self, generation: int, opened: bool) -> None:
        backoff = self._backoff_initial
        if not opened:
            self._close_source()
        next_due = self._clock()
        while self._current(generation):
            if not opened:
                self._expect_progress(self._stall_timeout)
                try:
                    self._source.open()
                    opened = True
                    self.stats.reopens += 1
                except Exception as exc:
                    if not self._current(generation):
                        return
                    self._record_failure(exc)
                    backoff = self._pause(backoff)
                    continue
            burst = self._burst
            self._expect_progress(self._stall_timeout)
            try:
                frame = self._source.read(burst is not None)
            except Exception as exc:
                if not self._current(generation):
                    return
                self._record_failure(exc)
                self._fail_burst(str(exc) or type(exc).__name__)
                self._close_source()
                opened = False
                backoff = self._pause(backoff)
                continue
            if not self._current(generation):
                return
            self._publish(frame, burst)
            backoff = self._backoff_initial
            next_due = max(next_due + self._period, self._clock())
            self._expect_progress(self._stall_timeout + self._period)
            self._stop_event.wait(max(0.0, next_due - self._clock()))

    def _pause(self, backoff: float) -> float:
        """Wait before the next attempt; the pause doubles up to the maximum while failures last."""
        self._expect_progress(backoff + self._stall_timeout)
        self._stop_event.wait(backoff)
        return min(backoff * 2, self._backoff_max)

    def _expect_progress(self, within: float) -> None:
        self._progress_deadline = self._clock() + within

    def _publish(self, raw: Frame, burst: _Burst | None) -> None:
        now = self._clock()
        lores = fit_within(rotate(raw.lores, self._rotation), self._lores_box)
        wanted = burst is not None and raw.has_main
        main = raw.with_main(lambda image: rotate(image, self._rotation)) if wanted else None
        with self._cond:
            index = self.stats.frames + 1
            self.stats.frames = index
            if not self._latest_taken:
                self.stats.dropped += 1
            # one record per sensor frame: a burst's still is the guidance frame with its main picture;
            # when the picture was taken is the source's to say (never after it arrived), not the arrival's
            exposed = None if raw.exposed_at is None else min(raw.exposed_at, now)
            frame = Frame(lores, main, index, now, raw.exposure, raw.source or self._source.name, exposed)
            self._latest = frame
            self._latest_taken = False
            if burst is not None and frame.has_main and burst is self._burst:
                burst.frames.append(frame)
                if len(burst.frames) >= burst.count:
                    self._burst = None
                    burst.done.set()
            self._cond.notify_all()
        if self._status.health is not CameraHealth.OK:
            self._set_status(CameraHealth.OK)

    # -- health -----------------------------------------------------------------------------------
    def _check_stall(self) -> None:
        """Abandon a reader that has been inside one driver call for longer than stall_timeout."""
        if self._thread is None or self._status.health is CameraHealth.STOPPED:
            return
        if self._clock() > self._progress_deadline:
            self._record_failure(TimeoutError(f"no frame for {self._stall_timeout:.1f} s"))
            self.reopen()

    def _record_failure(self, exc: BaseException) -> None:
        self.stats.failures += 1
        text = str(exc) or type(exc).__name__
        log.warning("camera %s failed: %s", self._source.name, text)
        self._set_status(CameraHealth.REOPENING, text)

    def _set_status(self, health: CameraHealth, error: str | None = None) -> None:
        previous = self._status
        status = CameraStatus(
            health,
            self._source.name,
            self.stats.failures,
            previous.last_error if error is None else error,
        )
        self._status = status
        if status != previous:
            self._listeners.emit(status)

    def _fail_burst(self, reason: str) -> None:
        with self._cond:
            burst, self._burst = self._burst, None
        if burst is not None:
            burst.error = reason
            burst.done.set()

    def _close_source(self) -> None:
        try:
            self._source.close()
        except Exception as exc:
            log.debug("closing camera %s: %s", self._source.name, exc)
