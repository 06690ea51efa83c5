"""Shared fixtures: the real photographs in ../shared/faces (skipped when absent) and one engine."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "faces"


def _shared(folder: Path, what: str) -> Path:
    if not folder.is_dir():
        pytest.skip(f"{what} are absent ({folder}); CI provides ../shared/{folder.name}")
    return folder


def _photo_loader(folder: Path):
    """Loads a photo of `folder` by its path there, as BGR pixels."""
    from appliance.imageio import load_image

    def load(relative: str):
        return load_image(folder / relative).bgr

    return load


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return _shared(FACES, "the real test photographs")


@pytest.fixture(scope="session")
def analyzer():
    from appliance.app import build_analyzer
    from appliance.settings import load_settings

    return build_analyzer(load_settings())


@pytest.fixture(scope="session")
def face_photo(faces_dir):
    """Loads a photo of ../shared/faces by its path there, as BGR pixels."""
    return _photo_loader(faces_dir)


@pytest.fixture(scope="session")
def plain_portrait(face_photo):
    """A sharp, frontal, neutral portrait on a plain background with both ears showing."""
    return face_photo("a_good_frontal/dpf_img29.jpg")


DRESS = ROOT.parent / "shared" / "dress"


@pytest.fixture(scope="session")
def dress_dir() -> Path:
    return _shared(DRESS, "the dress-code photographs")


@pytest.fixture(scope="session")
def dress_photo(dress_dir):
    """Loads a photo of ../shared/dress by its path there, as BGR pixels."""
    return _photo_loader(dress_dir)
