"""The LED ring around the camera: one interface for white PWM segments, WS2812 pixels, and a
virtual ring the demo screen draws.

Every ring is a list of pixels with a known place around the camera (an angle, clockwise from the
top as seen from behind the camera, i.e. as the image is oriented), so patterns and the left/right
lighting correction are written once for every kind of ring. Pixels are RGB in 0..1; rings that
have only white LEDs show the brightest channel. Left/right in this module always means the
image's left/right half.
"""

from __future__ import annotations

import importlib
import math
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from appliance.capture.config import LedSettings, capture_section
from appliance.capture.errors import HardwareUnavailableError
from appliance.capture.gpio import real_pin_factory

RGB = tuple[float, float, float]
BLACK: RGB = (0.0, 0.0, 0.0)


def _clamp01(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


class LedRing(ABC):
    """A ring of pixels; `angles` (degrees) fixes how many there are and where each one is."""

    angles: tuple[float, ...]
    colour: bool = False

    @property
    def pixel_count(self) -> int:
        return len(self.angles)

    @property
    def positions(self) -> tuple[float, ...]:
        """Horizontal place of each pixel: -1 at the image's left, +1 at its right."""
        return tuple(math.sin(math.radians(a)) for a in self.angles)

    @property
    def two_sided(self) -> bool:
        """Whether left and right can be lit differently (needed to correct a half-lit face)."""
        positions = self.positions
        return min(positions) < -0.3 and max(positions) > 0.3

    @abstractmethod
    def show(self, pixels: Sequence[RGB]) -> None: ...

    def off(self) -> None:
        self.show([BLACK] * self.pixel_count)

    @abstractmethod
    def close(self) -> None: ...


def segment_angles(count: int) -> tuple[float, ...]:
    """Angles of PWM segments: one is the whole ring, two are the left and right halves."""
    if count == 1:
        return (0.0,)
    if count == 2:
        return (270.0, 90.0)
    return tuple((270.0 + 180.0 * i / (count - 1)) % 360.0 for i in range(count))


class PwmRing(LedRing):
    """White LED segments on gpiozero PWM outputs, one pin per segment, left to right."""

    def __init__(self, pins: Sequence[int | str], *, pin_factory: Any, frequency: int = 800) -> None:
        from gpiozero import PWMLED  # imported here: gpiozero probes for pin libraries on import

        self.angles = segment_angles(len(pins))
        self._leds: list[Any] = []
        try:
            for pin in pins:
                self._leds.append(PWMLED(pin, frequency=frequency, pin_factory=pin_factory))
        except Exception:
            self.close()
            raise
        self._values: list[float | None] = [None] * len(self._leds)

    def show(self, pixels: Sequence[RGB]) -> None:
        for i, (led, pixel) in enumerate(zip(self._leds, pixels, strict=False)):
            value = round(_clamp01(max(pixel)), 4)
            if value != self._values[i]:
                led.value = value
                self._values[i] = value

    def close(self) -> None:
        leds, self._leds = self._leds, []
        for led in leds:
            led.close()


# Pins whose PWM hardware is channel 1 for the rpi_ws281x library.
_WS281X_CHANNEL1_PINS = frozenset({13, 19, 41, 45, 53})


class Ws2812Ring(LedRing):
    """Addressable WS2812 ring through the rpi_ws281x library (Raspberry Pi 4 and older).

    The library is imported when the ring is built, so the package imports on any machine; pass
    `strip` to drive something with the same setPixelColor/show API (tests use a fake).
    """

    colour = True

    def __init__(self, count: int, pin: int, first_pixel_deg: float = 0.0, strip: Any = None) -> None:
        self.angles = tuple((first_pixel_deg + 360.0 * i / count) % 360.0 for i in range(count))
        if strip is None:
            try:
                module = importlib.import_module("rpi_ws281x")
            except ImportError:
                raise HardwareUnavailableError(
                    "LED ring: kind 'ws2812' needs the rpi_ws281x library (pip install rpi_ws281x, "
                    "Raspberry Pi 4 or older); or set capture.leds.kind = 'pwm'"
                ) from None
            channel = 1 if pin in _WS281X_CHANNEL1_PINS else 0
            strip = module.PixelStrip(count, pin, 800_000, 10, False, 255, channel)
            try:
                strip.begin()
            except RuntimeError as exc:
                raise HardwareUnavailableError(f"LED ring: WS2812 on GPIO{pin} cannot start: {exc}") from None
        self._strip = strip
        self._last: list[int] | None = None

    def show(self, pixels: Sequence[RGB]) -> None:
        packed = [
            (round(_clamp01(r) * 255) << 16) | (round(_clamp01(g) * 255) << 8) | round(_clamp01(b) * 255)
            for r, g, b in pixels
        ]
        if packed == self._last:
            return
        for i, colour in enumerate(packed):
            self._strip.setPixelColor(i, colour)
        self._strip.show()
        self._last = packed

    def close(self) -> None:
        if self._strip is not None:
            self.off()
            self._strip = None


class VirtualRing(LedRing):
    """Records what a ring would show, for the demo screen and for tests; keeps a bounded history."""

    colour = True

    def __init__(
        self,
        count: int = 2,
        history: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.angles = segment_angles(count) if count <= 2 else tuple(360.0 * i / count for i in range(count))
        self._clock = clock
        self._lock = threading.Lock()
        self._pixels: list[RGB] = [BLACK] * count
        self.history: deque[tuple[float, tuple[RGB, ...]]] = deque(maxlen=history)

    def show(self, pixels: Sequence[RGB]) -> None:
        frame = tuple((_clamp01(r), _clamp01(g), _clamp01(b)) for r, g, b in pixels)
        with self._lock:
            self._pixels = list(frame)
            self.history.append((self._clock(), frame))

    @property
    def pixels(self) -> list[RGB]:
        with self._lock:
            return list(self._pixels)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready state for the web screen: pixel colours (0..255) and their angles."""
        with self._lock:
            pixels = [[round(c * 255) for c in pixel] for pixel in self._pixels]
        return {"angles": list(self.angles), "pixels": pixels}

    def close(self) -> None:
        self.off()


def build_ring(settings: Any, pin_factory: Any = None) -> LedRing:
    """The configured ring. Real GPIO is required for 'pwm' unless pins are passed in explicitly."""
    config = capture_section(settings, LedSettings)
    if config.kind == "virtual":
        return VirtualRing(config.virtual_count)
    if config.kind == "ws2812":
        return Ws2812Ring(config.ws2812_count, config.ws2812_pin, config.ws2812_first_pixel_deg)
    if config.kind == "ws2812_spi":
        from appliance.capture.leds_spi import build_spi_ring  # it builds on this module's LedRing

        return build_spi_ring(config)
    from gpiozero.exc import GPIOZeroError

    factory = pin_factory if pin_factory is not None else real_pin_factory("LED ring")
    try:
        return PwmRing(config.pwm_pins, pin_factory=factory, frequency=config.pwm_frequency_hz)
    except GPIOZeroError as exc:
        pins = config.pwm_pins
        raise HardwareUnavailableError(f"LED ring: PWM pins {pins} cannot be used: {exc}") from None
