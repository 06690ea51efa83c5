"""The SPI-driven WS2812 ring: the bytes it writes, read back the way a WS2812 reads its data line
(by the length of each high pulse), give the colours shown, with timings inside the WS2812B's."""

from __future__ import annotations

import sys
import types

import pytest

from appliance.capture.config import LedSettings
from appliance.capture.errors import HardwareUnavailableError
from appliance.capture.leds import build_ring
from appliance.capture.leds_spi import ENCODINGS, RecordingSpiTransport, SpidevTransport, SpiWs2812Ring, build_spi_ring
from appliance.settings import Settings

# WS2812B datasheet: T0H 0.4 us, T1H 0.8 us (each +-150 ns), period 1.25 us (+-600 ns), reset >= 280 us.
T0H = (0.25e-6, 0.55e-6)
T1H = (0.65e-6, 0.95e-6)


def line_levels(frame: bytes) -> list[int]:
    return [byte >> (7 - i) & 1 for byte in frame for i in range(8)]


def decode_like_a_ws2812(frame: bytes, clock_hz: int) -> tuple[list[tuple[int, int, int]], float, float]:
    """(colours in wire order as (first, second, third) bytes, leading low time, trailing low time).

    Walks the line level: each rising edge starts a bit; the high time decides 0 or 1 (threshold
    0.6 us) and must fall in the datasheet's bands; the period to the next rising edge is checked too.
    """
    levels = line_levels(frame)
    spi_bit = 1.0 / clock_hz
    rises = [i for i in range(len(levels)) if levels[i] and (i == 0 or not levels[i - 1])]
    assert rises, "no pulses at all"
    bits = []
    for n, start in enumerate(rises):
        high = start
        while high < len(levels) and levels[high]:
            high += 1
        t_high = (high - start) * spi_bit
        if n + 1 < len(rises):
            period = (rises[n + 1] - start) * spi_bit
            assert 0.65e-6 <= period <= 1.85e-6, f"bit {n}: period {period * 1e6:.2f} us"
        if T1H[0] <= t_high <= T1H[1]:
            bits.append(1)
        else:
            assert T0H[0] <= t_high <= T0H[1], f"bit {n}: high {t_high * 1e6:.2f} us is neither 0 nor 1"
            bits.append(0)
    assert len(bits) % 24 == 0, f"{len(bits)} bits is not whole pixels"
    data = [int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8)]
    pixels = [tuple(data[i:i + 3]) for i in range(0, len(data), 3)]
    last_high = max(i for i, level in enumerate(levels) if level)
    return pixels, rises[0] * spi_bit, (len(levels) - 1 - last_high) * spi_bit


@pytest.mark.parametrize("bits", [3, 4])
def test_frames_decode_to_the_colours_shown_in_grb_order(bits: int) -> None:
    transport = RecordingSpiTransport(ENCODINGS[bits].clock_hz)
    ring = SpiWs2812Ring(4, transport, bits=bits)
    ring.show([(1.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.2), (0.1, 0.9, 1.0)])
    frame, = transport.frames
    pixels, lead, trail = decode_like_a_ws2812(frame, ENCODINGS[bits].clock_hz)
    assert pixels == [(0, 255, 0), (128, 0, 0), (0, 0, 51), (230, 26, 255)]  # (G, R, B) on the wire
    assert lead >= 280e-6 and trail >= 280e-6, "latch low before and after the frame"


def test_colour_order_clamping_and_unchanged_frames() -> None:
    transport = RecordingSpiTransport(ENCODINGS[3].clock_hz)
    ring = SpiWs2812Ring(2, transport, order="RGB")
    ring.show([(2.0, -1.0, 0.5), (0.0, 0.0, 0.0)])
    ring.show([(2.0, -1.0, 0.5), (0.0, 0.0, 0.0)])  # the same: nothing sent
    assert len(transport.frames) == 1
    pixels, _, _ = decode_like_a_ws2812(transport.frames[0], ENCODINGS[3].clock_hz)
    assert pixels == [(255, 0, 128), (0, 0, 0)]
    ring.close()
    assert decode_like_a_ws2812(transport.frames[-1], ENCODINGS[3].clock_hz)[0] == [(0, 0, 0)] * 2
    assert transport.closed


def test_a_frame_larger_than_one_spidev_transfer_is_refused_at_start() -> None:
    """Split transfers leave gaps that latch early: the ring must fit one transfer."""
    transport = RecordingSpiTransport(ENCODINGS[4].clock_hz, max_transfer_bytes=1024)
    with pytest.raises(HardwareUnavailableError, match=r"spidev\.bufsiz"):
        SpiWs2812Ring(100, transport, bits=4)
    assert transport.closed
    SpiWs2812Ring(300, RecordingSpiTransport(ENCODINGS[4].clock_hz))  # the largest ring fits 4096 bytes


def test_settings_choose_the_spi_ring_and_its_device(monkeypatch) -> None:
    opened = {}

    class FakeSpiDev:
        def open(self, bus, device):
            opened["node"] = (bus, device)
            opened["device"] = self

        def writebytes2(self, data):
            opened.setdefault("writes", []).append(bytes(data))

        def close(self):
            opened["closed"] = True

    monkeypatch.setitem(sys.modules, "spidev", types.SimpleNamespace(SpiDev=FakeSpiDev))
    settings = Settings.model_validate({"capture": {"leds": {
        "kind": "ws2812_spi", "ws2812_count": 12, "ws2812_spi_device": 1, "ws2812_spi_bits": 4}}})
    ring = build_ring(settings)
    assert isinstance(ring, SpiWs2812Ring) and ring.pixel_count == 12 and ring.colour
    assert opened["node"] == (0, 1)
    assert (opened["device"].max_speed_hz, opened["device"].mode) == (3_200_000, 0)
    ring.show([(1.0, 1.0, 1.0)] * 12)
    ring.close()
    assert decode_like_a_ws2812(opened["writes"][0], 3_200_000)[0] == [(255, 255, 255)] * 12
    assert opened["closed"]


def test_no_spidev_library_is_an_error_not_a_fake_ring(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "spidev", None)  # import fails as on a Pi without python3-spidev
    with pytest.raises(HardwareUnavailableError, match="python3-spidev"):
        build_spi_ring(LedSettings(kind="ws2812_spi"))


def test_a_missing_spi_device_says_how_to_enable_it(monkeypatch) -> None:
    class Absent:
        def open(self, bus, device):
            raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setitem(sys.modules, "spidev", types.SimpleNamespace(SpiDev=Absent))
    with pytest.raises(HardwareUnavailableError, match="do_spi"):
        SpidevTransport(0, 0, 2_400_000)
