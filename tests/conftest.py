"""Shared fixtures: the real photographs in ../shared/faces (skipped when absent) and one engine."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="session")
def face_photo(faces_dir):
    """Loads a photo of ../shared/faces by its path there, as BGR pixels."""
    from appliance.imageio import load_image

    def load(relative: str):
        return load_image(faces_dir / relative).bgr

    return load


@pytest.fixture(scope="session")
def plain_portrait(face_photo):
    """A sharp, frontal, neutral portrait on a plain background with both ears showing."""
    return face_photo("a_good_frontal/dpf_img29.jpg")


DRESS = ROOT.parent / "shared" / "dress"


@pytest.fixture(scope="session")
def dress_dir() -> Path:
    if not DRESS.is_dir():
        pytest.skip(f"the dress-code photographs are absent ({DRESS}); CI provides ../shared/dress")
    return DRESS


@pytest.fixture(scope="session")
def dress_photo(dress_dir):
    """Loads a photo of ../shared/dress by its path there, as BGR pixels."""
    from appliance.imageio import load_image

    def load(relative: str):
        return load_image(dress_dir / relative).bgr

    return load
