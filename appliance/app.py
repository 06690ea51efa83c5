"""The composition root: every long-lived object of the booth is built here, from one settings tree.

Modules never construct their collaborators themselves; they receive them from these builders, so
tests and the demo swap a piece (camera, pins, server) by passing another one in.
"""

from __future__ import annotations

from pathlib import Path

from appliance.inference.engine import Analyzer
from appliance.inference.runtime import ModelStore
from appliance.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def resolve_path(path: Path) -> Path:
    """Relative paths in the settings are relative to the project folder, not the caller's cwd."""
    return path if path.is_absolute() else PROJECT_ROOT / path


def build_models(settings: Settings) -> ModelStore:
    runtime = settings.runtime
    return ModelStore(resolve_path(runtime.models_dir), threads=runtime.threads, backend=runtime.backend)


def build_analyzer(settings: Settings, models: ModelStore | None = None) -> Analyzer:
    return Analyzer(models or build_models(settings), settings.checks)
