"""Sharpness and resolution of the face itself, not of the whole frame.

The face is brought to one scale (never enlarged) and scored with the Crete-Roffet blur effect
(scikit-image), which compares the image with a re-blurred copy and so does not depend on how much
texture or contrast a face has. A face too small to judge is reported as too low a resolution.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.measure import blur_effect

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings

# Faces are judged at this cheek-to-cheek width; larger ones are reduced, smaller ones kept.
JUDGE_WIDTH = 160


def face_blur(analysis: Analysis) -> float:
    pts = analysis.pts[:, :2]
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    height, width = analysis.luma.shape
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    crop = analysis.luma[y0:y1, x0:x1]
    if crop.size < 64:
        return 1.0
    scale = min(1.0, JUDGE_WIDTH / max(analysis.face_width, 1.0))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(blur_effect(crop.astype(np.float32) / 255.0))


def check_sharpness(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.sharpness
    width = analysis.face_width * analysis.pixel_scale
    results = [
        result("resolution", "sharpness", width, float(cfg.min_face_width_px), width >= cfg.min_face_width_px,
               "分辨率太低：脸部像素太少，请靠近或换用更清晰的照片",
               "Resolution too low: the face has too few pixels; come closer or use a sharper photo"),
    ]
    blur = face_blur(analysis)
    results.append(result("sharpness", "sharpness", blur, cfg.max_blur, blur <= cfg.max_blur,
                          "照片模糊，请保持不动并对焦", "Photo is blurred: hold still and keep in focus"))
    return results
