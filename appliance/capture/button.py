"""The booth's single button: a short press captures or confirms, a long press cancels or goes back.

A press is reported when the button is released (a press that turns into a hold must not also
capture), a long press as soon as the hold time is reached, so the subject feels the cancel happen.
Debouncing is done here rather than by the pin driver because drivers disagree: gpiozero's mock
pins ignore bounce_time and lgpio's debounce has other semantics. Here a level counts only after it
has stayed unchanged for bounce_time, so contact chatter and short spikes are both ignored, the
same way on every pin factory. Listeners run on the button's own thread.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from appliance.capture.config import ButtonSettings, capture_section
from appliance.capture.gpio import real_pin_factory
from appliance.capture.listeners import Listeners


class ButtonEvent(enum.Enum):
    PRESS = "press"  # capture / confirm
    LONG_PRESS = "long_press"  # cancel / back


ButtonListener = Callable[[ButtonEvent], object]


class BoothButton(Protocol):
    def add_listener(self, callback: ButtonListener) -> None: ...

    def close(self) -> None: ...


class SimulatedButton:
    """The button of the demo: the keyboard and the web screen's button call press()/long_press()."""

    def __init__(self) -> None:
        self._listeners: Listeners[ButtonEvent] = Listeners()

    def add_listener(self, callback: ButtonListener) -> None:
        self._listeners.add(callback)

    def press(self) -> None:
        self._listeners.emit(ButtonEvent.PRESS)

    def long_press(self) -> None:
        self._listeners.emit(ButtonEvent.LONG_PRESS)

    def close(self) -> None:
        """Nothing to release."""


class GpioButton:
    def __init__(
        self,
        pin: int | str,
        *,
        pin_factory: Any,
        bounce_time: float,
        hold_time: float,
        pull_up: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from gpiozero import Button  # imported here: gpiozero probes for pin libraries on import

        self._bounce = bounce_time
        self._hold = hold_time
        self._clock = clock
        self._listeners: Listeners[ButtonEvent] = Listeners()
        self._cond = threading.Condition()
        self._last_edge: float | None = None
        self._closed = False
        self._device = Button(pin, pull_up=pull_up, bounce_time=None, pin_factory=pin_factory)
        self._stable = bool(self._device.is_pressed)
        self._pressed_at = clock() if self._stable else None
        # A button already down at start-up (stuck, or leaned on) must not fire a long press.
        self._held = self._stable
        self._device.when_pressed = self._edge
        self._device.when_released = self._edge
        self._thread = threading.Thread(target=self._run, name="button", daemon=True)
        self._thread.start()

    def add_listener(self, callback: ButtonListener) -> None:
        self._listeners.add(callback)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)
        self._device.close()

    def _edge(self) -> None:
        with self._cond:
            self._last_edge = self._clock()
            self._cond.notify_all()

    def _deadline(self) -> float | None:
        if self._last_edge is not None:
            return self._last_edge + self._bounce
        if self._stable and not self._held and self._pressed_at is not None:
            return self._pressed_at + self._hold
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    deadline = self._deadline()
                    now = self._clock()
                    if deadline is not None and now >= deadline:
                        break
                    self._cond.wait(None if deadline is None else deadline - now)
                if self._closed:
                    return
                events = self._advance(self._clock())
            for event in events:
                self._listeners.emit(event)

    def _advance(self, now: float) -> list[ButtonEvent]:
        """Settle a quiet level and check the hold; called with the lock held."""
        events: list[ButtonEvent] = []
        if self._last_edge is not None and now - self._last_edge >= self._bounce:
            settled_at = self._last_edge
            self._last_edge = None
            level = bool(self._device.is_pressed)
            if level != self._stable:
                self._stable = level
                if level:
                    self._pressed_at, self._held = settled_at, False
                else:
                    if not self._held:
                        events.append(ButtonEvent.PRESS)
                    self._pressed_at = None
        if (
            self._last_edge is None
            and self._stable
            and not self._held
            and self._pressed_at is not None
            and now - self._pressed_at >= self._hold
        ):
            self._held = True
            events.append(ButtonEvent.LONG_PRESS)
        return events


def build_button(settings: Any, pin_factory: Any = None) -> GpioButton | SimulatedButton:
    """The configured button. With kind 'gpio' and no pin_factory, the machine's real GPIO is used
    and its absence is an error; mock pins are only ever used when passed in explicitly."""
    config = capture_section(settings, ButtonSettings)
    if config.kind == "simulated":
        return SimulatedButton()
    factory = pin_factory if pin_factory is not None else real_pin_factory("button")
    return GpioButton(
        config.pin,
        pin_factory=factory,
        bounce_time=config.bounce_time_s,
        hold_time=config.hold_time_s,
        pull_up=config.pull_up,
    )
