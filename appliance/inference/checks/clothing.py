"""Clothing must stand out from the background colour (CHSI's 黑边检测 fails otherwise).

Closeness is judged in the product's own background colour distance (background.colour_distance,
8-bit RGB), against the preset colour the product is composited on. A grayscale photo is judged
against that colour's grey, in the same distance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.background import colour_distance, reference_bgr
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class ClothingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Clothing pixels closer than this to the preset's background colour merge with it, in the
    # product's background colour distance (checks/background.py colour_distance: 8-bit RGB,
    # 0-441, the unit of background.max_product_delta). On the blue preset, of the clothing's
    # pixels the closest fifth of a top recoloured light blue lies within 45-51; of a real
    # light-blue top 40-98; of every other top on ../shared/dress and faces/a_good_frontal
    # (137) beyond 89 (a plaid shirt), of plain ones beyond 101.
    close_distance: float = Field(80.0, ge=1.0, le=441.0)
    # Share of the clothing that close. A print, shading or a colour cast keeps much of a real
    # light-blue top away from the backdrop's colour (a printed tee reads 0.2-0.5); a white shirt
    # front between a dark suit's lapels on the white preset reads 0.10-0.12 and must pass.
    max_close_fraction: float = Field(0.2, ge=0.0, le=1.0)


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
    ref = reference_bgr(settings)
    if analysis.grayscale:
        # a grey photo shows the backdrop as its grey: compare like with like
        grey = cv2.cvtColor(ref.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_BGR2GRAY)[0, 0]
        ref = np.full(3, grey, np.float32)
    close = float(np.mean(colour_distance(pixels, ref) < cfg.close_distance))
    return [CLOTHING_CONTRAST.result(close, cfg.max_close_fraction, close <= cfg.max_close_fraction)]


CHECKS = CheckModule((Check(check_clothing, (CLOTHING_CONTRAST,)),), "clothing", ClothingSettings)
