"""Exactly one face: a second person, a poster or a phone screen behind the subject all fail."""

from __future__ import annotations

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings


def relevant_faces(analysis: Analysis, settings: ChecksSettings) -> int:
    if not analysis.faces:
        return 0
    main = analysis.faces[0].width
    return sum(1 for f in analysis.faces if f.width >= settings.face_count.min_relative_size * main)


def check_face_count(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    count = relevant_faces(analysis, settings)
    if count == 0:
        return [result("face_count", "face_count", 0, 1, False,
                       "未检测到人脸，请正对镜头", "No face found: look straight at the camera")]
    return [result("face_count", "face_count", count, 1, count == 1,
                   "画面中有多张人脸，请只留本人", "More than one face: only the subject may be in view")]
