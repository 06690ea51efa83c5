"""Session events and the bus that carries them to the screen, the LEDs, the store and the log.

Parts of the booth react to what the session does instead of being called by it, so a slow or broken
listener (a crashed browser stream, an LED driver fault) can never break a session: every listener
failure is logged and swallowed. Payloads are JSON-ready and scrubbed of personal data here,
in one place, because any listener may log or display them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from appliance.capture.listeners import Listeners
from appliance.privacy import mask_code, mask_id_number, mask_name
from appliance.session.chart import SessionState

# Kinds of event: a state change, a live-guidance update within a state, or a notice (a refused
# action, a rejected code) that the screen shows without the state changing.
TRANSITION = "transition"
GUIDANCE = "guidance"
NOTICE = "notice"

# Keys that carry identity wherever they appear in a payload. A bare "name" is not among them: checks
# and reports use it for their own names; identity fields are masked by the machine explicitly.
_MASKERS: dict[str, Callable[[str], str]] = {
    "student_name": mask_name,
    "id_number": mask_id_number,
    "capture_code": mask_code,
    "student_number": mask_code,
}
_MAX_DEPTH = 6


@dataclass(frozen=True)
class SessionEvent:
    """One thing the session did. `source` and `target` are the states it left and entered (the same
    state for guidance and notices); as a StrEnum they are their wire names in JSON and logs."""

    kind: str
    event: str
    source: SessionState
    target: SessionState
    session: str
    seq: int
    at: float
    payload: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def safe_payload(value: Any, _depth: int = 0) -> Any:
    """Reduce a value to JSON types, masking identity fields and dropping pixel data.

    Anything unknown becomes its type name: an image array or a JPEG must never reach a log line.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if _depth >= _MAX_DEPTH:
        return type(value).__name__
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, Mapping):
        clean: dict[str, Any] = {}
        for key, item in value.items():
            key = str(key)
            masker = _MASKERS.get(key)
            if masker is not None and isinstance(item, str):
                clean[key] = masker(item)
            else:
                clean[key] = safe_payload(item, _depth + 1)
        return clean
    if isinstance(value, list | tuple):
        return [safe_payload(item, _depth + 1) for item in value]
    return type(value).__name__


Listener = Callable[[SessionEvent], None]


class EventBus:
    """Synchronous fan-out in subscription order (the booth's device fan-out, typed for sessions);
    listeners must be quick and hand slow work to their own thread."""

    def __init__(self) -> None:
        self._listeners: Listeners[SessionEvent] = Listeners()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Returns the matching unsubscribe, so a listener can be removed without keeping a reference."""
        self._listeners.add(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def publish(self, event: SessionEvent) -> None:
        self._listeners.emit(event)


class _Clock(Protocol):
    def now(self) -> float: ...


class SessionPublisher:
    """Numbers and stamps every event of one session machine and puts it on the bus.

    Registered on the chart as a listener, so every state entered is published as a transition by
    the chart itself, not by calls spread through the machine. It hears a state on entering it,
    before that state's own `on_enter_*` work: the ring already flashes when the burst is taken, and
    the countdown's light challenge starts on a ring that already shows the countdown. Notices and
    live guidance, which do not change the state, go through `publish` and share the numbering.
    """

    def __init__(self, bus: EventBus, clock: _Clock, session: Callable[[], str]) -> None:
        self._bus = bus
        self._clock = clock
        self._session = session
        self._seq = 0

    def on_enter_state(self, event: Any, source: Any, target: Any, payload: dict[str, Any] | None = None) -> None:
        if source is None or source.value is None:
            # the chart's own activation of its initial state (python-statemachine names a blank
            # source state for it): nothing happened
            return
        self.publish(TRANSITION, str(event), SessionState(source.value), SessionState(target.value), payload or {})

    def publish(self, kind: str, event: str, source: SessionState, target: SessionState,
                payload: dict[str, Any]) -> None:
        self._seq += 1
        self._bus.publish(
            SessionEvent(
                kind=kind, event=event, source=source, target=target, session=self._session(),
                seq=self._seq, at=self._clock.now(), payload=safe_payload(payload),
            )
        )
