"""Inputs for the doctor's checks without the machine's own: settings on a temporary folder, the
demo camera, a mock pin factory, command answers and /sys thermal zones written by the test."""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from appliance.doctor import DoctorInputs
from appliance.settings import settings_from_dict
from appliance.system.probes import camera_probe_for

# the checkout's provisioned models (scripts/provision/fetch_models.py)
MODELS = Path(__file__).resolve().parents[2] / "models"

Usage = namedtuple("Usage", "total used free")  # what shutil.disk_usage answers


def no_commands(argv: list[str]) -> str | None:
    return None


def make_inputs(tmp_path: Path, settings: dict[str, dict[str, Any]] | None = None, **overrides: Any) -> DoctorInputs:
    """The doctor's inputs on `tmp_path`, `settings` merged section by section into the base, any
    field of DoctorInputs replaced by `overrides`."""
    base: dict[str, dict[str, Any]] = {
        "device": {"data_dir": str(tmp_path / "data")},
        "runtime": {"models_dir": str(MODELS)},
    }
    for key, value in (settings or {}).items():
        base[key] = {**base.get(key, {}), **value}
    inputs = DoctorInputs(
        settings=settings_from_dict(base),
        settings_source="test.toml",
        settings_problem=None,
        camera_probe=camera_probe_for("demo"),
        gpio_probe=lambda: "gpiozero pin factory MockFactory",
        run=no_commands,
        sys_root=tmp_path / "sys",
        proc_root=tmp_path / "proc",
        now=lambda: datetime(2026, 6, 1, 9, 30),
    )
    return dataclasses.replace(inputs, **overrides)


def runner(answers: dict[str, str | None]) -> Callable[[list[str]], str | None]:
    return lambda argv: answers.get(argv[0])


def thermal_zone(tmp_path: Path, index: int, kind: str, millidegrees: int) -> None:
    zone = tmp_path / "sys" / "class" / "thermal" / f"thermal_zone{index}"
    zone.mkdir(parents=True)
    (zone / "type").write_text(kind + "\n")
    (zone / "temp").write_text(f"{millidegrees}\n")
