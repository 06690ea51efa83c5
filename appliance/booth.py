"""The running booth: every service started in order, stopped in reverse, fed to the watchdog.

The parts are built by appliance/app.py from one settings tree; this module only owns their
lifetime. A part that fails to start stops the ones already started, so a half-started booth never
keeps the camera or the GPIO pins. The session reaches the other parts only through its event bus,
so the screen, the LEDs and the demo's scripted subject follow it without being called by it.
"""

from __future__ import annotations

import http.client
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from appliance.binding.phone_photo import PhoneShot, render_phone_photo
from appliance.capture.camera.base import Frame
from appliance.demo.codes import DEMO_KEY_HEX, DEMO_KEY_ID, DEMO_SCHOOL_CODE, DemoCodeFormat, demo_code
from appliance.errors import ApplianceError
from appliance.session.events import NOTICE, TRANSITION, SessionEvent

log = logging.getLogger(__name__)

# Session code of the demo's collection run: the format of SPEC §1's example.
DEMO_SESSION_CODE = "26031601"

def demo_overrides(data_dir: str) -> dict[str, Any]:
    """Settings of `appliance run --demo`: no camera, no GPIO, a flat portrait (liveness off), the
    public demo key for reference codes and the school plain codes are filed under."""
    return {
        "device": {"data_dir": data_dir},
        "codes": {"school_code": DEMO_SCHOOL_CODE, "reference_keys": {DEMO_KEY_ID: DEMO_KEY_HEX}},
        "store": {"dir": f"{data_dir}/store", "min_free_mb": 1},
        "capture": {
            # The Pi's own stream sizes: the scripted subject (appliance/demo/) fills them as a student would.
            "camera": {"kind": "demo"},
            "button": {"kind": "simulated"},
            "leds": {"kind": "virtual", "virtual_count": 16},  # drawn on the screen as a ring
        },
        "session": {
            # Long enough for the ring's light challenge and the lens cue; the portrait answers
            # the challenge through the demo camera's light layer (capture/camera/lit_face.py).
            "countdown_s": 3.5,
            "burst_size": 2,
            "auto_capture_frames": 3,
            # Video cues off: a flat portrait cannot blink. The light challenge stays on, with
            # longer steps and a wider latency window: a PC renders the demo camera's frames slower
            # and less regularly than a Pi camera delivers them.
            "liveness": {"required": False, "light": {"step_min_s": 0.25, "step_max_s": 0.35,
                                                      "max_lag_s": 0.6, "tail_s": 0.6}},
        },
    }


class DemoCodeCard:
    """The demo's subject holding a phone with a capture code up to the lens while the booth scans.

    Wraps the camera: while the session is scanning, guidance frames show a rendered phone screen
    with a fresh capture code (reference format with the demo key, or plain); otherwise the
    camera's own frames pass through.
    """

    def __init__(self, camera: Any, frame_size: tuple[int, int], seed: int | None = None,
                 code_format: DemoCodeFormat = "reference") -> None:
        self._camera = camera
        self._format = code_format
        self._frame_size = frame_size
        self._rng = np.random.default_rng(seed)
        self._card: np.ndarray | None = None
        self._lock = threading.Lock()
        self.codes_shown = 0

    def on_event(self, event: SessionEvent) -> None:
        if event.kind != TRANSITION:
            return
        with self._lock:
            if event.target == "scanning":
                code, _fields = demo_code(self._format, DEMO_SESSION_CODE, self._rng)
                shot = PhoneShot(module_px=4.0, frame_size=self._frame_size)
                self._card = render_phone_photo(code, shot, self._rng)
                self.codes_shown += 1
            else:
                self._card = None

    def latest_lores(self) -> Any:
        with self._lock:
            card = self._card
        if card is None:
            return self._camera.latest_lores()
        # A fresh frame each time, over the camera's own record: the driver skips a frame object it
        # has already analysed.
        frame = self._camera.latest_lores()
        if frame is None:
            return Frame(card.copy(), source="demo:code-card")
        return Frame(card.copy(), index=frame.index, timestamp=frame.timestamp, source="demo:code-card")

    def capture_stills(self, n: int) -> Any:
        return self._camera.capture_stills(n)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._camera, name)


@dataclass
class Service:
    """One part with a start and a stop; `name` is what the log and a start failure say."""

    name: str
    start: Callable[[], Any]
    stop: Callable[[], Any]


@dataclass
class Booth:
    """The assembled booth. `parts` holds the built objects for the web screen and for tests."""

    services: list[Service]
    parts: dict[str, Any] = field(default_factory=dict)
    ready_url: tuple[str, int] | None = None
    notifier: Any = None
    watchdog: Any = None
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


class ScriptedSubject:
    """The `--once` demo's subject: confirms the masked identity, accepts a passing photo, retakes a
    failing one, and reports the receipt. Actions run on the caller's thread, never inside a
    listener, so the machine's lock is not re-entered mid-transition."""

    def __init__(self, machine: Any) -> None:
        self._machine = machine
        self._actions: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.transitions: list[str] = []

    def on_event(self, event: SessionEvent) -> None:
        if event.kind == NOTICE and event.event == "storage_unavailable":  # the session did not start
            self._actions.put(("fail", event.payload.get("message_en", "storage unavailable")))
        if event.kind != TRANSITION:
            return
        self.transitions.append(f"{event.source}->{event.target}")
        target = event.target
        if target == "confirming":
            self._actions.put(("act", "accept"))
        elif target == "reviewing":
            payload = event.payload
            if payload.get("can_accept"):
                self._actions.put(("act", "accept"))
            elif payload.get("can_retake"):
                self._actions.put(("act", "retake"))
            else:
                self._actions.put(("fail", f"photo refused: {payload.get('reason_en', '')}"))
        elif target == "done":
            self._actions.put(("done", event.payload.get("receipt", {})))
        elif target in ("idle", "failsafe") and event.source != "done":
            self._actions.put(("fail", f"session ended in {target} after {event.event}"))

    def run(self, timeout_s: float) -> dict[str, Any]:
        self._machine.web_action("start")
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ApplianceError(f"demo session did not finish within {timeout_s:.0f} s "
                                     f"(state {self._machine.state})")
            try:
                kind, value = self._actions.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if kind == "act":
                self._machine.web_action(value)
            elif kind == "done":
                return dict(value)
            else:
                raise ApplianceError(f"demo session failed: {value}")
