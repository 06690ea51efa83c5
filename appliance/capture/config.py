"""Settings of the camera, the button and the LED ring (the `capture` section).

The defaults describe the booth as built: a Raspberry Pi camera (Camera Module 3 binned mode, whose
2304x1296 full frame still leaves a ~500 px wide face for a 480x640 photo), a button on GPIO17 and a
two-segment white PWM ring (left, right) so lighting balance can be corrected. A PC uses
`appliance run --demo`, which selects the demo camera, a simulated button and a virtual ring.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


Size = tuple[int, int]


class CameraSettings(_Section):
    # picamera2: the Pi camera; webcam: OpenCV device index in `source`; video: a file, looped;
    # folder: a folder of images, looped; demo: the animated astronaut portrait, no camera needed.
    kind: Literal["picamera2", "webcam", "video", "folder", "demo"] = "picamera2"
    source: str = ""
    camera_num: int = Field(0, ge=0, le=7)
    # (width, height) of the full-resolution stream used for stills.
    main_size: Size = (2304, 1296)
    # (width, height) of the guidance stream; development sources fit their frames inside this box.
    lores_size: Size = (640, 360)
    fps: float = Field(15.0, ge=1.0, le=60.0)
    # A camera mounted sideways for a portrait frame is turned upright in software.
    rotation: Literal[0, 90, 180, 270] = 0
    buffer_count: int = Field(4, ge=2, le=8)
    # No frame for this long counts as a failure and the camera is reopened.
    stall_timeout_s: float = Field(3.0, ge=0.5, le=60.0)
    reopen_backoff_s: float = Field(0.5, ge=0.05, le=10.0)
    reopen_backoff_max_s: float = Field(5.0, ge=0.1, le=120.0)
    burst_timeout_s: float = Field(5.0, ge=0.5, le=60.0)
    # Full frames of the demo source are the astronaut crop (384x512) scaled by this; 2.5 gives a
    # face ~250 px wide, above the engine's minimum source face width.
    demo_scale: float = Field(2.5, ge=0.5, le=4.0)

    @model_validator(mode="after")
    def _check_sizes(self) -> CameraSettings:
        for name in ("main_size", "lores_size"):
            width, height = getattr(self, name)
            if not (16 <= width <= 8192 and 16 <= height <= 8192) or width % 2 or height % 2:
                raise ValueError(f"{name} {width}x{height}: both sides even and within 16..8192")
        (mw, mh), (lw, lh) = self.main_size, self.lores_size
        if lw > mw or lh > mh:
            raise ValueError("lores_size must not be larger than main_size")
        # The ISP scales lores from the same field of view: another aspect ratio would squash
        # faces and corrupt every geometric check.
        if abs(mw / mh - lw / lh) > 0.02 * (mw / mh):
            raise ValueError(f"lores_size {lw}x{lh} must have the aspect ratio of main_size {mw}x{mh}")
        if self.kind in ("webcam", "video", "folder") and not self.source:
            raise ValueError(f"camera kind {self.kind!r} needs `source` (device index or path)")
        if self.kind == "webcam" and not self.source.isdigit():
            raise ValueError("camera kind 'webcam' needs a device index in `source`, e.g. '0'")
        return self


class ButtonSettings(_Section):
    kind: Literal["gpio", "simulated"] = "gpio"
    # gpiozero pin name: 17, "GPIO17" or "BOARD11".
    pin: int | str = 17
    pull_up: bool = True
    # The level must stay unchanged this long before a change counts (contact bounce is ~1-20 ms).
    bounce_time_s: float = Field(0.05, ge=0.005, le=0.5)
    # Held at least this long = cancel/back instead of capture/confirm.
    hold_time_s: float = Field(1.5, ge=0.3, le=5.0)


def _default_pwm_pins() -> list[int | str]:
    return [12, 13]


class LedSettings(_Section):
    # ws2812: rpi_ws281x (PWM/DMA, root, Pi 4 and older); ws2812_spi: the SPI MOSI pin (GPIO10),
    # any Pi including the Pi 5, as the unprivileged service user (capture/leds_spi.py).
    kind: Literal["pwm", "ws2812", "ws2812_spi", "virtual"] = "pwm"
    # PWM: one pin per segment, image left to right; two pins = left and right halves of the ring.
    pwm_pins: list[int | str] = Field(default_factory=_default_pwm_pins, min_length=1, max_length=4)
    pwm_frequency_hz: int = Field(800, ge=100, le=20000)
    ws2812_pin: int = Field(18, ge=0, le=27)
    ws2812_count: int = Field(24, ge=1, le=300)
    # Angle of pixel 0 clockwise from the top of the ring, seen from behind the camera (as the image).
    ws2812_first_pixel_deg: float = Field(0.0, ge=0.0, lt=360.0)
    # ws2812_spi: /dev/spidev<bus>.<device> (the unit allows spidev0.0 and 0.1); SPI bits per data
    # bit: 3 at 2.4 MHz or 4 at 3.2 MHz (for rings that misread 3); the pixels' colour order.
    ws2812_spi_bus: int = Field(0, ge=0, le=6)
    ws2812_spi_device: int = Field(0, ge=0, le=3)
    ws2812_spi_bits: Literal[3, 4] = 3
    ws2812_colour_order: Literal["GRB", "RGB", "BRG"] = "GRB"
    virtual_count: int = Field(2, ge=1, le=300)
    refresh_hz: float = Field(30.0, ge=2.0, le=120.0)
    # Bounds on the ring level (0..1): below min the face is underlit, above max it dazzles.
    min_level: float = Field(0.1, ge=0.0, le=1.0)
    max_level: float = Field(0.9, ge=0.05, le=1.0)
    start_level: float = Field(0.5, ge=0.0, le=1.0)
    idle_level: float = Field(0.25, ge=0.0, le=1.0)
    # Closed loop: target mean luma (0..255) of the face, the band around it left alone, and the
    # fastest the ring may change (level units per second) so the subject is not startled.
    target_face_luma: float = Field(135.0, ge=40.0, le=220.0)
    luma_deadband: float = Field(8.0, ge=0.0, le=60.0)
    balance_deadband: float = Field(0.04, ge=0.0, le=0.5)
    max_change_per_s: float = Field(0.4, ge=0.01, le=5.0)
    # Largest left/right difference the loop may introduce (fraction of the level).
    max_balance_offset: float = Field(0.5, ge=0.0, le=1.0)
    # Flash = guidance level x this gain: 1.0 keeps the exposure the guidance just approved.
    flash_gain: float = Field(1.0, ge=1.0, le=3.0)

    @model_validator(mode="after")
    def _check_levels(self) -> LedSettings:
        if self.min_level > self.max_level:
            raise ValueError("min_level must not exceed max_level")
        return self


class CaptureSettings(_Section):
    camera: CameraSettings = CameraSettings()
    button: ButtonSettings = ButtonSettings()
    leds: LedSettings = LedSettings()


SectionT = TypeVar("SectionT", CameraSettings, ButtonSettings, LedSettings)
_SECTION_NAMES = {CameraSettings: "camera", ButtonSettings: "button", LedSettings: "leds"}


def capture_section(settings: Any, model: type[SectionT]) -> SectionT:
    """The factories accept the root settings tree, its `capture` section or the section itself,
    so the composition root and the tests can each pass what they have."""
    if isinstance(settings, model):
        return settings
    capture = settings if isinstance(settings, CaptureSettings) else settings.capture
    return getattr(capture, _SECTION_NAMES[model])
