"""The scripted subject of `appliance run --demo --once`: one whole session with no one at the booth."""

from __future__ import annotations

import queue
import time
from typing import Any

from appliance.errors import ApplianceError
from appliance.session.chart import SessionState as S
from appliance.session.events import NOTICE, TRANSITION, SessionEvent


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
        if target == S.CONFIRMING:
            self._actions.put(("act", "accept"))
        elif target == S.REVIEWING:
            payload = event.payload
            if payload.get("can_accept"):
                self._actions.put(("act", "accept"))
            elif payload.get("can_retake"):
                self._actions.put(("act", "retake"))
            else:
                self._actions.put(("fail", f"photo refused: {payload.get('reason_en', '')}"))
        elif target == S.DONE:
            self._actions.put(("done", event.payload.get("receipt", {})))
        elif target in (S.IDLE, S.FAILSAFE) and event.source != S.DONE:
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
