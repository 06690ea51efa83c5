"""The Raspberry Pi camera through picamera2, with both streams in one configuration.

Switching from a preview mode to a still mode costs 0.5-0.7 s before the first frame, which is
long enough for the subject to blink or move after passing the checks. So one still configuration
carries both streams, built once before the camera starts: `main` at full resolution for the photo
and `lores` for guidance; every request yields a guidance frame and, during a burst, a still.
picamera2 exists only on Raspberry Pi OS, so it is imported when the camera is opened, never at
import time, and requests are released with `with` so no buffer is held back from the camera.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from appliance.capture.camera.base import Exposure, ExposureLock, Frame
from appliance.capture.camera.imaging import yuv420_to_bgr
from appliance.capture.errors import HardwareUnavailableError

_NOT_INSTALLED = (
    "camera: picamera2 is not installed (Raspberry Pi OS: apt install python3-picamera2 and create "
    "the venv with --system-site-packages); on a PC use `appliance run --demo` or camera.kind = 'webcam'"
)


# A sensor timestamp older than this when its request is read is not on the clock we take it for.
_MAX_FRAME_AGE_S = 2.0


def exposure_end(exposure: Exposure, *, boottime_s: float, monotonic_s: float, readout_s: float = 0.0
                 ) -> float | None:
    """The end of a frame's exposure on the monotonic clock (time.monotonic), from libcamera's
    SensorTimestamp: the start of the first row's exposure, in nanoseconds of CLOCK_BOOTTIME.

    `boottime_s` and `monotonic_s` are both clocks read together now; the frame's age on the boot
    clock carries over to the monotonic one (the two differ only by time spent suspended). A
    rolling shutter starts each row later than the one above, over `readout_s` (at most a frame
    period): the end is the last row's, so that no part of the picture saw light after it and the
    light challenge's lag is never negative; the rows above ended earlier by a fixed share of the
    readout, the same in every frame, which that lag absorbs. None when the metadata lacks the
    stamp, or when the stamp is in the future or implausibly old (a driver on another clock): the
    arrival is used then.
    """
    if exposure.sensor_ns is None:
        return None
    end = exposure.sensor_ns * 1e-9 + (exposure.exposure_s or 0.0) + readout_s
    age = boottime_s - end
    if not 0.0 <= age <= _MAX_FRAME_AGE_S:
        return None
    return monotonic_s - age


def _clocks_now() -> tuple[float, float]:
    return time.clock_gettime(time.CLOCK_BOOTTIME), time.monotonic()


def import_picamera2() -> Any:
    try:
        return importlib.import_module("picamera2")
    except ImportError:
        raise HardwareUnavailableError(_NOT_INSTALLED) from None


def require_pi_camera(camera_num: int) -> None:
    """Fail with one clear line when picamera2 or the camera itself is missing."""
    module = import_picamera2()
    cameras = module.Picamera2.global_camera_info()
    if len(cameras) <= camera_num:
        raise HardwareUnavailableError(
            f"camera: no Raspberry Pi camera number {camera_num} is connected "
            f"({len(cameras)} found); check the ribbon cable, or use `appliance run --demo`"
        )


class Picamera2Source:
    def __init__(
        self,
        camera_num: int,
        main_size: tuple[int, int],
        lores_size: tuple[int, int],
        fps: float,
        buffer_count: int = 4,
        clocks: Callable[[], tuple[float, float]] = _clocks_now,
    ) -> None:
        self.name = f"picamera2:{camera_num}"
        self._camera_num = camera_num
        self._main_size = main_size
        self._lores_size = lores_size
        self._fps = fps
        self._buffer_count = buffer_count
        self._clocks = clocks  # (CLOCK_BOOTTIME, time.monotonic()) read together
        self._camera: Any = None
        self._config: Any = None
        self._exposure = Exposure()  # the newest frame's, which the exposure lock holds

    def open(self) -> None:
        module = import_picamera2()
        camera = module.Picamera2(self._camera_num)
        try:
            frame_us = int(1_000_000 / self._fps)
            # "RGB888" is laid out B, G, R in memory: OpenCV's order without a conversion.
            # YUV420 for lores because older Pi ISPs cannot produce RGB on the low-res output.
            self._config = camera.create_still_configuration(
                main={"size": tuple(self._main_size), "format": "RGB888"},
                lores={"size": tuple(self._lores_size), "format": "YUV420"},
                buffer_count=self._buffer_count,
                queue=False,
                display=None,
                controls={"FrameDurationLimits": (frame_us, frame_us)},
            )
            camera.configure(self._config)
            camera.start()
        except Exception:
            camera.close()
            raise
        self._camera = camera

    def read(self, want_full: bool) -> Frame:
        if self._camera is None:
            raise RuntimeError("camera is not open")
        with self._camera.captured_request() as request:
            lores = request.make_array("lores")
            full = request.make_array("main").copy() if want_full else None
            self._exposure = Exposure.from_libcamera(request.get_metadata())
            boottime, monotonic = self._clocks()
        width, height = self._lores_size
        exposed_at = exposure_end(self._exposure, boottime_s=boottime, monotonic_s=monotonic,
                                  readout_s=1.0 / self._fps)
        return Frame(yuv420_to_bgr(lores, width, height), full, exposure=self._exposure, source=self.name,
                     exposed_at=exposed_at)

    def lock_exposure(self) -> ExposureLock:
        """Fix exposure time, analogue gain and colour gains at the values of the newest frame.

        picamera2 applies controls a few frames later (the booth leaves `lead_s` for that); the
        values come from the frame metadata libcamera reports, so the lock keeps what AE/AWB chose.
        """
        camera, exposure = self._camera, self._exposure
        if camera is None:
            return ExposureLock(False, reason="camera is not open")
        if exposure.exposure_s is None or exposure.analogue_gain is None or exposure.colour_gains is None:
            return ExposureLock(False, reason="no exposure metadata from the camera yet")
        exposure_us, gain = round(exposure.exposure_s * 1e6), exposure.analogue_gain
        red, blue = exposure.colour_gains
        camera.set_controls({
            "AeEnable": False, "AwbEnable": False, "ExposureTime": exposure_us,
            "AnalogueGain": gain, "ColourGains": (red, blue),
        })
        return ExposureLock(True, exposure_us / 1e6, gain, (red, blue))

    def unlock_exposure(self) -> None:
        if self._camera is not None:
            self._camera.set_controls({"AeEnable": True, "AwbEnable": True})

    def close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is None:
            return
        try:
            camera.stop()
        finally:
            camera.close()
