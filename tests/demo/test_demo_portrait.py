"""The demo's portrait ships in the package: the same pixels as scikit-image's astronaut, and the
demo camera and `check --demo` get it without scikit-image installed (a booth no longer has it)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from appliance.samples import demo_portrait_bgr


def test_the_shipped_portrait_is_scikit_images_astronaut_pixel_for_pixel():
    data = pytest.importorskip("skimage.data")
    reference = np.ascontiguousarray(data.astronaut()[:, :, ::-1])
    shipped = demo_portrait_bgr()
    assert shipped.shape == reference.shape == (512, 512, 3)
    assert np.array_equal(shipped, reference)


BLOCKED = """
import sys
sys.modules["skimage"] = None  # any import of scikit-image now raises ImportError
from appliance.capture.camera.demo import DemoSource
from appliance.samples import write_demo_portrait
source = DemoSource((640, 480), fps=15.0)
source.open()
frame = source.read(want_full=True)
print(frame.lores.shape, frame.main.shape)
print(write_demo_portrait(__import__("pathlib").Path(sys.argv[1])).stat().st_size > 0)
"""


def test_the_demo_camera_and_check_sample_need_no_scikit_image(tmp_path):
    result = subprocess.run([sys.executable, "-c", BLOCKED, str(tmp_path / "portrait.jpg")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "True"
