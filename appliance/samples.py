"""The sample portrait the demo and `appliance check --demo` use: no camera, no files of anyone's.

It is the public-domain NASA portrait of astronaut Eileen Collins, the
one real face the repo may carry. scikit-image distributes the same picture as `data.astronaut()`;
the package ships its own lossless copy (`demo/astronaut.png`, the same 512x512 pixels) so that a
booth does not install scikit-image and scipy (about 170 MB) for one demo picture.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

ASTRONAUT = "astronaut.png"


def demo_portrait_bgr() -> np.ndarray:
    """The 512x512 portrait in BGR."""
    data = resources.files("appliance.demo").joinpath(ASTRONAUT).read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"the package's demo portrait {ASTRONAUT} cannot be decoded; reinstall the package")
    return image


def write_demo_portrait(path: Path) -> Path:
    path = Path(path)
    tmp = path.with_suffix(".part" + path.suffix)
    if not cv2.imwrite(str(tmp), demo_portrait_bgr()):
        raise OSError(f"cannot write {path}")
    os.replace(tmp, path)
    return path
