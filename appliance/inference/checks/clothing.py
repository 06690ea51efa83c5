"""Clothing must stand out from the background colour (CHSI's 黑边检测 fails otherwise).

Closeness is judged in the product's own background colour distance (background.colour_distance,
8-bit RGB), against the preset colour the product is composited on. A grayscale photo is judged
against that colour's grey, in the same distance.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.background import colour_distance, reference_bgr
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def clothing_pixels(analysis: Analysis) -> np.ndarray:
    bgr, person, factor = analysis.overview
    if person is None or analysis.mesh is None:
        return np.empty((0, 3), np.uint8)
    chin_y = analysis.pts[lm.CHIN, 1]
    start = int((chin_y + 0.35 * analysis.eye_to_chin) * factor)
    body = person > 0.8
    body[: max(start, 0)] = False
    return bgr[body]


def check_clothing(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    cfg = settings.clothing
    pixels = clothing_pixels(analysis)
    if len(pixels) < 200:
        return []
    ref = reference_bgr(settings)
    if analysis.grayscale:
        # a grey photo shows the backdrop as its grey: compare like with like
        grey = cv2.cvtColor(ref.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_BGR2GRAY)[0, 0]
        ref = np.full(3, grey, np.float32)
    close = float(np.mean(colour_distance(pixels, ref) < cfg.close_distance))
    return [result("clothing_contrast", "clothing", close, cfg.max_close_fraction, close <= cfg.max_close_fraction,
                   "衣服颜色与背景太接近，请换一件颜色不同的衣服",
                   "Clothes too close to the background colour: wear a different colour")]
