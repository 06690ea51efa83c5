"""Sample portraits that ship with a dependency, for the demo and tests that need no camera.

scikit-image bundles the public-domain NASA portrait of astronaut Eileen Collins; it is the one
real face the repo may use without carrying face images itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np


def demo_portrait_bgr() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def write_demo_portrait(path: Path) -> Path:
    path = Path(path)
    tmp = path.with_suffix(".part" + path.suffix)
    if not cv2.imwrite(str(tmp), demo_portrait_bgr()):
        raise OSError(f"cannot write {path}")
    os.replace(tmp, path)
    return path
