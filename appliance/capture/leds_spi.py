"""WS2812 ring driven from the SPI MOSI pin (GPIO10): works on the Raspberry Pi 5 and under the
hardened unit, where rpi_ws281x needs /dev/mem as root and does not support the Pi 5 at all.

WS2812 pixels read one wire at 800 kHz: each data bit is a 1.25 us period whose high time says 0
(about 0.4 us) or 1 (about 0.8 us); more than 280 us low latches the colours. An SPI controller
clocked at a multiple of 800 kHz draws those pulses when every data bit becomes a few SPI bits:
3 bits at 2.4 MHz (0 -> 100, 1 -> 110: 0.42 / 0.83 us high) or 4 bits at 3.2 MHz (0 -> 1000,
1 -> 1110: 0.31 / 0.94 us high). The whole frame, latch included, goes out in one transfer, since a
pause between transfers longer than the latch time would cut the frame short.

Clocks: the Pi 5's SPI (in its RP1) runs from a fixed clock (2.4 MHz comes out as 2.38 MHz, within
WS2812 tolerance). On a Pi 4 or older the SPI clock follows the VPU core clock, which moves with
frequency scaling: fix it in config.txt (`core_freq_min=500` on a Pi 4, `core_freq=250` on older).
Enable the bus with `dtparam=spi=on` (`raspi-config nonint do_spi 0`); the user needs group `spi`.
"""

from __future__ import annotations

import importlib
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from appliance.capture.config import LedSettings
from appliance.capture.errors import HardwareUnavailableError
from appliance.capture.leds import RGB, LedRing, _clamp01

WS2812_BIT_HZ = 800_000
# WS2812B-V5 and newer need 280 us low to latch; older parts 50 us. Sent before and after a frame.
LATCH_S = 300e-6
# The spidev driver's largest single transfer unless spidev.bufsiz is raised on the kernel command line.
_SPIDEV_BUFSIZ = Path("/sys/module/spidev/parameters/bufsiz")
_DEFAULT_BUFSIZ = 4096


@dataclass(frozen=True)
class SpiBitEncoding:
    """How one WS2812 data bit becomes `bits` SPI bits at `clock_hz` (MSB first)."""

    bits: int
    zero: int
    one: int

    @property
    def clock_hz(self) -> int:
        return WS2812_BIT_HZ * self.bits

    def byte_table(self) -> list[bytes]:
        """Each data byte (0..255) as its `bits` SPI bytes."""
        table = []
        for value in range(256):
            stream = 0
            for bit in range(7, -1, -1):
                stream = (stream << self.bits) | (self.one if value >> bit & 1 else self.zero)
            table.append(stream.to_bytes(self.bits, "big"))
        return table


ENCODINGS = {
    3: SpiBitEncoding(bits=3, zero=0b100, one=0b110),
    4: SpiBitEncoding(bits=4, zero=0b1000, one=0b1110),
}


class SpiTransport(Protocol):
    """Where SPI frames go: spidev on the Pi, a recorder in development and tests."""

    max_transfer_bytes: int

    def write(self, frame: bytes) -> None: ...

    def close(self) -> None: ...


class RecordingSpiTransport:
    """Keeps the frames a ring wrote (the last `history` of them), for development and tests."""

    def __init__(self, clock_hz: int, history: int = 64, max_transfer_bytes: int = _DEFAULT_BUFSIZ) -> None:
        self.clock_hz = clock_hz
        self.max_transfer_bytes = max_transfer_bytes
        self.frames: deque[bytes] = deque(maxlen=history)
        self.closed = False

    def write(self, frame: bytes) -> None:
        if self.closed:
            raise RuntimeError("SPI transport is closed")
        self.frames.append(bytes(frame))

    def close(self) -> None:
        self.closed = True


def _spidev_bufsiz() -> int:
    try:
        return int(_SPIDEV_BUFSIZ.read_text().strip())
    except (OSError, ValueError):
        return _DEFAULT_BUFSIZ


class SpidevTransport:
    """/dev/spidev<bus>.<device> through the spidev package (apt: python3-spidev)."""

    def __init__(self, bus: int, device: int, clock_hz: int) -> None:
        node = f"/dev/spidev{bus}.{device}"
        try:
            module = importlib.import_module("spidev")
        except ImportError:
            raise HardwareUnavailableError(
                "LED ring: kind 'ws2812_spi' needs the spidev library (apt install python3-spidev, "
                "or pip install spidev)"
            ) from None
        spi = module.SpiDev()
        try:
            spi.open(bus, device)
        except FileNotFoundError:
            raise HardwareUnavailableError(
                f"LED ring: {node} does not exist: enable SPI (raspi-config nonint do_spi 0, or "
                "dtparam=spi=on in config.txt) and reboot"
            ) from None
        except PermissionError:
            raise HardwareUnavailableError(
                f"LED ring: no permission for {node}: the service user needs group 'spi' and the unit "
                f"DeviceAllow={node} rw"
            ) from None
        spi.max_speed_hz = clock_hz
        spi.mode = 0
        spi.bits_per_word = 8
        self._spi = spi
        self.max_transfer_bytes = _spidev_bufsiz()

    def write(self, frame: bytes) -> None:
        self._spi.writebytes2(frame)

    def close(self) -> None:
        self._spi.close()


_ORDERS = {"GRB": (1, 0, 2), "RGB": (0, 1, 2), "BRG": (2, 0, 1)}


class SpiWs2812Ring(LedRing):
    """A WS2812 ring whose data line is the SPI MOSI pin."""

    colour = True

    def __init__(
        self,
        count: int,
        transport: SpiTransport,
        *,
        bits: int = 3,
        first_pixel_deg: float = 0.0,
        order: str = "GRB",
    ) -> None:
        self.angles = tuple((first_pixel_deg + 360.0 * i / count) % 360.0 for i in range(count))
        self.encoding = ENCODINGS[bits]
        self._table = self.encoding.byte_table()
        self._channels = _ORDERS[order]
        self._latch = bytes(math.ceil(LATCH_S * self.encoding.clock_hz / 8))
        size = len(self.frame_for([(0.0, 0.0, 0.0)] * count))
        if size > transport.max_transfer_bytes:
            transport.close()
            raise HardwareUnavailableError(
                f"LED ring: {count} pixels need {size}-byte SPI transfers, the spidev buffer holds "
                f"{transport.max_transfer_bytes}: add spidev.bufsiz=65536 to the kernel command line"
            )
        self._transport: SpiTransport | None = transport
        self._last: bytes | None = None

    def frame_for(self, pixels: Sequence[RGB]) -> bytes:
        """The SPI bytes of one frame: latch low, every pixel's 24 bits in the ring's order, latch low."""
        data = bytearray()
        for pixel in pixels:
            for channel in self._channels:
                data += self._table[round(_clamp01(pixel[channel]) * 255)]
        return self._latch + bytes(data) + self._latch

    def show(self, pixels: Sequence[RGB]) -> None:
        if self._transport is None:
            raise RuntimeError("LED ring is closed")
        frame = self.frame_for(pixels)
        if frame == self._last:
            return
        self._transport.write(frame)
        self._last = frame

    def close(self) -> None:
        if self._transport is not None:
            self.off()
            self._transport.close()
            self._transport = None


def build_spi_ring(config: LedSettings, transport: SpiTransport | None = None) -> SpiWs2812Ring:
    """The configured SPI ring; the real spidev device unless a transport is passed in (tests)."""
    encoding = ENCODINGS[config.ws2812_spi_bits]
    if transport is None:
        transport = SpidevTransport(config.ws2812_spi_bus, config.ws2812_spi_device, encoding.clock_hz)
    return SpiWs2812Ring(
        config.ws2812_count,
        transport,
        bits=config.ws2812_spi_bits,
        first_pixel_deg=config.ws2812_first_pixel_deg,
        order=config.ws2812_colour_order,
    )

