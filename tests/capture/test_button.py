"""The booth button on gpiozero mock pins: bounce, press, long press, glitches, listeners."""

from __future__ import annotations

import queue
import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.capture.button import ButtonEvent, GpioButton, SimulatedButton, build_button
from appliance.capture.errors import HardwareUnavailableError
from appliance.settings import settings_from_dict

BOUNCE = 0.03
HOLD = 0.3


@pytest.fixture
def rig():
    factory = MockFactory(pin_class=MockPWMPin)
    button = GpioButton(17, pin_factory=factory, bounce_time=BOUNCE, hold_time=HOLD)
    events: queue.Queue[ButtonEvent] = queue.Queue()
    button.add_listener(events.put)
    yield factory.pin(17), events
    button.close()
    factory.close()


def drain(events: queue.Queue, settle: float = 0.15) -> list[ButtonEvent]:
    time.sleep(settle)
    out = []
    while not events.empty():
        out.append(events.get_nowait())
    return out


def bounce(pin, final_low: bool, chatter: int = 6) -> None:
    """Contact chatter: rapid alternating edges, ending at the final level."""
    for _ in range(chatter):
        pin.drive_low()
        pin.drive_high()
    if final_low:
        pin.drive_low()


def test_a_bouncy_short_press_is_one_press(rig):
    pin, events = rig
    bounce(pin, final_low=True)
    time.sleep(0.08)
    bounce(pin, final_low=False)
    assert events.get(timeout=2) is ButtonEvent.PRESS
    assert drain(events) == []


def test_a_long_press_cancels_and_its_release_does_not_capture(rig):
    pin, events = rig
    bounce(pin, final_low=True)
    assert events.get(timeout=3) is ButtonEvent.LONG_PRESS
    bounce(pin, final_low=False)
    assert drain(events, settle=HOLD) == []


def test_a_spike_shorter_than_the_bounce_time_is_ignored(rig):
    pin, events = rig
    pin.drive_low()
    pin.drive_high()
    assert drain(events, settle=HOLD + 0.2) == []


def test_presses_in_a_row_are_each_reported(rig):
    pin, events = rig
    for _ in range(3):
        pin.drive_low()
        time.sleep(0.08)
        pin.drive_high()
        time.sleep(0.08)
    got = [events.get(timeout=2) for _ in range(3)]
    assert got == [ButtonEvent.PRESS] * 3


def test_a_failing_listener_does_not_stop_the_others():
    seen = []

    def broken(event):
        seen.append(event)
        raise RuntimeError("screen bug")

    others = []
    factory = MockFactory(pin_class=MockPWMPin)
    button = GpioButton(5, pin_factory=factory, bounce_time=BOUNCE, hold_time=HOLD)
    button.add_listener(broken)
    button.add_listener(others.append)
    mock_pin = factory.pin(5)
    mock_pin.drive_low()
    time.sleep(0.08)
    mock_pin.drive_high()
    deadline = time.monotonic() + 2
    while not others and time.monotonic() < deadline:
        time.sleep(0.01)
    button.close()
    factory.close()
    assert seen == [ButtonEvent.PRESS] and others == [ButtonEvent.PRESS]


def test_simulated_button_emits_the_same_events():
    button = SimulatedButton()
    got = []
    button.add_listener(got.append)
    button.press()
    button.long_press()
    assert got == [ButtonEvent.PRESS, ButtonEvent.LONG_PRESS]


def test_build_button_uses_settings_and_the_injected_pins():
    button_config = {"pin": 22, "bounce_time_s": 0.02, "hold_time_s": 0.5}
    settings = settings_from_dict({"capture": {"button": button_config}})
    factory = MockFactory(pin_class=MockPWMPin)
    button = build_button(settings, factory)
    try:
        assert isinstance(button, GpioButton)
        assert factory.pin(22).function == "input"
    finally:
        button.close()
        factory.close()
    simulated = settings_from_dict({"capture": {"button": {"kind": "simulated"}}})
    assert isinstance(build_button(simulated), SimulatedButton)


def test_real_gpio_missing_is_an_error_not_a_mock(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    with pytest.raises(HardwareUnavailableError, match="mock pins"):
        build_button(settings_from_dict({}))
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY")
    try:
        import lgpio  # noqa: F401  (a Pi: real GPIO exists, nothing to check here)

        pytest.skip("this machine has real GPIO")
    except ImportError:
        pass
    with pytest.raises(HardwareUnavailableError, match="GPIO"):
        build_button(settings_from_dict({}))
