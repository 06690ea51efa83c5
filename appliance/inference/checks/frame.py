"""Whole-frame checks for when no face is found: say why (too dark, blurred) instead of only
"no face", so a subject in a dark booth or a shaking camera gets guidance that helps. Their
thresholds are the lighting and sharpness families' (checks.lighting.min_frame_luma,
checks.sharpness.max_blur)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Check, CheckModule, Family, Message, Rule
from appliance.inference.checks.sharpness import blur_effect

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

FRAME_EXPOSURE = Rule("frame_exposure", Family.LIGHTING, EVERYWHERE,
                      Message("画面太暗，请增加光线", "The picture is too dark: add light"))
FRAME_SHARPNESS = Rule("frame_sharpness", Family.SHARPNESS, EVERYWHERE,
                       Message("画面模糊，请保持不动并对焦", "The picture is blurred: hold still and keep in focus"))


def check_frame(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is not None:
        return []
    luma = analysis.luma
    mean = float(luma.mean())
    small = cv2.resize(luma, (256, round(256 * luma.shape[0] / luma.shape[1])), interpolation=cv2.INTER_AREA)
    blur = float(blur_effect(small.astype(np.float32) / 255.0))
    return [
        FRAME_EXPOSURE.result(mean, settings.lighting.min_frame_luma, mean >= settings.lighting.min_frame_luma),
        FRAME_SHARPNESS.result(blur, settings.sharpness.max_blur, blur <= settings.sharpness.max_blur),
    ]


CHECKS = CheckModule((Check(check_frame, (FRAME_EXPOSURE, FRAME_SHARPNESS)),))
