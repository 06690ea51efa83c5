"""The one validated settings tree every object of the booth is built from.

Defaults come from ../shared/SPEC.md; a TOML file overrides any of them. Each subsystem owns its
section model (next to its code) and this module only assembles them, so a bad value is reported as
one line naming the dotted key and its allowed range, never as a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appliance.binding.config import CodesSettings
from appliance.capture.config import CaptureSettings
from appliance.errors import SettingsError
from appliance.inference.config import ChecksSettings, RuntimeSettings
from appliance.produce.config import ProduceSettings
from appliance.session.config import SessionSettings
from appliance.store.config import StoreSettings
from appliance.system.config import SystemSettings
from appliance.uplink.config import UplinkSettings
from appliance.web.config import WebSettings


class DeviceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str = Field("booth-dev", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    data_dir: Path = Path("data")


class Settings(BaseModel):
    """Root of the settings tree; sections are added here as subsystems appear."""

    model_config = ConfigDict(extra="forbid")

    device: DeviceSettings = DeviceSettings()
    runtime: RuntimeSettings = RuntimeSettings()
    checks: ChecksSettings = ChecksSettings()
    codes: CodesSettings = CodesSettings()
    store: StoreSettings = StoreSettings()
    uplink: UplinkSettings = UplinkSettings()
    capture: CaptureSettings = CaptureSettings()
    session: SessionSettings = SessionSettings()
    system: SystemSettings = SystemSettings()
    produce: ProduceSettings = ProduceSettings()
    web: WebSettings = WebSettings()


def _field_range(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """Walk the model along an error location and describe the field's allowed range."""
    current: Any = model
    info = None
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = info.annotation
    if info is None:
        return None
    bounds: dict[str, Any] = {}
    for meta in info.metadata:
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            value = getattr(meta, name, None)
            if value is not None:
                bounds[name] = value
    if not bounds:
        annotation = info.annotation
        choices = getattr(annotation, "__args__", None)
        if choices and getattr(annotation, "__origin__", None) is not None and all(
            isinstance(c, str) for c in choices
        ):
            return "one of " + ", ".join(map(repr, choices))
        return None
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le", bounds.get("lt"))
    if low is not None or high is not None:
        left = "[" if "ge" in bounds else "("
        right = "]" if "le" in bounds else ")"
        return f"allowed range {left}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{right}"
    if "pattern" in bounds:
        return f"must match {bounds['pattern']}"
    return f"length {bounds.get('min_length', 0)}..{bounds.get('max_length', 'any')}"


def format_validation_error(error: ValidationError, model: type[BaseModel] = Settings) -> str:
    """One line per problem: dotted key, what was given, what is allowed."""
    lines = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not isinstance(p, int))
        key = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            lines.append(f"settings: unknown key '{key}'")
            continue
        allowed = _field_range(model, loc)
        given = item.get("input")
        given_text = "" if isinstance(given, dict) else f" = {given!r}"
        suffix = f" ({allowed})" if allowed else ""
        lines.append(f"settings: {key}{given_text}: {item['msg']}{suffix}")
    return "; ".join(lines)


def settings_from_dict(data: dict[str, Any]) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(format_validation_error(exc)) from None


def load_settings(path: Path | str | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Read a TOML settings file (or none) and apply nested overrides on top."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"settings: file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"settings: {path} is not valid TOML: {exc}") from None
    if overrides:
        data = merge_dicts(data, overrides)
    return settings_from_dict(data)


def merge_dicts(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged
