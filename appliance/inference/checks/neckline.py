"""Strapless, spaghetti-strap, off-shoulder and very low-cut tops (不得穿吊带衫、超低领上衣).

Below the collarbone (from 0.8 eye-to-chin distances under the chin down to 1.8), across the
shoulders, the person's skin like the face's: a normal neckline shows at most a small V there, a
bare top shows shoulders and chest. Two readings, each against its own limit, the larger decides:
the skin's area in face widths squared (a wide view of bare shoulders) and its share of the person
there (a photo cropped just below the collarbone, where the area is small but almost all skin).
The value is the larger of area/limit and share/limit, so 1.0 is the threshold. Skin that differs
from the face's (a tan line, a strong colour cast) is missed; hoods and fur collars are not
judged yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import skin_model
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.face_scale import FACE_WIDTH_PX, Box, face_window, skin_like_mask
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

# Below this much person in view (face widths squared) the share is not read.
MIN_PERSON_AREA = 0.02


class NecklineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Skin below the collarbone in face widths squared. Normal necklines (V-necks included) read up
    # to ~0.55; strapless and low-cut tops 0.8-1.7.
    max_bare_area: float = Field(0.6, ge=0.05, le=5.0)
    # Share of the person below the collarbone that is skin. V-necks in tight crops read up to
    # ~0.66; strapless tops 0.99.
    max_bare_share: float = Field(0.85, ge=0.1, le=1.0)


# The value is the larger of area/limit and share/limit: 1.0 is the threshold.
NECKLINE = Rule("neckline", Family.CLOTHING, EVERYWHERE,
                Message("请换一件有领口、不露肩的上衣", "Wear a top that covers your shoulders, not low-cut"),
                cadence=Cadence.SCENE)


def below_collarbone_box(analysis: Analysis) -> Box:
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    x, chin = float(p[lm.CHIN, 0]), float(p[lm.CHIN, 1])
    return x - 1.4 * width, chin + 0.8 * unit, x + 1.4 * width, chin + 1.8 * unit


def bare_skin(analysis: Analysis) -> tuple[float, float]:
    """(skin area in face widths squared, skin share of the person) below the collarbone."""
    window = face_window(analysis, below_collarbone_box(analysis))
    if window.empty or window.person is None:
        return 0.0, 0.0
    person = window.person > 0.5
    skin = skin_like_mask(window, skin_model(analysis)) & person
    area = float(np.count_nonzero(skin)) / FACE_WIDTH_PX**2
    person_area = float(np.count_nonzero(person)) / FACE_WIDTH_PX**2
    share = area / person_area if person_area >= MIN_PERSON_AREA else 0.0
    return area, share


def check_neckline(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.neckline
    area, share = bare_skin(analysis)
    score = max(area / cfg.max_bare_area, share / cfg.max_bare_share)
    return [NECKLINE.result(score, 1.0, score <= 1.0)]


CHECKS = CheckModule((Check(check_neckline, (NECKLINE,)),), "neckline", NecklineSettings)
