"""Face lighting: exposure, left/right balance (阴阳脸) and specular highlights, on skin only.

Measured on the face oval without eyes, brows and mouth, split at the nose line in the face's own
upright frame, so a turned or tilted head does not read as uneven light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Check, CheckModule, Family, Message, Rule, require_below

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class LightingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_face_luma: float = Field(70.0, ge=0.0, le=255.0)
    # With no face found, a frame this dark (mean luma) is reported as a lighting failure.
    min_frame_luma: float = Field(40.0, ge=0.0, le=255.0)
    max_face_luma: float = Field(215.0, ge=0.0, le=255.0)
    max_side_imbalance: float = Field(0.45, ge=0.05, le=1.0)
    max_highlight_fraction: float = Field(0.08, ge=0.0, le=1.0)
    max_clipped_fraction: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _minimum_below_maximum(self) -> LightingSettings:
        # A minimum at or above its maximum would refuse every face: no photo could ever pass.
        require_below(self.min_face_luma, self.max_face_luma, "min_face_luma", "max_face_luma",
                      "面部最低亮度", "最高亮度")
        return self


LIGHT_EXPOSURE = Rule("light_exposure", Family.LIGHTING, EVERYWHERE,
                      Message("脸部太暗，请增加光线", "Face too dark: more light"),
                      variants={"bright": Message("脸部过亮，请减弱光线", "Face too bright: less light"),
                                "unmeasured": Message("脸部太小或被遮挡，无法判断光线",
                                                      "Face too small or covered to judge the light")})
LIGHT_BALANCE = Rule("light_balance", Family.LIGHTING, EVERYWHERE,
                     Message("脸部光线不均（画面{darker_zh}侧偏暗），请正对光源",
                             "Uneven light on the face (the image-{darker} side is darker): face the light"))
LIGHT_HIGHLIGHT = Rule("light_highlight", Family.LIGHTING, EVERYWHERE,
                       Message("脸部反光，请擦去汗水或减弱正面光",
                               "Shine on the face: wipe off sweat or soften the front light"))
LIGHT_CLIPPING = Rule("light_clipping", Family.LIGHTING, EVERYWHERE,
                      Message("脸部过曝或欠曝", "Face over- or under-exposed"))

# Light is judged on a sample of the skin about this many pixels across; exposure and balance are
# area statistics, and sampling (not averaging) keeps clipped and specular pixels as they are.
SAMPLE_WIDTH = 96


def skin_halves(analysis: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma (uint8) of the skin pixels, of the image-left half and of the image-right half."""
    window, (ox, oy) = analysis.skin_window
    x0, y0, w, h = cv2.boundingRect(window)
    step = max(1, int(w // SAMPLE_WIDTH))
    sampled = window[y0:y0 + h:step, x0:x0 + w:step] > 0
    ys, xs = np.nonzero(sampled)
    x0, y0 = x0 + ox, y0 + oy
    values = analysis.luma_window(x0, y0, x0 + w, y0 + h)[::step, ::step][ys, xs]
    ys, xs = ys * step + y0, xs * step + x0
    nose = analysis.pts[lm.NOSE_TIP, :2]
    direction = np.array([np.cos(analysis.roll_rad), np.sin(analysis.roll_rad)])
    side = (xs - nose[0]) * direction[0] + (ys - nose[1]) * direction[1]
    return values, values[side < 0], values[side > 0]


def lighting_measures(analysis: Analysis) -> dict[str, float]:
    """Face exposure and the two halves' medians; measured once per analysis (the check and the
    LED ring's brightness loop both read it)."""
    return analysis.memo("lighting", lambda: _measure_lighting(analysis))


def median_of_levels(counts: np.ndarray) -> float:
    """The median (NumPy's: the mean of the two middle values for an even count) of grey levels
    given as a histogram of 256 counts; exact, as the levels are whole numbers, and without the
    sort np.median makes on every live frame."""
    total = int(counts.sum())
    cumulative = np.cumsum(counts)
    upper = int(np.searchsorted(cumulative, total // 2, side="right"))
    if total % 2:
        return float(upper)
    lower = int(np.searchsorted(cumulative, total // 2 - 1, side="right"))
    return (lower + upper) / 2


def _measure_lighting(analysis: Analysis) -> dict[str, float]:
    values, left, right = skin_halves(analysis)
    if values.size < 50 or left.size < 20 or right.size < 20:
        return {}
    counts = np.bincount(values, minlength=256)
    left_m = median_of_levels(np.bincount(left, minlength=256))
    right_m = median_of_levels(np.bincount(right, minlength=256))
    return {
        "mean": median_of_levels(counts),
        "imbalance": abs(left_m - right_m) / max(left_m, right_m, 1.0),
        "highlight": int(counts[245:].sum()) / values.size,
        "clipped": (int(counts[252:].sum()) + int(counts[:9].sum())) / values.size,
        "left": left_m,
        "right": right_m,
    }


def check_lighting(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.lighting
    m = lighting_measures(analysis)
    if not m:
        return [LIGHT_EXPOSURE.result(None, None, False, variant="unmeasured")]
    mean = m["mean"]
    darker_en = "left" if m["left"] < m["right"] else "right"
    darker_zh = "左" if darker_en == "left" else "右"
    return [
        LIGHT_EXPOSURE.result(mean, f"{cfg.min_face_luma:g}-{cfg.max_face_luma:g}",
                              cfg.min_face_luma <= mean <= cfg.max_face_luma,
                              variant=None if mean < cfg.min_face_luma else "bright"),
        LIGHT_BALANCE.result(m["imbalance"], cfg.max_side_imbalance, m["imbalance"] <= cfg.max_side_imbalance,
                             darker_zh=darker_zh, darker=darker_en),
        LIGHT_HIGHLIGHT.result(m["highlight"], cfg.max_highlight_fraction,
                               m["highlight"] <= cfg.max_highlight_fraction),
        LIGHT_CLIPPING.result(m["clipped"], cfg.max_clipped_fraction, m["clipped"] <= cfg.max_clipped_fraction),
    ]


CHECKS = CheckModule((Check(check_lighting, (LIGHT_EXPOSURE, LIGHT_BALANCE, LIGHT_HIGHLIGHT, LIGHT_CLIPPING)),),
                     "lighting", LightingSettings)
