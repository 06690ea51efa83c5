"""Clothing must stand out from the background colour (CHSI's 黑边检测 fails otherwise)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.background import BACKGROUND_RGB
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class ClothingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Clothing pixels closer than this (CIELAB delta E) to the background colour merge with it.
    close_delta_e: float = Field(25.0, ge=1.0, le=100.0)
    # Share of the clothing that close. Light-blue tops on the blue preset read 0.01-0.62 (a print,
    # shading or a colour cast keeps much of the top away from the backdrop's colour), a white
    # shirt inside a dark suit on the white preset 0.24 (it must pass), other tops 0.0.
    max_close_fraction: float = Field(0.3, ge=0.0, le=1.0)


CLOTHING_CONTRAST = Rule("clothing_contrast", Family.CLOTHING, EVERYWHERE,
                         Message("衣服颜色与背景太接近，请换一件颜色不同的衣服",
                                 "Clothes too close to the background colour: wear a different colour"),
                         cadence=Cadence.SCENE)


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
    return [CLOTHING_CONTRAST.result(close, cfg.max_close_fraction, close <= cfg.max_close_fraction)]


CHECKS = CheckModule((Check(check_clothing, (CLOTHING_CONTRAST,)),), "clothing", ClothingSettings)
