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
from appliance.system.doctor_text import Phrase, enumerate_phrases, say, verbatim
from appliance.system.probes import ProbeError
from appliance.system.settings_recovery import LoadedSettings
from appliance.system.store_recovery import find_preserved


@dataclass(frozen=True)
class CheckResult:
    """`detail` is the English sentence scripts have always read; `detail_zh` the same in Chinese."""

    name: str
    ok: bool
    detail: str
    detail_zh: str = ""

    @classmethod
    def of(cls, name: str, ok: bool, text: Phrase) -> CheckResult:
        return cls(name, ok, text.en, text.zh)

    def bilingual_detail(self) -> str:
        return Phrase(self.detail_zh, self.detail).bilingual()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DoctorInputs:
    """What the checks look at; everything touching the machine can be replaced by a fake."""

    settings: Settings
    settings_source: str
    settings_problem: str | None
    camera_probe: Callable[[], Phrase | str]
    database_path: Path | None = None
    server_url: str = ""
    server_ca_file: Path | None = None
    gpio_probe: Callable[[], Phrase | str] = probes.probe_gpio_pin_factory
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
        text = say("settings.invalid", problem=inputs.settings_problem, source=inputs.settings_source)
        return CheckResult.of("settings", False, text)
    return CheckResult.of("settings", True, say("settings.valid", source=inputs.settings_source))


def check_models(inputs: DoctorInputs) -> CheckResult:
    models_dir = resolve_path(inputs.settings.runtime.models_dir)
    try:
        manifest = load_manifest(models_dir)
        for entry in manifest.models:
            verify_model(models_dir, entry)
    except ApplianceError as exc:
        return CheckResult.of("models", False, say("models.bad", error=exc))
    return CheckResult.of("models", True, say("models.ok", count=len(manifest.models), folder=models_dir))


def _probe_result(name: str, probe: Callable[[], Phrase | str]) -> CheckResult:
    try:
        found = probe()
    except ProbeError as exc:
        return CheckResult.of(name, False, exc.text)
    return CheckResult.of(name, True, found if isinstance(found, Phrase) else verbatim(found))


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
    summary = say("disk.summary", folder=data_dir, free=usage.free / 1e9, total=usage.total / 1e9)
    if not os.access(where, os.W_OK):
        return CheckResult.of("disk", False, say("disk.read_only", summary=summary, where=where))
    minimum = inputs.settings.system.min_free_disk_mb
    if free_mb < minimum:
        return CheckResult.of("disk", False, say("disk.low", summary=summary, minimum=minimum))
    return CheckResult.of("disk", True, summary)


def check_clock(inputs: DoctorInputs) -> CheckResult:
    now = inputs.now()
    stamp = now.strftime("%Y-%m-%d %H:%M")
    synced, source = probes.clock_synchronised(inputs.run)
    if synced is True:
        return CheckResult.of("clock", True, say("clock.synced", source=source, stamp=stamp))
    if synced is False:
        return CheckResult.of("clock", False, say("clock.unsynced", source=source, stamp=stamp))
    sane = now.year >= inputs.settings.system.clock_min_year
    return CheckResult.of("clock", sane, say("clock.sane" if sane else "clock.never_set", source=source, stamp=stamp))


def check_network(inputs: DoctorInputs) -> CheckResult:
    interface = probes.default_route_interface(inputs.proc_root)
    if interface is None:
        return CheckResult.of("network", False, say("network.none"))
    return CheckResult.of("network", True, say("network.ok", interface=interface))


def check_server(inputs: DoctorInputs) -> CheckResult:
    url = inputs.server_url
    if not url:
        return CheckResult.of("server", True, say("server.unset"))
    try:
        status = inputs.http_status(url, inputs.settings.system.network_timeout_s, inputs.server_ca_file)
    except ProbeError as exc:
        return CheckResult.of("server", False, exc.text)
    if status >= 500:
        return CheckResult.of("server", False, say("server.error", url=url, status=status))
    return CheckResult.of("server", True, say("server.ok", url=url, status=status))


def check_temperature(inputs: DoctorInputs) -> CheckResult:
    celsius = probes.read_cpu_temperature(inputs.sys_root)
    if celsius is None:
        return CheckResult.of("temperature", True, say("temperature.unknown"))
    limit = inputs.settings.system.max_cpu_temp_c
    if celsius > limit:
        return CheckResult.of("temperature", False, say("temperature.hot", celsius=celsius, limit=limit))
    return CheckResult.of("temperature", True, say("temperature.ok", celsius=celsius))


def check_throttling(inputs: DoctorInputs) -> CheckResult:
    output = inputs.run(["vcgencmd", "get_throttled"])
    if output is None:
        return CheckResult.of("throttling", True, say("throttling.unknown"))
    try:
        state = probes.parse_throttled(output)
    except ProbeError as exc:
        return CheckResult.of("throttling", False, exc.text)
    if state.now:
        return CheckResult.of("throttling", False, say("throttling.now", flags=_throttle_flags(state.now)))
    if state.since_boot:
        return CheckResult.of("throttling", True, say("throttling.since_boot", flags=_throttle_flags(state.since_boot)))
    return CheckResult.of("throttling", True, say("throttling.never"))


def _throttle_flags(flags: Iterable[str]) -> Phrase:
    return enumerate_phrases(say(f"throttle.{flag}") for flag in flags)


def check_database(inputs: DoctorInputs) -> CheckResult:
    if inputs.database_path is None:
        return CheckResult.of("database", True, say("database.unset"))
    report = check_integrity(inputs.database_path)
    integrity = say("database.ok" if report.ok else "database.bad", detail=report.detail)
    # Photos rescued from an earlier damaged database are not uploaded by anyone: a person must act.
    preserved = find_preserved(inputs.database_path.parent)
    if preserved:
        kept = [say("database.kept", files=p.files, folder=p.folder, reason=p.reason) for p in preserved]
        kept_text = enumerate_phrases(kept, zh_sep="；", en_sep="; ")
        return CheckResult.of("database", False, say("database.preserved", report=integrity, kept=kept_text))
    return CheckResult.of("database", report.ok, integrity)


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
            result = CheckResult.of(name, False, say("check.crashed", error=f"{type(exc).__name__}: {exc}"))
        results.append(result)
    return results


def format_line(result: CheckResult) -> str:
    mark = "正常 ok  " if result.ok else "故障 FAIL"
    return f"{mark}  {CHECK_TITLES.get(result.name, result.name)}: {result.bilingual_detail()}"


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
