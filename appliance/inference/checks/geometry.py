"""Does the face fit the 480x640 standard photo? Size, centring and room around the head.

In a live frame this is distance and centring guidance. In a still it asks whether the crop that
puts the face at the CHSI preset's targets (face width 240 px, eye line at 250 px, centred) lies
inside the source; the production step uses the same crop. The size and targets are read from
that preset (appliance/produce/config.py CHSI_GRADUATION), the one the booth is framed for; a
product of another preset is judged by its own preset's rules (checks/product.py). Whether the
face has pixels enough is the resolution rule of the sharpness checks, not a question of fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import (
    EVERYWHERE,
    ONLY_LIVE,
    ONLY_STILL,
    Check,
    CheckModule,
    Family,
    Message,
    Rule,
    require_below,
)
from appliance.produce.config import CHSI_GRADUATION

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings

# The photo the booth frames for: its size, and where the face is put in it.
FRAMING_PRESET = CHSI_GRADUATION
OUT_W, OUT_H = FRAMING_PRESET.width, FRAMING_PRESET.height
TARGET_FACE_W, TARGET_EYE_Y = FRAMING_PRESET.face_width.target, FRAMING_PRESET.eye_y.target


class GeometrySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Head must leave room above it for the crown margin and below it for the shoulders.
    min_top_margin_ratio: float = Field(0.25, ge=0.0, le=1.0)
    min_bottom_margin_ratio: float = Field(0.6, ge=0.0, le=3.0)
    min_side_margin_ratio: float = Field(0.3, ge=0.0, le=2.0)
    # Shoulder line against the eye line, where both shoulders are in view ("左右肩膀平衡").
    max_shoulder_tilt_deg: float = Field(8.0, ge=1.0, le=30.0)
    # Live framing: the face's cheek-to-cheek width as a share of the preview frame's height, and
    # the eye midpoint's distance from the frame's middle as a share of its width.
    live_min_face_share: float = Field(0.22, ge=0.05, le=0.9)
    live_max_face_share: float = Field(0.45, ge=0.05, le=0.9)
    live_max_offcentre: float = Field(0.12, ge=0.01, le=0.5)

    @model_validator(mode="after")
    def _smallest_below_largest(self) -> GeometrySettings:
        # A smallest face share at or above the largest would send every subject back and forth.
        require_below(self.live_min_face_share, self.live_max_face_share, "live_min_face_share",
                      "live_max_face_share", "实时取景的最小脸部比例", "最大比例")
        return self


SHOULDERS_LEVEL = Rule("shoulders_level", Family.GEOMETRY, EVERYWHERE,
                       Message("请放平双肩，身体正对镜头", "Keep your shoulders level and face the camera square"))
FRAMING_DISTANCE = Rule("framing_distance", Family.GEOMETRY, ONLY_LIVE,
                        Message("请靠近一些", "Come a little closer"),
                        variants={"back": Message("请后退一些", "Step back a little")})
FRAMING_CENTRE = Rule("framing_centre", Family.GEOMETRY, ONLY_LIVE,
                      Message("请向画面中间移动", "Move to the middle of the frame"))
# A source frame's question (can the crop at the preset's targets be cut from it?): a product,
# framed anywhere within its preset's ranges, is judged by the product rules instead.
CROP_FITS = Rule("crop_fits", Family.GEOMETRY, ONLY_STILL,
                 Message("{edge_zh}离画面边缘太近，请调整位置",
                         "Too close to the {edge} edge of the frame: leave more room"),
                 cadence=None)


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
    # only a dozen columns are read: comparing them alone, not the whole frame, on every live frame
    mask = analysis.person_mask
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
                column = np.flatnonzero(mask[chin_y:, x] > 0.5)
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
        shoulders.append(SHOULDERS_LEVEL.result(tilt, limit, abs(tilt) <= limit))
    if analysis.live:
        cfg = settings.geometry
        share = face_w / height
        offset = (mid[0] - width / 2) / width
        low, high = cfg.live_min_face_share, cfg.live_max_face_share
        return [
            FRAMING_DISTANCE.result(share, f"{low:g}-{high:g}", low <= share <= high,
                                    variant=None if share < low else "back"),
            FRAMING_CENTRE.result(offset, cfg.live_max_offcentre, abs(offset) <= cfg.live_max_offcentre),
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
    edge_zh = {"top": "头顶", "bottom": "肩膀", "left": "左侧", "right": "右侧"}[worst]
    results = [
        CROP_FITS.result(float(np.clip(room[worst] * crop.scale, -9999, 9999)), 0.0, fits,
                         edge_zh=edge_zh, edge=worst),
        *shoulders,
    ]
    return results


CHECKS = CheckModule((Check(check_geometry, (SHOULDERS_LEVEL, FRAMING_DISTANCE, FRAMING_CENTRE, CROP_FITS)),),
                     "geometry", GeometrySettings)
