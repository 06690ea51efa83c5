"""Clothing must stand out from the background colour (CHSI's 黑边检测 fails otherwise)."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import BACKGROUND_RGB, ChecksSettings


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
    ref_bgr = np.array([[BACKGROUND_RGB[settings.background.color][::-1]]], np.uint8)
    if analysis.grayscale:
        luma = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2GRAY).reshape(-1).astype(np.float32)
        ref_luma = float(cv2.cvtColor(ref_bgr, cv2.COLOR_BGR2GRAY)[0, 0])
        close = float(np.mean(np.abs(luma - ref_luma) < cfg.close_delta_e / 2))
    else:
        lab = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.float32) / 255, cv2.COLOR_BGR2LAB).reshape(-1, 3)
        ref = cv2.cvtColor(ref_bgr.astype(np.float32) / 255, cv2.COLOR_BGR2LAB).reshape(3)
        close = float(np.mean(np.linalg.norm(lab - ref, axis=1) < cfg.close_delta_e))
    return [result("clothing_contrast", "clothing", close, cfg.max_close_fraction, close <= cfg.max_close_fraction,
                   "衣服颜色与背景太接近，请换一件颜色不同的衣服",
                   "Clothes too close to the background colour: wear a different colour")]
