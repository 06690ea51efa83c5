"""Background: what segmentation can separate in a capture, the reference colour in a product."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import (
    LIVE_AND_STILL,
    ONLY_PRODUCT,
    Cadence,
    Check,
    CheckModule,
    Family,
    Message,
    Rule,
)

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class BackgroundSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Spread (std of luma) of the background around the head in a capture; the booth replaces
    # the background, so this only asks for what segmentation can separate cleanly.
    max_capture_clutter: float = Field(40.0, ge=1.0, le=128.0)
    # In a produced photo: distance of the background from the reference colour, and its spread.
    max_product_delta: float = Field(12.0, ge=1.0, le=128.0)
    max_product_spread: float = Field(6.0, ge=0.5, le=64.0)
    color: Literal["blue", "white", "grey"] = "blue"


BACKGROUND_RGB = {"blue": (100, 197, 255), "white": (255, 255, 255), "grey": (240, 240, 240)}

BACKGROUND_CLUTTER = Rule("background_clutter", Family.BACKGROUND, LIVE_AND_STILL,
                          Message("背景杂乱，请站到背景布前",
                                  "Background is cluttered: stand in front of the backdrop"),
                          cadence=Cadence.SCENE)
BACKGROUND_COLOUR = Rule("background_colour", Family.BACKGROUND, ONLY_PRODUCT,
                         Message("背景颜色不符合要求", "Background is not the required colour"), cadence=None)
BACKGROUND_UNIFORM = Rule("background_uniform", Family.BACKGROUND, ONLY_PRODUCT,
                          Message("背景不均匀（有渐变或阴影）", "Background not uniform (gradient or shadow)"),
                          cadence=None)


def colour_distance(bgr: np.ndarray, reference_bgr: np.ndarray) -> np.ndarray:
    """Euclidean distance in 8-bit RGB (0-441) of each BGR colour from a reference.

    The one colour distance of the product's background: its `background_colour` rule judges a
    product's backdrop in it, and `clothing_contrast` judges the top against the same preset
    colour in it, so "close to the background" means one thing in both.
    """
    return np.linalg.norm(np.asarray(bgr, np.float32) - np.asarray(reference_bgr, np.float32), axis=-1)


def reference_bgr(settings: ChecksSettings) -> np.ndarray:
    """The preset's background colour (BGR, float) the product is composited on."""
    return np.array(BACKGROUND_RGB[settings.background.color][::-1], np.float32)


def background_pixels(analysis: Analysis, near_head: bool) -> np.ndarray:
    """BGR pixels confidently outside the person (optionally only in a band around the head)."""
    bgr, person, factor = analysis.overview
    if person is None:
        return np.empty((0, 3), np.uint8)
    outside = person < 0.1
    outside = cv2.erode(outside.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if near_head and analysis.mesh is not None:
        pts = analysis.pts[:, :2] * factor
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        w, h = x1 - x0, y1 - y0
        band = np.zeros_like(outside)
        ys = slice(max(int(y0 - h), 0), max(int(y1), 0))
        xs = slice(max(int(x0 - w), 0), max(int(x1 + w), 0))
        band[ys, xs] = True
        outside &= band
    return bgr[outside]


def check_background(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    cfg = settings.background
    pixels = background_pixels(analysis, near_head=not analysis.product)
    if len(pixels) < 100:
        return []
    if analysis.product:
        delta = float(colour_distance(pixels.mean(axis=0), reference_bgr(settings)))
        spread = float(np.mean(pixels.std(axis=0)))
        return [
            BACKGROUND_COLOUR.result(delta, cfg.max_product_delta, delta <= cfg.max_product_delta),
            BACKGROUND_UNIFORM.result(spread, cfg.max_product_spread, spread <= cfg.max_product_spread),
        ]
    luma = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2GRAY).reshape(-1).astype(np.float32)
    clutter = float(luma.std())
    return [BACKGROUND_CLUTTER.result(clutter, cfg.max_capture_clutter, clutter <= cfg.max_capture_clutter)]


CHECKS = CheckModule((Check(check_background, (BACKGROUND_CLUTTER, BACKGROUND_COLOUR, BACKGROUND_UNIFORM)),),
                     "background", BackgroundSettings)
