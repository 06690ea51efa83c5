"""Settings the operator may change while the booth runs, validated before anything applies.

A change is merged into the settings in force and validated as a whole by the pydantic tree, so the
console enforces exactly the ranges the settings file does; only a valid tree reaches the parts
(appliers), and it is recorded atomically so the change is not lost on power loss.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from appliance.errors import SettingsError
from appliance.settings import Settings, merge_dicts
from appliance.store.durable_files import atomic_write

log = logging.getLogger(__name__)

CONSOLE_SETTINGS_FILE = "console-settings.json"


@dataclass(frozen=True)
class EditableField:
    key: str  # dotted path in the settings tree
    label_zh: str
    label_en: str
    kind: type = float


# What the console offers: thresholds that apply to the next frame, and the accepted school codes.
EDITABLE_FIELDS = (
    EditableField("checks.pose.max_yaw_deg", "最大左右转头角度 (°)", "max yaw (deg)"),
    EditableField("checks.pose.max_pitch_deg", "最大抬低头角度 (°)", "max pitch (deg)"),
    EditableField("checks.pose.max_roll_deg", "最大歪头角度 (°)", "max roll (deg)"),
    EditableField("checks.eyes.min_open_ratio", "最小睁眼比例", "min eye opening"),
    EditableField("checks.mouth.max_open_ratio", "最大张嘴比例", "max mouth opening"),
    EditableField("checks.lighting.min_face_luma", "面部最低亮度", "min face brightness"),
    EditableField("checks.lighting.max_face_luma", "面部最高亮度", "max face brightness"),
    EditableField("checks.sharpness.max_blur", "最大模糊度", "max blur"),
    EditableField("checks.sharpness.min_detail", "最小面部细节", "min fine detail"),
)
_BY_KEY = {f.key: f for f in EDITABLE_FIELDS}


def current_value(settings: Settings, key: str) -> Any:
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def nested(key: str, value: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    node = result
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return result


def parse_form(form: Mapping[str, str]) -> dict[str, Any]:
    """Form fields (dotted keys) to a nested change; unknown keys and non-numbers are refused."""
    change: dict[str, Any] = {}
    for key, raw in form.items():
        if key == "csrf_token":
            continue
        if key == "codes.school_feature_codes":
            codes = [c.strip() for c in raw.replace(",", " ").split() if c.strip()]
            change = merge_dicts(change, nested(key, codes))
            continue
        field = _BY_KEY.get(key)
        if field is None:
            raise SettingsError(f"“{key}” 不能在操作台修改 / '{key}' cannot be changed from the console")
        if raw.strip() == "":
            continue
        try:
            value = field.kind(raw.strip())
        except ValueError:
            zh, en = field.label_zh, field.label_en
            given = raw.strip()[:40]
            raise SettingsError(f"{zh} 须为数字（输入 {given}） / {en} must be a number (got {given})") from None
        change = merge_dicts(change, nested(key, value))
    return change


class ConsoleSettings:
    """The settings in force, and the one way to change them at run time."""

    def __init__(self, settings: Settings, record_dir: Path | None = None) -> None:
        self._settings = settings
        self._record = None if record_dir is None else Path(record_dir) / CONSOLE_SETTINGS_FILE
        self._changes: dict[str, Any] = {}
        self._appliers: list[Callable[[Settings], None]] = []
        self._lock = threading.Lock()

    @property
    def current(self) -> Settings:
        return self._settings

    def on_change(self, applier: Callable[[Settings], None]) -> None:
        self._appliers.append(applier)

    def validate(self, change: dict[str, Any]) -> Settings:
        """The whole tree with the change applied, or SettingsError naming the field (Chinese first,
        English beside it), what was given and what is allowed."""
        base = self._settings.model_dump(exclude={"codes": {"reference_keys"}})
        try:
            candidate = Settings.model_validate(merge_dicts(base, change))
        except ValidationError as exc:
            raise SettingsError(console_error_text(exc)) from None
        # Secrets are not round-tripped through a dump; carry them over unchanged.
        return candidate.model_copy(update={"codes": candidate.codes.model_copy(
            update={"reference_keys": self._settings.codes.reference_keys})})

    def apply(self, change: dict[str, Any]) -> Settings:
        with self._lock:
            updated = self.validate(change)
            for applier in self._appliers:
                applier(updated)
            self._settings = updated
            self._changes = merge_dicts(self._changes, change)
            if self._record is not None:
                self._record.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(self._record, json.dumps(self._changes, indent=1, sort_keys=True).encode())
            log.info("console changed settings: %s", ", ".join(sorted(_flat_keys(change))))
            return updated


_LABELS = {f.key: (f.label_zh, f.label_en) for f in EDITABLE_FIELDS} | {
    "codes.school_feature_codes": ("学校特征码", "school feature codes"),
    "checks.lighting": ("面部亮度", "face brightness"),
}


def _bounds(key: str) -> tuple[Any, Any]:
    """The field's (minimum, maximum) from the settings model, for the message."""
    model: Any = Settings
    info = None
    for part in key.split("."):
        info = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if info is None:
            return None, None
        model = info.annotation
    low = high = None
    for meta in info.metadata if info is not None else ():
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


def console_error_text(exc: ValidationError) -> str:
    """What was refused, in words an operator reads: the field's name, the allowed range, the reason."""
    lines = []
    for item in exc.errors():
        key = ".".join(str(p) for p in item["loc"] if not isinstance(p, int))
        zh, en = _LABELS.get(key, (key, key))
        given = item.get("input")
        kind = item["type"]
        if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
            low, high = _bounds(key)
            lines.append(f"{zh} 须在 {low:g} 到 {high:g} 之间（输入 {given}） / "
                         f"{en} must be between {low:g} and {high:g} (got {given})")
        elif kind == "value_error":
            reason = str(item.get("ctx", {}).get("error", item["msg"]))
            if " / " not in reason:
                reason = f"{zh}格式不正确 / {en}: {reason}"
            lines.append(reason)
        elif kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
            lines.append(f"{zh} 须为数字（输入 {given}） / {en} must be a number (got {given})")
        else:
            lines.append(f"{zh} 的值不被接受 / {en}: {item['msg']}")
    return "; ".join(lines)


def _flat_keys(change: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in change.items():
        if isinstance(value, dict):
            keys.extend(_flat_keys(value, f"{prefix}{key}."))
        else:
            keys.append(prefix + key)
    return keys
