"""Shared fixtures: the real photographs in ../shared/faces (skipped when absent) and one engine."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT.parent / "shared" / "faces"


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not FACES.is_dir():
        pytest.skip(f"the real test photographs are absent ({FACES}); CI provides ../shared/faces")
    return FACES


@pytest.fixture(scope="session")
def analyzer():
    from appliance.app import build_analyzer
    from appliance.settings import load_settings

    return build_analyzer(load_settings())
