"""runtime.image_threads: OpenCV's worker pool is sized by the composition root, never silently."""

from __future__ import annotations

import cv2
import pytest

from appliance.app import build_models
from appliance.errors import SettingsError
from appliance.settings import load_settings


@pytest.fixture
def opencv_threads():
    before = cv2.getNumThreads()
    yield
    cv2.setNumThreads(before)


def test_image_threads_sizes_the_opencv_pool(opencv_threads):
    cv2.setNumThreads(4)
    build_models(load_settings(overrides={"runtime": {"image_threads": 1}}))
    assert cv2.getNumThreads() == 1


def test_default_leaves_opencv_as_it_is(opencv_threads):
    cv2.setNumThreads(3)
    build_models(load_settings())
    assert cv2.getNumThreads() == 3


def test_image_threads_out_of_range_names_the_key(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("[runtime]\nimage_threads = 0\n")
    with pytest.raises(SettingsError, match=r"runtime\.image_threads"):
        load_settings(bad)
