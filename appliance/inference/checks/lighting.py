"""Face lighting: exposure, left/right balance (阴阳脸) and specular highlights, on skin only.

Measured on the face oval without eyes, brows and mouth, split at the nose line in the face's own
upright frame, so a turned or tilted head does not read as uneven light.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings

# Light is judged on a sample of the skin about this many pixels across; exposure and balance are
# area statistics, and sampling (not averaging) keeps clipped and specular pixels as they are.
SAMPLE_WIDTH = 96


def skin_halves(analysis: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Luma of the skin pixels, of the image-left half and of the image-right half."""
    x0, y0, w, h = cv2.boundingRect(analysis.skin_mask)
    step = max(1, int(w // SAMPLE_WIDTH))
    window = analysis.skin_mask[y0:y0 + h:step, x0:x0 + w:step] > 0
    ys, xs = np.nonzero(window)
    values = analysis.luma[y0:y0 + h:step, x0:x0 + w:step][ys, xs].astype(np.float32)
    ys, xs = ys * step + y0, xs * step + x0
    nose = analysis.pts[lm.NOSE_TIP, :2]
    direction = np.array([np.cos(analysis.roll_rad), np.sin(analysis.roll_rad)])
    side = (xs - nose[0]) * direction[0] + (ys - nose[1]) * direction[1]
    return values, values[side < 0], values[side > 0]


def lighting_measures(analysis: Analysis) -> dict[str, float]:
    """Face exposure and the two halves' medians; measured once per analysis (the check and the
    LED ring's brightness loop both read it)."""
    return analysis.memo("lighting", lambda: _measure_lighting(analysis))


def _measure_lighting(analysis: Analysis) -> dict[str, float]:
    values, left, right = skin_halves(analysis)
    if values.size < 50 or left.size < 20 or right.size < 20:
        return {}
    left_m, right_m = float(np.median(left)), float(np.median(right))
    return {
        "mean": float(np.median(values)),
        "imbalance": abs(left_m - right_m) / max(left_m, right_m, 1.0),
        "highlight": float(np.mean(values >= 245)),
        "clipped": float(np.mean((values >= 252) | (values <= 8))),
        "left": left_m,
        "right": right_m,
    }


def check_lighting(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.lighting
    m = lighting_measures(analysis)
    if not m:
        return [result("light_exposure", "lighting", None, None, False,
                       "脸部太小或被遮挡，无法判断光线", "Face too small or covered to judge the light")]
    mean = m["mean"]
    dark_zh, dark_en = ("太暗，请增加光线", "too dark: more light") if mean < cfg.min_face_luma else (
        "过亮，请减弱光线", "too bright: less light")
    darker_en = "left" if m["left"] < m["right"] else "right"
    darker_zh = "左" if darker_en == "left" else "右"
    return [
        result("light_exposure", "lighting", mean, f"{cfg.min_face_luma:g}-{cfg.max_face_luma:g}",
               cfg.min_face_luma <= mean <= cfg.max_face_luma, f"脸部{dark_zh}", f"Face {dark_en}"),
        result("light_balance", "lighting", m["imbalance"], cfg.max_side_imbalance,
               m["imbalance"] <= cfg.max_side_imbalance,
               f"脸部光线不均（画面{darker_zh}侧偏暗），请正对光源",
               f"Uneven light on the face (the image-{darker_en} side is darker): face the light"),
        result("light_highlight", "lighting", m["highlight"], cfg.max_highlight_fraction,
               m["highlight"] <= cfg.max_highlight_fraction,
               "脸部反光，请擦去汗水或减弱正面光", "Shine on the face: wipe off sweat or soften the front light"),
        result("light_clipping", "lighting", m["clipped"], cfg.max_clipped_fraction,
               m["clipped"] <= cfg.max_clipped_fraction,
               "脸部过曝或欠曝", "Face over- or under-exposed"),
    ]
