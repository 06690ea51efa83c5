"""The session's `StillPicker` port: which still of the burst goes on to be produced."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

_SHARPNESS_SIDE = 480


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian on a downscaled grey copy: higher is sharper."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    scale = _SHARPNESS_SIDE / max(grey.shape)
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


class SharpestStill:
    """Picks the sharpest still of the burst: blur from motion is what a burst exists to avoid."""

    def best(self, stills: Sequence[np.ndarray]) -> int:
        return int(np.argmax([sharpness(s) for s in stills])) if stills else -1
