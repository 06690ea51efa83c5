"""Heavy make-up (不宜化浓妆): an operator's notice, never a refusal.

The measure is how much more coloured the lips are than the subject's own skin (Lab a*b*
distance of the lips' median from the skin's), so skin tone does not count; lipstick is the part
of heavy make-up a camera sees reliably. Eye shadow was tried as the upper lids' darkening against
the cheeks, but deep-set eyes under the ring light darken as much, so it is not used. Grayscale
photos carry no colour to judge and get no notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import skin_model
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

LIP_SAMPLE_WIDTH = 32


class MakeupSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Lips' colour distance from the skin above which the operator is asked to look. Natural lips
    # on ../shared/faces/a_good_frontal read up to ~20 (the dress controls up to 25.5), so the
    # notice fires on none of those 90 good photos; lipstick 36-58.
    notice_lip_chroma: float = Field(30.0, ge=5.0, le=100.0)


HEAVY_MAKEUP = Rule("heavy_makeup", Family.APPEARANCE, EVERYWHERE,
                    Message("提示操作员：妆容可能过浓，请确认", "Operator: make-up may be heavy, please check"),
                    cadence=Cadence.ADORNMENT, advisory=True)


def lip_colour(analysis: Analysis) -> float | None:
    """The lips' a*b* distance from the skin reference (the mouth's opening left out)."""
    skin = skin_model(analysis)
    outer = analysis.pts[list(lm.OUTER_LIPS), :2]
    x0, y0 = np.floor(outer.min(axis=0)).astype(int)
    x1, y1 = np.ceil(outer.max(axis=0)).astype(int) + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(outer - (x0, y0)).astype(np.int32)], 255)
    cv2.fillPoly(mask, [np.round(analysis.pts[list(lm.INNER_LIPS), :2] - (x0, y0)).astype(np.int32)], 0)
    step = max(1, (x1 - x0) // LIP_SAMPLE_WIDTH)
    window = np.ascontiguousarray(analysis.bgr[y0:y1:step, x0:x1:step])
    lab = cv2.cvtColor(window, cv2.COLOR_BGR2LAB)
    lips = lab[mask[::step, ::step][: lab.shape[0], : lab.shape[1]] > 0].astype(np.float32)
    if len(lips) < 10:
        return None
    return float(np.linalg.norm(np.median(lips[:, 1:], axis=0) - skin.reference[1:]))


def check_makeup(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None or analysis.grayscale:
        return []
    value = lip_colour(analysis)
    if value is None:
        return []
    return [HEAVY_MAKEUP.notice(value, settings.makeup.notice_lip_chroma)]


CHECKS = CheckModule((Check(check_makeup, (HEAVY_MAKEUP,)),), "makeup", MakeupSettings)
