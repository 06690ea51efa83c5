"""The running booth: every service started in order, stopped in reverse, fed to the watchdog.

The parts are built by appliance/app.py from one settings tree; this module only owns their
lifetime. A part that fails to start stops the ones already started, so a half-started booth never
keeps the camera or the GPIO pins. The session reaches the other parts only through its event bus,
so the screen, the LEDs and the demo's scripted subject follow it without being called by it.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from appliance.errors import ApplianceError
from appliance.system.notify import SystemdNotifier
from appliance.system.watchdog import WatchdogFeeder

log = logging.getLogger(__name__)

PartsT = TypeVar("PartsT")


@dataclass
class Service:
    """One part with a start and a stop; `name` is what the log and a start failure say."""

    name: str
    start: Callable[[], Any]
    stop: Callable[[], Any]


@dataclass
class Booth(Generic[PartsT]):
    """The assembled booth. `parts` names the built objects (app.BoothParts) for the CLI and tests;
    the lifecycle needs only the services."""

    services: list[Service]
    parts: PartsT
    ready_url: tuple[str, int] | None = None
    notifier: SystemdNotifier | None = None
    watchdog: WatchdogFeeder | None = None
    _started: list[Service] = field(default_factory=list)

    def start(self) -> None:
        for service in self.services:
            try:
                service.start()
            except Exception as exc:
                log.error("booth: %s failed to start: %s", service.name, exc)
                self.stop()
                if isinstance(exc, ApplianceError):
                    raise
                raise ApplianceError(f"booth: {service.name} failed to start: {exc}") from exc
            self._started.append(service)
            log.info("booth: %s started", service.name)
        if self.ready_url is not None:
            wait_until_answering(*self.ready_url)
        if self.notifier is not None:
            self.notifier.ready("booth running")

    def stop(self) -> None:
        if self.notifier is not None:
            self.notifier.stopping("booth stopping")
        while self._started:
            service = self._started.pop()
            try:
                service.stop()
            except Exception:
                log.exception("booth: %s failed to stop", service.name)

    def run_forever(self, stop: threading.Event, beat: Callable[[], None] | None = None) -> None:
        """The main loop: beats the watchdog's heartbeat until asked to stop."""
        while not stop.wait(1.0):
            if beat is not None:
                beat()


def probe_host(host: str) -> str:
    """Where to ask the booth's own web server: loopback when it listens on every address."""
    return "127.0.0.1" if host in ("0.0.0.0", "", "::", "localhost") else host


def wait_until_answering(host: str, port: int, timeout_s: float = 15.0) -> None:
    """Block until the booth's web server answers its health URL (READY is only true after that)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connection = http.client.HTTPConnection(probe_host(host), port, timeout=2.0)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ApplianceError(f"web: the screen at {host}:{port} does not answer")
        time.sleep(0.1)
