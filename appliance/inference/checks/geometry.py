"""Does the face fit the 480x640 standard photo? Size, centring and room around the head.

In a live frame this is distance and centring guidance. In a still it asks whether the crop that
puts the face at the CHSI targets (face width ~240 px, eye line at 250 px, centred) lies inside
the source; the production step uses the same crop. Whether the face has pixels enough is the
resolution rule of the sharpness checks, not a question of fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings

OUT_W, OUT_H = 480, 640
TARGET_FACE_W, TARGET_EYE_Y = 240, 250
# live framing: the face's cheek-to-cheek width as a share of the frame height
LIVE_MIN_FACE, LIVE_MAX_FACE = 0.22, 0.45
LIVE_MAX_OFFCENTRE = 0.12


@dataclass(frozen=True)
class Crop:
    """Crop of the source, in source px, that becomes the 480x640 photo (before levelling)."""

    x0: float
    y0: float
    scale: float  # output px per source px

    @property
    def width(self) -> float:
        return OUT_W / self.scale

    @property
    def height(self) -> float:
        return OUT_H / self.scale


def target_crop(analysis: Analysis) -> Crop:
    right, left = analysis.eye_centres
    mid = (right + left) / 2
    scale = TARGET_FACE_W / max(analysis.face_width, 1.0)
    return Crop(x0=float(mid[0] - OUT_W / 2 / scale), y0=float(mid[1] - TARGET_EYE_Y / scale), scale=scale)


def shoulder_tilt(analysis: Analysis) -> float | None:
    """Angle (degrees) of the shoulder line relative to the eye line, from the person mask: the top
    of the silhouette a little over one face width either side of the face. None when a shoulder
    is outside the picture."""
    if analysis.person_mask is None:
        return None
    mask = analysis.person_mask > 0.5
    pts = analysis.pts[:, :2]
    width = analysis.face_width
    centre_x = (pts[234, 0] + pts[454, 0]) / 2
    chin_y = int(max(pts[152, 1], 0))
    height, frame_w = mask.shape
    tops = []
    for sign in (-1, 1):
        ys = []
        for offset in np.linspace(0.9, 1.4, 6):
            x = int(centre_x + sign * offset * width)
            if 0 <= x < frame_w and chin_y < height:
                column = np.flatnonzero(mask[chin_y:, x])
                if len(column):
                    ys.append(chin_y + column[0])
        if len(ys) < 3:
            return None
        tops.append(float(np.median(ys)))
    line = float(np.degrees(np.arctan2(tops[1] - tops[0], 2 * 1.15 * width)))
    return line - float(np.degrees(analysis.roll_rad))


def check_geometry(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    height, width = analysis.bgr.shape[:2]
    face_w = analysis.face_width
    right, left = analysis.eye_centres
    mid = (right + left) / 2
    shoulders = []
    tilt = shoulder_tilt(analysis)
    if tilt is not None:
        limit = settings.geometry.max_shoulder_tilt_deg
        shoulders.append(result("shoulders_level", "geometry", tilt, limit, abs(tilt) <= limit,
                                "请放平双肩，身体正对镜头", "Keep your shoulders level and face the camera square"))
    if analysis.live:
        share = face_w / height
        offset = (mid[0] - width / 2) / width
        far = share < LIVE_MIN_FACE
        return [
            result("framing_distance", "geometry", share, f"{LIVE_MIN_FACE:g}-{LIVE_MAX_FACE:g}",
                   LIVE_MIN_FACE <= share <= LIVE_MAX_FACE,
                   "请靠近一些" if far else "请后退一些", "Come a little closer" if far else "Step back a little"),
            result("framing_centre", "geometry", offset, LIVE_MAX_OFFCENTRE, abs(offset) <= LIVE_MAX_OFFCENTRE,
                   "请向画面中间移动", "Move to the middle of the frame"),
            *shoulders,
        ]
    crop = target_crop(analysis)
    tol = 2.0 / crop.scale
    room = {
        "top": -crop.y0, "bottom": crop.y0 + crop.height - height,
        "left": -crop.x0, "right": crop.x0 + crop.width - width,
    }
    worst = max(room, key=lambda k: room[k])
    fits = room[worst] <= tol
    zh = {"top": "头顶", "bottom": "肩膀", "left": "左侧", "right": "右侧"}[worst]
    results = [
        result("crop_fits", "geometry", float(np.clip(room[worst] * crop.scale, -9999, 9999)), 0.0, fits,
               f"{zh}离画面边缘太近，请调整位置", f"Too close to the {worst} edge of the frame: leave more room"),
        *shoulders,
    ]
    return results
