"""Hair off the eyebrows and both ears visible.

The band above the eyebrows and the areas beside the cheeks should look like the subject's skin;
where hair (or anything else) covers them they do not. A clearly turned head hides one ear by
itself, which the pose check reports, so ears are judged on the better-exposed side then.
"""

from __future__ import annotations

import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import SkinModel, box_mask, skin_model, within_person
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def brow_cover(analysis: Analysis, skin: SkinModel) -> float:
    """Share of the forehead band just above the brows that is not skin."""
    p = analysis.pts[:, :2]
    brows = p[list(lm.RIGHT_BROW) + list(lm.LEFT_BROW)]
    top = float(brows[:, 1].min())
    unit = analysis.eye_to_chin
    band = box_mask(analysis.bgr.shape, brows[:, 0].min(), top - 0.22 * unit, brows[:, 0].max(), top - 0.02 * unit)
    lab = skin.pixels(band)
    if len(lab) < 10:
        return 0.0
    return float(1.0 - np.mean(skin.skin_like(lab)))


def ear_visibility(analysis: Analysis, skin: SkinModel) -> tuple[float, float]:
    """Share of skin-like, person pixels beside each cheek at ear height (image-left, image-right)."""
    p = analysis.pts[:, :2]
    width = analysis.face_width
    eye_y = float(np.mean([c[1] for c in analysis.eye_centres]))
    nose_y = float(p[lm.NOSE_TIP, 1])
    scores = []
    for edge, direction in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        x = float(p[edge, 0])
        region = box_mask(analysis.bgr.shape, x + direction * 0.02 * width, eye_y,
                          x + direction * 0.16 * width, nose_y)
        region = within_person(region, analysis, 0.3)
        lab = skin.pixels(region)
        total = max(int(np.count_nonzero(box_mask(analysis.bgr.shape, x + direction * 0.02 * width, eye_y,
                                                    x + direction * 0.16 * width, nose_y))), 1)
        scores.append(float(np.count_nonzero(skin.skin_like(lab, 0.5, 25.0))) / total if len(lab) else 0.0)
    return scores[0], scores[1]


def check_occlusion(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.occlusion
    skin = skin_model(analysis)
    cover = brow_cover(analysis, skin)
    results = [
        result("hair_over_brows", "occlusion", cover, cfg.max_brow_cover, cover <= cfg.max_brow_cover,
               "请把刘海拨开，露出眉毛和额头", "Move your hair off the eyebrows and forehead"),
    ]
    if cfg.check_ears:
        ears = min(ear_visibility(analysis, skin))
        results.append(result("ears_visible", "occlusion", ears, cfg.min_ear_visibility,
                              ears >= cfg.min_ear_visibility,
                              "请把头发拢到耳后，露出双耳", "Tuck your hair behind your ears so both ears show"))
    return results
