"""Whole-frame checks for when no face is found: say why (too dark, blurred) instead of only
"no face", so a subject in a dark booth or a shaking camera gets guidance that helps."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.checks.sharpness import blur_effect
from appliance.inference.config import ChecksSettings


def check_frame(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is not None:
        return []
    luma = analysis.luma
    mean = float(luma.mean())
    small = cv2.resize(luma, (256, round(256 * luma.shape[0] / luma.shape[1])), interpolation=cv2.INTER_AREA)
    blur = float(blur_effect(small.astype(np.float32) / 255.0))
    return [
        result("frame_exposure", "lighting", mean, settings.lighting.min_frame_luma,
               mean >= settings.lighting.min_frame_luma, "画面太暗，请增加光线", "The picture is too dark: add light"),
        result("frame_sharpness", "sharpness", blur, settings.sharpness.max_blur, blur <= settings.sharpness.max_blur,
               "画面模糊，请保持不动并对焦", "The picture is blurred: hold still and keep in focus"),
    ]
