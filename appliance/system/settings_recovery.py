"""Start from the last settings file that validated when the current one does not.

An operator's edit with a typo (or a file truncated by a power cut) must not leave the booth dead
for the day. Every successful load refreshes a last-good copy on the writable data partition; a
failed load falls back to that copy and logs one warning naming the problem, so the booth keeps
working and `appliance doctor` still reports the broken file. A file that cannot be read at all
(wrong owner, a folder in its place, an I/O error) counts as broken, and a last-good copy that
cannot be read or refreshed is skipped with a warning: neither may end the start in a traceback,
which under systemd is a crash loop.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from appliance.errors import SettingsError
from appliance.settings import Settings, load_settings
from appliance.store.durable_files import atomic_write

log = logging.getLogger(__name__)

LAST_GOOD_NAME = "settings.last-good.toml"


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    source: Path
    # The validation problem of the current file when the last-good copy was used instead.
    problem: str | None = None

    @property
    def recovered(self) -> bool:
        return self.problem is not None


def default_last_good_path(settings_path: Path, environ: Mapping[str, str] | None = None) -> Path:
    """systemd's $STATE_DIRECTORY (writable even on a read-only root), else beside the file."""
    env = os.environ if environ is None else environ
    state = (env.get("STATE_DIRECTORY") or "").split(":")[0]
    if state:
        return Path(state) / LAST_GOOD_NAME
    return Path(settings_path).with_name(LAST_GOOD_NAME)


def _configured_last_good(settings_path: Path) -> Path | None:
    """system.settings_last_good_path read from the raw file, so it is honoured even when some
    other key fails validation; None when the file cannot even be parsed."""
    try:
        data = tomllib.loads(settings_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("system")
    value = section.get("settings_last_good_path") if isinstance(section, dict) else None
    return Path(value) if isinstance(value, str) and value else None


def resolve_last_good_path(settings_path: Path, explicit: Path | None = None) -> Path:
    """The caller's choice, else the file's own setting, else default_last_good_path."""
    return explicit or _configured_last_good(settings_path) or default_last_good_path(settings_path)


def _remember_last_good(source: Path, last_good: Path) -> None:
    try:
        data = source.read_bytes()
        try:
            if last_good.read_bytes() == data:
                return
        except FileNotFoundError:
            pass
        last_good.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(last_good, data)
    except OSError as exc:
        log.warning("settings: could not keep a last-good copy at %s: %s", last_good, exc)


def _load(path: Path) -> Settings:
    """load_settings, with a file that exists but cannot be read as a SettingsError too."""
    try:
        return load_settings(path)
    except OSError as exc:
        raise SettingsError(f"settings: {path} cannot be read: {exc.strerror or exc}") from None


def load_settings_with_recovery(
    settings_path: Path, last_good_path: Path | None = None, remember: bool = True
) -> LoadedSettings:
    """Load and validate settings_path; on failure use the last-good copy, else raise.

    remember=False only inspects (the doctor): it never writes the last-good copy.
    """
    settings_path = Path(settings_path)
    try:
        settings = _load(settings_path)
    except SettingsError as exc:
        problem = str(exc)
        fallback = resolve_last_good_path(settings_path, last_good_path)
        if not os.path.lexists(fallback):
            raise SettingsError(f"{problem}; no last-good copy at {fallback} to fall back to") from None
        try:
            settings = _load(fallback)
        except SettingsError as again:
            raise SettingsError(f"{problem}; last-good copy is unusable too: {again}") from None
        log.warning("settings: %s is invalid (%s); using last-good copy %s", settings_path, problem, fallback)
        return LoadedSettings(settings, fallback, problem)
    if remember:
        _remember_last_good(settings_path, resolve_last_good_path(settings_path, last_good_path))
    return LoadedSettings(settings, settings_path)


def inspect_settings(settings_path: Path | None) -> LoadedSettings:
    """What a start would use now, never writing anything: for the doctor and the console, which
    must report a broken file instead of failing on it (defaults stand in when nothing loads)."""
    if settings_path is None:
        return LoadedSettings(Settings(), Path("built-in defaults (no --settings file)"))
    try:
        return load_settings_with_recovery(settings_path, remember=False)
    except SettingsError as exc:
        return LoadedSettings(Settings(), Path("built-in defaults"), str(exc))
