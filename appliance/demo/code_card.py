"""The demo's capture code on a phone screen, shown to the camera while the booth scans."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from appliance.binding.phone_photo import PhoneShot, render_phone_photo
from appliance.capture.camera.base import Frame
from appliance.demo.codes import DEMO_SESSION_CODE, DemoCodeFormat, demo_code
from appliance.session.chart import SessionState
from appliance.session.events import TRANSITION, SessionEvent


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
            if event.target == SessionState.SCANNING:
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
