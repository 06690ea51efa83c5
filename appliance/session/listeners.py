"""Listeners of the session's events that belong to the session itself.

The screen, the LEDs and the store subscribe their own listeners; the log is the session's: one line
per transition and notice (payloads are already masked), live guidance only at debug level because
it arrives at the camera's rate.
"""

from __future__ import annotations

import json
import logging

from appliance.session.events import GUIDANCE, SessionEvent


class EventLogger:
    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("appliance.session.events")

    def __call__(self, event: SessionEvent) -> None:
        level = logging.DEBUG if event.kind == GUIDANCE else logging.INFO
        if not self._log.isEnabledFor(level):
            return
        self._log.log(
            level, "session %s #%d %s %s: %s -> %s %s", event.session or "-", event.seq, event.kind,
            event.event, event.source, event.target, json.dumps(event.payload, ensure_ascii=False),
        )
