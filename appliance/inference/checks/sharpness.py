"""Sharpness and resolution of the face itself, not of the whole frame.

The face is brought to one scale (never enlarged) and scored with the Crete-Roffet blur effect,
which compares the image with a re-blurred copy and so does not depend on how much texture or
contrast a face has. scikit-image implements the measure with scipy filters; it is computed here
with OpenCV's filters instead because it runs on every live frame (the tests hold the two equal).
A face too small to judge is reported as too low a resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings

# Faces are judged at this cheek-to-cheek width; larger ones are reduced, smaller ones kept.
JUDGE_WIDTH = 160


BLUR_WINDOW = 11  # the re-blur's box length, as in Crete-Roffet et al. (2007)


def blur_effect(gray: np.ndarray, window: int = BLUR_WINDOW) -> float:
    """Crete-Roffet blur effect of a float image in [0, 1]: 0 sharp, 1 fully blurred.

    Along each axis, the gradient energy that survives a box re-blur is compared with the image's
    own; the blurrier axis is the result.
    """
    image = gray.astype(np.float32)
    inner = (slice(2, image.shape[0] - 1), slice(2, image.shape[1] - 1))
    worst = 0.0
    for axis, ksize in ((0, (1, window)), (1, (window, 1))):
        reblurred = cv2.blur(image, ksize, borderType=cv2.BORDER_REFLECT)
        dx, dy = (0, 1) if axis == 0 else (1, 0)
        sharp = np.abs(cv2.Sobel(image, cv2.CV_32F, dx, dy, ksize=3, borderType=cv2.BORDER_REFLECT))
        blurred = np.abs(cv2.Sobel(reblurred, cv2.CV_32F, dx, dy, ksize=3, borderType=cv2.BORDER_REFLECT))
        sharp = np.maximum(sharp, 1e-10)
        lost = np.maximum(0.0, sharp - np.maximum(blurred, 1e-10))
        total = float(sharp[inner].sum())
        worst = max(worst, abs(total - float(lost[inner].sum())) / max(total, 1e-12))
    return worst


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
