"""Self-checks of the booth: `appliance doctor` and the operator console's health page.

Each check is a small function of one DoctorInputs returning a CheckResult, so the console can run
any of them on its own and a test can fake any fault. A check never raises: an unexpected error
is itself a failed result, because a doctor that crashes on the first broken part hides the rest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.inference.manifest import load_manifest, verify_model
from appliance.paths import resolve_path
from appliance.settings import Settings
from appliance.store.photo_store import DB_NAME
from appliance.system import probes
from appliance.system.database_recovery import check_integrity
from appliance.system.probes import ProbeError
from appliance.system.settings_recovery import LoadedSettings
from appliance.system.store_recovery import find_preserved


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DoctorInputs:
    """What the checks look at; everything touching the machine can be replaced by a fake."""

    settings: Settings
    settings_source: str
    settings_problem: str | None
    camera_probe: Callable[[], str]
    database_path: Path | None = None
    server_url: str = ""
    server_ca_file: Path | None = None
    gpio_probe: Callable[[], str] = probes.probe_gpio_pin_factory
    run: probes.CommandRunner = probes.run_command
    http_status: Callable[[str, float, Path | None], int] = probes.http_status
    disk_usage: Callable[[Path], Any] = shutil.disk_usage
    sys_root: Path = Path("/sys")
    proc_root: Path = Path("/proc")
    now: Callable[[], datetime] = field(default=datetime.now)


# Chinese first for the operator console and the text output; `name` stays the stable key.
CHECK_TITLES = {
    "settings": "设置 settings",
    "models": "模型 models",
    "camera": "相机 camera",
    "gpio": "按键与灯 GPIO",
    "disk": "存储空间 disk",
    "clock": "时钟 clock",
    "network": "网络 network",
    "server": "采集服务器 server",
    "temperature": "温度 temperature",
    "throttling": "降频 throttling",
    "database": "数据库 database",
}


def check_settings(inputs: DoctorInputs) -> CheckResult:
    if inputs.settings_problem:
        return CheckResult("settings", False, f"{inputs.settings_problem}; in use: {inputs.settings_source}")
    return CheckResult("settings", True, f"valid: {inputs.settings_source}")


def check_models(inputs: DoctorInputs) -> CheckResult:
    models_dir = resolve_path(inputs.settings.runtime.models_dir)
    try:
        manifest = load_manifest(models_dir)
        for entry in manifest.models:
            verify_model(models_dir, entry)
    except ApplianceError as exc:
        return CheckResult("models", False, str(exc))
    return CheckResult("models", True, f"{len(manifest.models)} models in {models_dir}, sha256 match")


def _probe_result(name: str, probe: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, probe())
    except ProbeError as exc:
        return CheckResult(name, False, str(exc))


def check_camera(inputs: DoctorInputs) -> CheckResult:
    return _probe_result("camera", inputs.camera_probe)


def check_gpio(inputs: DoctorInputs) -> CheckResult:
    return _probe_result("gpio", inputs.gpio_probe)


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(inputs: DoctorInputs) -> CheckResult:
    data_dir = resolve_path(inputs.settings.device.data_dir)
    where = _existing_ancestor(data_dir)
    usage = inputs.disk_usage(where)
    free_mb = usage.free / 1e6
    summary = f"data folder {data_dir}: {usage.free / 1e9:.1f} GB free of {usage.total / 1e9:.1f} GB"
    if not os.access(where, os.W_OK):
        return CheckResult("disk", False, f"{summary}; {where} is not writable")
    minimum = inputs.settings.system.min_free_disk_mb
    if free_mb < minimum:
        return CheckResult("disk", False, f"{summary}; below the {minimum} MB minimum")
    return CheckResult("disk", True, summary)


def check_clock(inputs: DoctorInputs) -> CheckResult:
    now = inputs.now()
    stamp = now.strftime("%Y-%m-%d %H:%M")
    synced, source = probes.clock_synchronised(inputs.run)
    if synced is True:
        return CheckResult("clock", True, f"synchronised ({source}), {stamp}")
    if synced is False:
        return CheckResult("clock", False, f"not synchronised ({source}); clock reads {stamp}")
    sane = now.year >= inputs.settings.system.clock_min_year
    verdict = "looks sane" if sane else "was never set (no network time, no RTC battery?)"
    return CheckResult("clock", sane, f"sync unknown ({source}); clock reads {stamp}, {verdict}")


def check_network(inputs: DoctorInputs) -> CheckResult:
    interface = probes.default_route_interface(inputs.proc_root)
    if interface is None:
        return CheckResult("network", False, "no default route: not connected to a network")
    return CheckResult("network", True, f"default route via {interface}")


def check_server(inputs: DoctorInputs) -> CheckResult:
    url = inputs.server_url
    if not url:
        return CheckResult("server", True, "no collection server configured (uploads not started)")
    try:
        status = inputs.http_status(url, inputs.settings.system.network_timeout_s, inputs.server_ca_file)
    except ProbeError as exc:
        return CheckResult("server", False, str(exc))
    if status >= 500:
        return CheckResult("server", False, f"{url} answered HTTP {status} (server error)")
    return CheckResult("server", True, f"{url} reachable (HTTP {status})")


def check_temperature(inputs: DoctorInputs) -> CheckResult:
    celsius = probes.read_cpu_temperature(inputs.sys_root)
    if celsius is None:
        return CheckResult("temperature", True, "no CPU temperature sensor found; unknown")
    limit = inputs.settings.system.max_cpu_temp_c
    if celsius > limit:
        detail = f"CPU at {celsius:.1f} C, above {limit:.0f} C: improve cooling"
        return CheckResult("temperature", False, detail)
    return CheckResult("temperature", True, f"CPU at {celsius:.1f} C")


def check_throttling(inputs: DoctorInputs) -> CheckResult:
    output = inputs.run(["vcgencmd", "get_throttled"])
    if output is None:
        return CheckResult("throttling", True, "vcgencmd not available; unknown")
    try:
        state = probes.parse_throttled(output)
    except ProbeError as exc:
        return CheckResult("throttling", False, str(exc))
    if state.now:
        detail = "now: " + ", ".join(state.now) + " (check power supply and cooling)"
        return CheckResult("throttling", False, detail)
    if state.since_boot:
        return CheckResult("throttling", True, "not now; since boot: " + ", ".join(state.since_boot))
    return CheckResult("throttling", True, "never throttled since boot")


def check_database(inputs: DoctorInputs) -> CheckResult:
    if inputs.database_path is None:
        return CheckResult("database", True, "no store configured")
    report = check_integrity(inputs.database_path)
    # Photos rescued from an earlier damaged database are not uploaded by anyone: a person must act.
    preserved = find_preserved(inputs.database_path.parent)
    if preserved:
        kept = "; ".join(p.summary for p in preserved)
        return CheckResult("database", False, f"{report.detail}; not uploaded: {kept}")
    return CheckResult("database", report.ok, report.detail)


CHECKS: tuple[Callable[[DoctorInputs], CheckResult], ...] = (
    check_settings,
    check_models,
    check_camera,
    check_gpio,
    check_disk,
    check_clock,
    check_network,
    check_server,
    check_temperature,
    check_throttling,
    check_database,
)


def run_checks(
    inputs: DoctorInputs, checks: Iterable[Callable[[DoctorInputs], CheckResult]] = CHECKS
) -> list[CheckResult]:
    results = []
    for check in checks:
        name = check.__name__.removeprefix("check_")
        try:
            result = check(inputs)
        except Exception as exc:  # a broken check is a failed check, never a crashed doctor
            result = CheckResult(name, False, f"check failed unexpectedly: {type(exc).__name__}: {exc}")
        results.append(result)
    return results


def format_line(result: CheckResult) -> str:
    mark = "正常 ok  " if result.ok else "故障 FAIL"
    return f"{mark}  {CHECK_TITLES.get(result.name, result.name)}: {result.detail}"


def inputs_from_settings(loaded: LoadedSettings, demo: bool = False, **overrides: Any) -> DoctorInputs:
    """Build the inputs from the settings in force; `overrides` replaces any field (tests, console)."""
    settings = loaded.settings
    camera = settings.capture.camera
    kind = "demo" if demo else camera.kind
    values: dict[str, Any] = {
        "settings": settings,
        "settings_source": str(loaded.source),
        "settings_problem": loaded.problem,
        "camera_probe": probes.camera_probe_for(kind, camera.source, camera.camera_num),
        "database_path": resolve_path(settings.store.dir) / DB_NAME,
        "server_url": settings.uplink.server_url,
        "server_ca_file": settings.uplink.ca_file,
    }
    values.update(overrides)
    return DoctorInputs(**values)
