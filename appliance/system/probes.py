"""Small read-only probes of the machine that `appliance doctor` judges.

Each probe either returns a one-line description of what it found or raises ProbeError with a
one-line reason, both in Chinese and English (system/doctor_text.py); none of them keeps hardware
open, so the doctor can run next to the live service. Everything that touches the system
(commands, /sys, /proc) is a parameter so tests can fake faults.
"""

from __future__ import annotations

import importlib
import re
import ssl
import subprocess
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from appliance.system.doctor_text import Phrase, say, verbatim

CommandRunner = Callable[[list[str]], "str | None"]


class ProbeError(Exception):
    """The probed thing is absent or broken; the message says which and why (English as str())."""

    def __init__(self, text: Phrase | str) -> None:
        self.text = text if isinstance(text, Phrase) else verbatim(text)
        super().__init__(self.text.en)


def run_command(argv: list[str], timeout_s: float = 5.0) -> str | None:
    """stdout of a command, or None when it is not installed, fails or hangs."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


# --- camera -----------------------------------------------------------------------------------


def probe_picamera2(camera_num: int = 0) -> Phrase:
    try:
        picamera2 = importlib.import_module("picamera2")
    except ImportError:
        raise ProbeError(say("camera.no_picamera2")) from None
    cameras = picamera2.Picamera2.global_camera_info()
    if not cameras:
        raise ProbeError(say("camera.none"))
    if camera_num >= len(cameras):
        raise ProbeError(say("camera.absent", num=camera_num, count=len(cameras)))
    model = cameras[camera_num].get("Model", "unknown model")
    return say("camera.ok", num=camera_num, model=model, count=len(cameras))


def probe_webcam(source: str) -> Phrase:
    cv2 = importlib.import_module("cv2")
    capture = cv2.VideoCapture(int(source))
    try:
        if not capture.isOpened():
            raise ProbeError(say("webcam.closed", source=source))
        ok, _frame = capture.read()
        if not ok:
            raise ProbeError(say("webcam.no_frame", source=source))
    finally:
        capture.release()
    return say("webcam.ok", source=source)


def probe_file_source(kind: str, source: str) -> Phrase:
    if not Path(source).exists():
        raise ProbeError(say("source.missing", kind=kind, source=source))
    return say("source.ok", kind=kind, source=source)


def probe_demo() -> Phrase:
    return say("camera.demo")


def camera_probe_for(kind: str, source: str = "", camera_num: int = 0) -> Callable[[], Phrase]:
    """The probe matching the configured camera kind (the capture section's `kind`)."""
    if kind == "picamera2":
        return lambda: probe_picamera2(camera_num)
    if kind == "webcam":
        return lambda: probe_webcam(source)
    if kind in ("video", "folder"):
        return lambda: probe_file_source(kind, source)
    if kind == "demo":
        return probe_demo
    raise ValueError(f"unknown camera kind {kind!r}")


# --- GPIO -------------------------------------------------------------------------------------


def probe_gpio_pin_factory() -> Phrase:
    """Which gpiozero pin factory loads here; the mock factory counts only when chosen explicitly."""
    devices = importlib.import_module("gpiozero.devices")
    exc_module = importlib.import_module("gpiozero.exc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            factory = devices.Device._default_pin_factory()
        except exc_module.BadPinFactory as exc:
            raise ProbeError(say("gpio.none", error=exc)) from None
    try:
        name = type(factory).__name__
    finally:
        factory.close()
    return say("gpio.ok", name=name)


# --- temperature and throttling --------------------------------------------------------------


def read_cpu_temperature(sys_root: Path = Path("/sys")) -> float | None:
    """Degrees C of the CPU zone (the Pi's 'cpu-thermal'), else the hottest zone; None if none."""
    readings: dict[str, float] = {}
    for zone in sorted((sys_root / "class" / "thermal").glob("thermal_zone*")):
        try:
            kind = (zone / "type").read_text().strip()
            readings[kind] = int((zone / "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
    if not readings:
        return None
    return readings.get("cpu-thermal", max(readings.values()))


# Bits of `vcgencmd get_throttled` (Raspberry Pi firmware documentation).
THROTTLE_NOW = {0: "under-voltage", 1: "frequency capped", 2: "throttled", 3: "soft temperature limit"}
THROTTLE_SINCE_BOOT = {bit + 16: text for bit, text in THROTTLE_NOW.items()}


@dataclass(frozen=True)
class Throttling:
    now: tuple[str, ...]
    since_boot: tuple[str, ...]


def parse_throttled(output: str) -> Throttling:
    match = re.search(r"throttled=(0x[0-9a-fA-F]+)", output)
    if not match:
        raise ProbeError(say("throttling.unexpected", output=repr(output.strip()[:60])))
    flags = int(match.group(1), 16)
    return Throttling(
        now=tuple(text for bit, text in THROTTLE_NOW.items() if flags >> bit & 1),
        since_boot=tuple(text for bit, text in THROTTLE_SINCE_BOOT.items() if flags >> bit & 1),
    )


# --- clock ------------------------------------------------------------------------------------


def clock_synchronised(run: CommandRunner) -> tuple[bool | None, Phrase]:
    """(synchronised, source): from timedatectl, else chrony; None when neither can tell."""
    output = run(["timedatectl", "show", "--property=NTPSynchronized", "--value"])
    if output is not None and output.strip() in ("yes", "no"):
        return output.strip() == "yes", verbatim("timedatectl")
    output = run(["chronyc", "-n", "tracking"])
    if output is not None:
        match = re.search(r"Leap status\s*:\s*(.+)", output)
        if match:
            return match.group(1).strip() == "Normal", verbatim("chrony")
    return None, say("clock.source_unknown")


# --- network ----------------------------------------------------------------------------------


def http_status(url: str, timeout_s: float, ca_file: Path | None = None) -> int:
    """HTTP status of a GET of url; any answer (even 404) proves the server is reachable."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "appliance-doctor"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProbeError(say("server.unreachable", url=url, reason=reason)) from None


def default_route_interface(proc_root: Path = Path("/proc")) -> str | None:
    """The interface of the IPv4 default route, read from /proc/net/route (no traffic sent)."""
    try:
        lines = (proc_root / "net" / "route").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 3 and fields[1] == "00000000" and int(fields[3], 16) & 0x1:
            return fields[0]
    return None
