"""Strapless, spaghetti-strap, off-shoulder and very low-cut tops (不得穿吊带衫、超低领上衣).

Below the collarbone (from 0.8 eye-to-chin distances under the chin down to 1.8), across the
shoulders, how much of the person is skin like the face's: a normal neckline shows the neck and at
most a small V there, a bare top shows shoulders and chest. The area is counted in face units
(hundredths of a face width, squared), so a photo cropped just below the shoulders is judged on
what it shows. Skin that differs from the face's (a tan line, strong colour cast) is missed.
Hoods and fur collars are not judged yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import skin_model
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.checks.face_scale import FACE_WIDTH_PX, Box, face_window, skin_like_mask

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class NecklineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Skin below the collarbone in face widths squared. Normal necklines (V-necks included) read up
    # to ~0.55; strapless and low-cut tops 0.8-1.7.
    max_bare_skin: float = Field(0.6, ge=0.05, le=5.0)


def below_collarbone_box(analysis: Analysis) -> Box:
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    x, chin = float(p[lm.CHIN, 0]), float(p[lm.CHIN, 1])
    return x - 1.4 * width, chin + 0.8 * unit, x + 1.4 * width, chin + 1.8 * unit


def bare_skin_area(analysis: Analysis) -> float:
    window = face_window(analysis, below_collarbone_box(analysis))
    if window.empty or window.person is None:
        return 0.0
    skin = skin_like_mask(window, skin_model(analysis)) & (window.person > 0.5)
    return float(np.count_nonzero(skin)) / FACE_WIDTH_PX**2


def check_neckline(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    area = bare_skin_area(analysis)
    limit = settings.neckline.max_bare_skin
    return [result("neckline", "clothing", area, limit, area <= limit,
                   "请换一件有领口、不露肩的上衣", "Wear a top that covers your shoulders, not low-cut")]
