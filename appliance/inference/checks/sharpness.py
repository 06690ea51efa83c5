"""Sharpness and resolution of the face itself, not of the whole frame.

Two measures, each on the face brought to one scale (never enlarged):
- The Crete-Roffet blur effect compares the image with a re-blurred copy, so it does not depend on
  how much texture or contrast a face has. scikit-image implements it with scipy filters; it is
  computed here with OpenCV's filters because it runs on every live frame (the tests hold the two
  equal). It misses a face enlarged from a much smaller one and then JPEG-compressed: the block
  edges the compression leaves read as sharp.
- Fine detail: how strong the face's finest structure (one-pixel Laplacian) is against its coarse
  edges (gradient after a two-pixel blur), both as upper quartiles over the face oval. Quartiles,
  unlike energies, are not carried by a few artefact lines, so a smeared, enlarged face reads low.
  scripts/sharpness_study.py reduces sharp photos' faces to 100 px: all 30 read >= 0.13 (JPEG
  q50 included); the same faces enlarged from 40 px read a median 0.08 (linear) to 0.10 (cubic),
  from 50 px 0.10 to 0.125. The limit (0.1) refuses none of the sharp faces and about half of
  the enlarged ones: a conservative net under the blur effect, not a full upscale detector.

Too few pixels on the face is one rule, `resolution`, owned here: a face too small to judge is also
a face too small to print, and the production step refuses a small source by this same rule and
message (appliance/produce/photo.py). It applies to stills and products, not to live preview frames,
whose size says nothing about the still's (live framing guidance asks to come closer instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import (
    EVERYWHERE,
    STILL_AND_PRODUCT,
    Cadence,
    Check,
    CheckModule,
    Family,
    Message,
    Rule,
)
from appliance.inference.geometry import polygon_mask

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class SharpnessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Crete-Roffet blur effect of the face at a fixed scale: 0 = sharp, 1 = fully blurred.
    max_blur: float = Field(0.6, ge=0.05, le=1.0)
    # Fine detail of the face at a 100 px width: finest structure against coarse edges. Sharp
    # faces read >= 0.13, faces enlarged from 40-50 px a median 0.08-0.125
    # (scripts/sharpness_study.py).
    min_detail: float = Field(0.1, ge=0.0, le=1.0)
    # The one resolution rule (check `resolution`, also the production step's size refusal): the
    # source face's cheek-to-cheek width in source pixels. The CHSI photo's smallest face width
    # (180 px, 189 px inside the placement margin) reached with at most 1.15x enlargement
    # (produce.max_upscale) needs 164 px; below that the photo would be an upscale (SPEC §3).
    min_face_width_px: int = Field(165, ge=16, le=600)


SHARPNESS = Rule("sharpness", Family.SHARPNESS, EVERYWHERE,
                 Message("照片模糊，请保持不动并对焦", "Photo is blurred: hold still and keep in focus"))
FINE_DETAIL = Rule("fine_detail", Family.SHARPNESS, EVERYWHERE,
                   Message("面部细节不足（模糊或由小图放大），请保持不动、靠近并对焦",
                           "Too little fine detail in the face (blurred, or enlarged from a small picture): "
                           "hold still, come closer and keep in focus"),
                   cadence=Cadence.SCENE)
# Not on live preview frames, whose size says nothing about the still's.
RESOLUTION = Rule("resolution", Family.SHARPNESS, STILL_AND_PRODUCT,
                  Message("分辨率太低：脸部像素太少，成片需要放大；请靠近相机，或使用更大的原图",
                          "Too low a resolution: too few pixels on the face, the photo would be enlarged; "
                          "come closer to the camera or use a larger original"),
                  cadence=None)

# Faces are judged at this cheek-to-cheek width; larger ones are reduced, smaller ones kept.
JUDGE_WIDTH = 160
# Fine detail is judged at this width, below the smallest face the resolution rule accepts, so
# every accepted face must carry detail at this scale.
DETAIL_WIDTH = 100
COARSE_SIGMA = 2.0


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


def face_box(analysis: Analysis) -> tuple[int, int, int, int]:
    pts = analysis.pts[:, :2]
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    height, width = analysis.bgr.shape[:2]
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


class JudgedFace(NamedTuple):
    crop: np.ndarray  # float32 luma of the face box, at JUDGE_WIDTH or smaller
    scale: float  # crop pixels per image pixel
    origin: tuple[int, int]  # the face box's top-left corner in the image


def judged_face(analysis: Analysis) -> JudgedFace | None:
    """The face's luma box at JUDGE_WIDTH or smaller (never enlarged); made once per analysis,
    since both measures start from it."""
    return analysis.memo("judged_face", lambda: _make_judged_face(analysis))


def _make_judged_face(analysis: Analysis) -> JudgedFace | None:
    x0, y0, x1, y1 = face_box(analysis)
    # the face's window only: a live frame converts no more than that
    crop = analysis.luma_window(x0, y0, x1, y1)
    if crop.size < 64:
        return None
    scale = min(1.0, JUDGE_WIDTH / max(analysis.face_width, 1.0))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return JudgedFace(crop.astype(np.float32), scale, (x0, y0))


def face_blur(analysis: Analysis) -> float:
    judged = judged_face(analysis)
    if judged is None:
        return 1.0
    return float(blur_effect(judged.crop / 255.0))


def fine_detail(gray: np.ndarray, mask: np.ndarray) -> float:
    """Upper quartile of the one-pixel Laplacian over that of the coarse gradient, under `mask`."""
    image = gray.astype(np.float32)
    fine = np.abs(cv2.Laplacian(image, cv2.CV_32F, ksize=1))
    smooth = cv2.GaussianBlur(image, (0, 0), COARSE_SIGMA)
    coarse = cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    inside = mask > 0
    if np.count_nonzero(inside) < 64:
        return 1.0
    return upper_quartile(fine[inside]) / max(upper_quartile(coarse[inside]), 1e-6)


def upper_quartile(values: np.ndarray) -> float:
    """The 75th percentile by rank (a partial sort: np.percentile's full sort costs more than the
    filters on every live frame)."""
    rank = (3 * (len(values) - 1)) // 4
    return float(np.partition(values, rank)[rank])


def detail_within(crop: np.ndarray, outline: np.ndarray) -> float:
    """Fine detail of `crop` inside the face outline (in the crop's pixels), kept off the outline
    itself: the face's edge against the background is not the face's own detail."""
    oval = cv2.erode(polygon_mask(crop.shape, outline), np.ones((3, 3), np.uint8))
    return fine_detail(crop, oval)


def face_detail(analysis: Analysis) -> float:
    judged = judged_face(analysis)
    if judged is None:
        return 0.0
    crop = judged.crop
    further = min(1.0, DETAIL_WIDTH / max(analysis.face_width * judged.scale, 1.0))
    if further < 1.0:
        crop = cv2.resize(crop, None, fx=further, fy=further, interpolation=cv2.INTER_AREA)
    outline = (analysis.face_polygon - np.array(judged.origin)) * (judged.scale * further)
    return detail_within(crop, outline)


# the production step refuses a small source with the same words (appliance/produce/photo.py)
RESOLUTION_ZH, RESOLUTION_EN = RESOLUTION.message.zh, RESOLUTION.message.en


def resolution_result(face_width_px: float, settings: ChecksSettings) -> CheckResult:
    """The one resolution rule: the source face's cheek-to-cheek width in source pixels against
    checks.sharpness.min_face_width_px."""
    limit = settings.sharpness.min_face_width_px
    return RESOLUTION.result(face_width_px, float(limit), face_width_px >= limit)


def check_resolution(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    """Its own check: it reads the source's size, not the face, so live preview frames skip it."""
    if analysis.mesh is None or analysis.live:
        return []
    return [resolution_result(analysis.face_width * analysis.pixel_scale, settings)]


def check_sharpness(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.sharpness
    blur = face_blur(analysis)
    return [SHARPNESS.result(blur, cfg.max_blur, blur <= cfg.max_blur)]


def check_fine_detail(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    """Its own check because what it is for (a face enlarged from a small picture) does not change
    from frame to frame: live guidance refreshes it with the slow checks, the blur effect above
    follows motion on every frame."""
    if analysis.mesh is None:
        return []
    limit = settings.sharpness.min_detail
    detail = face_detail(analysis)
    return [FINE_DETAIL.result(detail, limit, detail >= limit)]


# The blur effect follows motion on every live frame; fine detail waits for the scene's turn.
CHECKS = CheckModule((Check(check_sharpness, (SHARPNESS,)), Check(check_fine_detail, (FINE_DETAIL,)),
                      Check(check_resolution, (RESOLUTION,))), "sharpness", SharpnessSettings)
