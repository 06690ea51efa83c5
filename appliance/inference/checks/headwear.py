"""Head coverings: the crown above the forehead should be hair (or scalp), not a hat.

Within the person's silhouette above the forehead, material whose colour is neither hair-dark
nor the subject's skin, and far more saturated than either, is taken for a covering. Religious
wear that leaves the whole face visible is allowed by the rules; an operator can raise the limit
for such a subject.
"""

from __future__ import annotations

import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import box_mask, skin_model, within_person
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def cover_score(analysis: Analysis) -> float:
    p = analysis.pts[:, :2]
    skin = skin_model(analysis)
    unit = analysis.eye_to_chin
    top = float(p[lm.FOREHEAD, 1])
    x0, x1 = float(p[lm.FACE_RIGHT_EDGE, 0]), float(p[lm.FACE_LEFT_EDGE, 0])
    region = box_mask(analysis.bgr.shape, x0, top - 0.7 * unit, x1, top + 0.05 * unit)
    region = within_person(region, analysis, 0.6)
    lab = skin.pixels(region)
    if len(lab) < 20:
        return 0.0
    if analysis.grayscale:
        return 0.0
    chroma = np.linalg.norm(lab[:, 1:] - 128.0, axis=1)
    skin_chroma = float(np.linalg.norm(skin.reference[1:] - 128.0))
    foreign = (chroma > skin_chroma + 12) & ~skin.skin_like(lab)
    return float(np.mean(foreign))


def check_headwear(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    score = cover_score(analysis)
    limit = settings.headwear.max_cover_score
    return [result("no_headwear", "headwear", score, limit, score <= limit,
                   "请摘下帽子或头饰", "Take off your hat or head covering")]
