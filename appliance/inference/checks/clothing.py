"""Clothing must stand out from the background colour (CHSI's 黑边检测 fails otherwise; every
notice adds 避免浅蓝色 for the blue backdrop).

A clothing pixel merges with the backdrop when either reading says so:
- it is close to the preset colour the product is composited on, in the product's own background
  colour distance (background.colour_distance, 8-bit RGB); a grayscale photo is judged against
  that colour's grey, in the same distance;
- on a coloured preset, it is a tint of the preset's colour: the preset's hue, paler (less
  saturated) than the preset itself but still clearly coloured, at any exposure but a dark one.
  The blue preset is a saturated sky blue (100, 197, 255; HSV saturation 0.61), and a real
  light-blue top is a tint of it (saturation 0.15-0.45), photographed a little under the
  backdrop's brightness: in RGB it lies 70-110 from the preset, as far as a white tee in shade
  (105-115) or a light-grey one (110-145), so no distance to the preset colour alone tells it
  from them. Its hue does: white, grey and skin have none near the preset's, and navy or royal
  blue are darker or more saturated than the preset.
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
    # (137) beyond 89 (a plaid shirt), of plain ones beyond 101. Most real light-blue tops are
    # not within it: the tint reading below catches them.
    close_distance: float = Field(80.0, ge=1.0, le=441.0)
    # Share of the clothing that merges (either reading). A print, shading or a colour cast keeps
    # part of a real light-blue top off both readings (a printed tee reads 0.6, a shirt open over
    # a white tee 0.56); a white shirt front between a dark suit's lapels on the white preset
    # reads 0.10-0.12 and must pass. (On the white preset, which has no hue, only the distance
    # reads: white tees read 0.9 and more, CFD's light-grey tees up to 0.8, both close to white.)
    max_close_fraction: float = Field(0.3, ge=0.0, le=1.0)
    # The tint reading (coloured presets only; HSV of 8-bit RGB): hue within this many degrees of
    # the preset's, saturation from tint_min_saturation up to the preset's own plus
    # tint_saturation_margin (more saturated is a stronger blue, royal blue, not a light one), and
    # value (brightness) from tint_min_value (below it: navy, denim in shade). Measured on the
    # clothing region (share of the top read as merging, both readings together, blue preset):
    # ../shared/dress/m_light_blue_top 0.49-0.69 (6 photos: tees, a shirt, a blouse); a_plain_ok
    # 0-0.01 (15); faces/a_good_frontal 0-0.05 (71 with a top in view; a royal-blue suit 0.05);
    # the other dress folders' tops 0-0.23 (a light denim jacket), but a blue-and-white gingham
    # shirt 0.45. A grey tee with a slight cool cast reads saturation 0.10-0.12: at a floor of
    # 0.12 one such tee (dress a_plain_ok/dpf_img14) read 0.03, at 0.10 0.36; 0.15 leaves it 0.
    tint_max_hue_deg: float = Field(30.0, ge=0.0, le=180.0)
    tint_min_saturation: float = Field(0.15, ge=0.0, le=1.0)
    tint_saturation_margin: float = Field(0.1, ge=0.0, le=1.0)
    tint_min_value: float = Field(0.5, ge=0.0, le=1.0)


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


def hsv(bgr: np.ndarray) -> np.ndarray:
    """HSV of 8-bit BGR colours: hue in degrees (0-360), saturation and value 0-1."""
    colours = np.asarray(bgr, np.float32).reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(colours, cv2.COLOR_BGR2HSV).reshape(-1, 3)


def tint_of(pixels: np.ndarray, ref: np.ndarray, cfg: ClothingSettings) -> np.ndarray | None:
    """Per pixel, whether it is a tint of the preset colour `ref` (BGR): its hue, paler than it
    but clearly coloured, not dark. None for a neutral preset (white, grey), which has no hue."""
    ref_h, ref_s, _ = hsv(ref)[0]
    if ref_s < cfg.tint_min_saturation:
        return None
    h, s, v = hsv(pixels).T
    off_hue = np.abs((h - ref_h + 180.0) % 360.0 - 180.0)
    return ((off_hue <= cfg.tint_max_hue_deg) & (s >= cfg.tint_min_saturation)
            & (s <= ref_s + cfg.tint_saturation_margin) & (v >= cfg.tint_min_value))


def merging_share(pixels: np.ndarray, ref: np.ndarray, cfg: ClothingSettings, grayscale: bool) -> float:
    """Share of the clothing's pixels (BGR) that merge with the preset colour `ref` (BGR)."""
    if grayscale:
        # a grey photo shows the backdrop as its grey: compare like with like; no hue to read
        grey = cv2.cvtColor(ref.reshape(1, 1, 3).astype(np.uint8), cv2.COLOR_BGR2GRAY)[0, 0]
        return float(np.mean(colour_distance(pixels, np.full(3, grey, np.float32)) < cfg.close_distance))
    merging = colour_distance(pixels, ref) < cfg.close_distance
    tint = tint_of(pixels, ref, cfg)
    if tint is not None:
        merging |= tint
    return float(np.mean(merging))


def check_clothing(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    cfg = settings.clothing
    pixels = clothing_pixels(analysis)
    if len(pixels) < 200:
        return []
    close = merging_share(pixels, reference_bgr(settings), cfg, analysis.grayscale)
    return [CLOTHING_CONTRAST.result(close, cfg.max_close_fraction, close <= cfg.max_close_fraction)]


CHECKS = CheckModule((Check(check_clothing, (CLOTHING_CONTRAST,)),), "clothing", ClothingSettings)
