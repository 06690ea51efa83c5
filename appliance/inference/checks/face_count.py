"""Exactly one face: a second person, a poster or a phone screen behind the subject all fail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class FaceCountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_score: float = Field(0.6, ge=0.3, le=0.95)
    # A second face smaller than this fraction of the main one (a poster behind the subject) is
    # still a second face; below it, it is detector noise.
    min_relative_size: float = Field(0.25, ge=0.05, le=1.0)


FACE_COUNT = Rule("face_count", Family.FACE_COUNT, EVERYWHERE,
                  Message("画面中有多张人脸，请只留本人", "More than one face: only the subject may be in view"),
                  variants={"none": Message("未检测到人脸，请正对镜头", "No face found: look straight at the camera")})


def relevant_faces(analysis: Analysis, settings: ChecksSettings) -> int:
    if not analysis.faces:
        return 0
    main = analysis.faces[0].width
    return sum(1 for f in analysis.faces if f.width >= settings.face_count.min_relative_size * main)


def check_face_count(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    count = relevant_faces(analysis, settings)
    if count == 0:
        return [FACE_COUNT.result(0, 1, False, variant="none")]
    return [FACE_COUNT.result(count, 1, count == 1)]


CHECKS = CheckModule((Check(check_face_count, (FACE_COUNT,)),), "face_count", FaceCountSettings)
