"""LED rings (PWM on gpiozero mock pins, WS2812 on a fake strip, virtual) and their patterns."""

from __future__ import annotations

import sys
import time
import types
from itertools import pairwise

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.capture.brightness import BrightnessController
from appliance.capture.errors import HardwareUnavailableError
from appliance.capture.leds import PwmRing, VirtualRing, Ws2812Ring, build_ring
from appliance.capture.ring_animator import RingAnimator, build_ring_animator
from appliance.settings import settings_from_dict


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def factory():
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.close()


def animator_for(ring, clock, **kwargs) -> RingAnimator:
    controller = BrightnessController(start_level=0.5, two_sided=ring.two_sided)
    options = {"idle_level": 0.3, "max_level": 0.9, "countdown_s": 3.0, "clock": clock}
    options.update(kwargs)
    return RingAnimator(ring, controller, **options)


def brightness(pixels) -> list[float]:
    return [max(p) for p in pixels]


def test_pwm_ring_drives_the_left_and_right_pins(factory):
    ring = PwmRing([12, 13], pin_factory=factory)
    assert ring.two_sided and ring.positions[0] < 0 < ring.positions[1]
    ring.show([(0.2, 0.1, 0.0), (0.0, 0.7, 0.3)])
    assert factory.pin(12).state == pytest.approx(0.2)
    assert factory.pin(13).state == pytest.approx(0.7)
    ring.off()
    assert factory.pin(12).state == 0 and factory.pin(13).state == 0
    ring.close()


def test_idle_breathes_within_the_idle_level():
    clock = FakeClock()
    animator = animator_for(VirtualRing(2), clock)
    animator.state_changed("idle")
    levels = [brightness(animator.render(clock.now + t / 10))[0] for t in range(41)]
    assert max(levels) == pytest.approx(0.3, abs=0.01)
    assert min(levels) == pytest.approx(0.3 * 0.35, abs=0.01)
    assert levels[0] < levels[20] and levels[40] == pytest.approx(levels[0], abs=0.01)  # 4 s period


def test_guiding_and_flash_hold_the_closed_loop_levels():
    clock = FakeClock()
    animator = animator_for(VirtualRing(2), clock)
    for step in range(5):  # dark face, brighter on the right, measured through the listener
        clock.now += 0.1 * step
        animator.lighting_measured(60.0, 0.3)
    for state in ("guiding", "flash"):
        animator.state_changed(state)
        left, right = brightness(animator.render(clock.now + 0.4))
        assert left == pytest.approx(animator.levels.left)
        assert right == pytest.approx(animator.levels.right)
        assert left > right  # more light where the face was darker


def test_countdown_dips_each_second_then_holds_steady():
    clock = FakeClock()
    animator = animator_for(VirtualRing(2), clock)
    animator.state_changed("countdown")
    steady = animator.levels.left
    at = {t: brightness(animator.render(clock.now + t))[0] for t in (0.05, 0.5, 1.05, 1.5, 2.05, 2.6, 2.9)}
    assert at[0.05] < steady and at[1.05] < steady and at[2.05] < steady
    assert at[0.5] == at[1.5] == at[2.6] == at[2.9] == pytest.approx(steady)


def test_accepted_and_rejected_differ_in_timing_on_a_white_ring(factory):
    clock = FakeClock()
    animator = animator_for(PwmRing([12], pin_factory=factory), clock)

    def pulses(state: str) -> int:
        animator.state_changed("idle")
        animator.state_changed(state)
        samples = [brightness(animator.render(clock.now + t / 100))[0] for t in range(200)]
        return sum(1 for a, b in pairwise(samples) if b > a + 0.4)

    assert pulses("accepted") == 1  # two pulses: the first starts lit, one rising edge after
    assert pulses("rejected") == 2  # three blinks


def test_colour_ring_shows_scanning_as_a_running_spot():
    clock = FakeClock()
    ring = VirtualRing(12)
    animator = animator_for(ring, clock)
    animator.state_changed("scanning")
    brightest = []
    for t in (0.0, 0.25, 0.5):
        levels = brightness(animator.render(clock.now + t))
        brightest.append(levels.index(max(levels)))
    assert brightest == [0, 3, 6]  # a quarter turn every quarter second


def test_unknown_state_keeps_the_current_pattern_and_enums_are_accepted():
    import enum

    class State(enum.Enum):
        GUIDE = "guide"

    animator = animator_for(VirtualRing(2), FakeClock(), state_patterns={"guide": "guiding"})
    animator.state_changed(State.GUIDE)
    assert animator.pattern == "guiding"
    animator.state_changed("some_new_state")
    assert animator.pattern == "guiding"
    with pytest.raises(ValueError):
        animator_for(VirtualRing(2), FakeClock(), state_patterns={"guide": "disco"})


def test_scheduler_thread_writes_patterns_and_stops_dark(factory):
    ring = PwmRing([12, 13], pin_factory=factory)
    animator = animator_for(ring, time.monotonic, refresh_hz=100.0)
    animator.state_changed("guiding")
    animator.start()
    deadline = time.monotonic() + 3
    while factory.pin(12).state == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert factory.pin(12).state == pytest.approx(0.5)
    animator.stop()
    assert factory.pin(12).state == 0 and factory.pin(13).state == 0
    ring.close()


def test_ws2812_ring_on_a_fake_strip_writes_packed_colours():
    class FakeStrip:
        def __init__(self):
            self.pixels, self.shows = {}, 0

        def setPixelColor(self, i, colour):
            self.pixels[i] = colour

        def show(self):
            self.shows += 1

    strip = FakeStrip()
    ring = Ws2812Ring(4, 18, first_pixel_deg=0.0, strip=strip)
    assert ring.colour and ring.two_sided
    ring.show([(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, 1.0)])
    ring.show([(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, 1.0)])  # unchanged
    assert strip.pixels == {0: 0xFF0000, 1: 0x00FF00, 2: 0x0000FF, 3: 0xFFFFFF}
    assert strip.shows == 1
    ring.close()
    assert set(strip.pixels.values()) == {0}


def test_ws2812_through_the_library_api(monkeypatch):
    created = {}

    class PixelStrip:
        def __init__(self, *args):
            created["args"] = args

        def begin(self):
            created["begun"] = True

        def setPixelColor(self, i, colour):
            pass

        def show(self):
            pass

    monkeypatch.setitem(sys.modules, "rpi_ws281x", types.SimpleNamespace(PixelStrip=PixelStrip))
    ring = build_ring(settings_from_dict({"capture": {"leds": {"kind": "ws2812", "ws2812_pin": 13}}}))
    assert ring.pixel_count == 24 and created["begun"]
    assert created["args"][:2] == (24, 13) and created["args"][-1] == 1  # GPIO13 is PWM channel 1


def test_ws2812_without_its_library_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "rpi_ws281x", None)
    with pytest.raises(HardwareUnavailableError, match="rpi_ws281x"):
        build_ring(settings_from_dict({"capture": {"leds": {"kind": "ws2812"}}}))


def test_build_ring_pwm_and_virtual(factory):
    settings = settings_from_dict({"capture": {"leds": {"pwm_pins": [20, 21]}}})
    ring = build_ring(settings, factory)
    animator = build_ring_animator(settings, ring)
    animator.state_changed("guiding")
    animator.refresh()
    assert factory.pin(20).state == pytest.approx(0.5)
    ring.close()
    virtual = build_ring(settings_from_dict({"capture": {"leds": {"kind": "virtual"}}}))
    virtual.show([(1.0, 0.5, 0.0), (0.0, 0.0, 0.0)])
    assert virtual.snapshot()["pixels"] == [[255, 128, 0], [0, 0, 0]]


def test_virtual_ring_history_is_bounded():
    ring = VirtualRing(2, history=10)
    for i in range(100):
        ring.show([(i / 100, 0.0, 0.0)] * 2)
    assert len(ring.history) == 10 and ring.pixels[0][0] == pytest.approx(0.99)


def test_pwm_ring_without_gpio_is_an_error_not_a_mock(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    with pytest.raises(HardwareUnavailableError, match="LED ring"):
        build_ring(settings_from_dict({}))
