"""Feeds the systemd watchdog only while every registered loop is still making progress.

A feeder thread on its own would keep feeding while the main loop is stuck in a hung analysis or a
dead camera read, so systemd would never restart the booth. Instead each loop owns a Heartbeat and
beats it once per iteration; the feeder sends WATCHDOG=1 only when no heartbeat is older than the
allowed silence, so a hang stops the feed and systemd restarts the service after WatchdogSec.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from appliance.system.notify import SystemdNotifier

log = logging.getLogger(__name__)


class Heartbeat:
    """Proof of life of one loop; beat() is cheap enough to call every frame."""

    def __init__(self, name: str, clock: Callable[[], float]) -> None:
        self.name = name
        self._clock = clock
        self.last_beat = clock()

    def beat(self) -> None:
        self.last_beat = self._clock()

    def silence(self) -> float:
        return self._clock() - self.last_beat


class WatchdogFeeder:
    """Registry of heartbeats and the thread that turns them into WATCHDOG=1 messages."""

    def __init__(
        self,
        notifier: SystemdNotifier,
        interval_s: float | None,
        heartbeat_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._notifier = notifier
        self._interval_s = interval_s
        self._timeout_s = heartbeat_timeout_s
        self._clock = clock
        self._heartbeats: dict[str, Heartbeat] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported_stall: frozenset[str] = frozenset()

    def heartbeat(self, name: str) -> Heartbeat:
        """Register a loop (or return its existing heartbeat); the loop must then beat regularly."""
        with self._lock:
            if name not in self._heartbeats:
                self._heartbeats[name] = Heartbeat(name, self._clock)
            return self._heartbeats[name]

    def stalled(self) -> list[str]:
        """Names of loops silent for longer than allowed; also what a health page shows."""
        with self._lock:
            beats = list(self._heartbeats.values())
        return sorted(hb.name for hb in beats if hb.silence() > self._timeout_s)

    def feed_if_alive(self) -> bool:
        """One feeding decision; True when WATCHDOG=1 was sent."""
        stalled = frozenset(self.stalled())
        if stalled != self._reported_stall:
            if stalled:
                names = ", ".join(sorted(stalled))
                log.error("watchdog: no progress from %s; no longer feeding systemd", names)
                self._notifier.status(f"stalled: {names}")
            else:
                log.warning("watchdog: all loops are making progress again; feeding resumed")
                self._notifier.status("running")
            self._reported_stall = stalled
        if stalled:
            return False
        return self._notifier.watchdog()

    @property
    def feed_period_s(self) -> float | None:
        """Half of WatchdogSec, as sd_watchdog_enabled(3) recommends, so one late feed is not fatal."""
        return None if self._interval_s is None else self._interval_s / 2

    def start(self) -> bool:
        """Start feeding in the background; False (and no thread) when systemd set no watchdog."""
        period = self.feed_period_s
        if period is None or self._thread is not None:
            return False
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(period,), name="watchdog", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self, period: float) -> None:
        while not self._stop.is_set():
            self.feed_if_alive()
            self._stop.wait(period)
