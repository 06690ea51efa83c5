"""The produced file's own rules: where the preset puts the head, and the file's size and quality.

A product is judged by its preset (appliance/produce/config.py: PhotoSpec and its PixelRanges)
and the production settings (`[produce]` min_shoulder_fill, min_quality), not by thresholds of
their own: the numbers are the collector's, so they live with the preset, and these rules only
name what is compared and how a failure is worded. The head is measured on the decoded product by
appliance/produce/verify.py, which runs the engine's checks and these together.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import ONLY_PRODUCT, Family, Message, Rule
from appliance.produce.config import PhotoSpec, PixelRange


def _product_rule(rule_id: str, zh: str, en: str) -> Rule:
    return Rule(rule_id, Family.PRODUCT, ONLY_PRODUCT, Message(zh, en), cadence=None)


CROWN_HEIGHT = _product_rule("crown_height", "头顶位置不符合要求", "Top of the head is not at the required height")
EYE_LINE = _product_rule("eye_line", "眼睛高度不符合要求", "Eye line is not at the required height")
FACE_WIDTH = _product_rule("face_width", "脸部宽度不符合要求", "Face width is outside the required range")
CENTRING = _product_rule("centring", "人像没有水平居中", "Face is not centred horizontally")
SHOULDERS = _product_rule("shoulders", "肩膀没有到达照片底边", "Shoulders do not reach the bottom edge")
HEAD_LENGTH = _product_rule("head_length", "头部长度不符合要求", "Head length is outside the required range")
FILE_SIZE_KB = _product_rule("file_size_kb", "文件大小不在要求范围内", "File size is outside the required window")
JPEG_QUALITY = _product_rule("jpeg_quality", "压缩质量过低", "JPEG quality is below the floor")

RULES: tuple[Rule, ...] = (CROWN_HEIGHT, EYE_LINE, FACE_WIDTH, CENTRING, SHOULDERS, HEAD_LENGTH,
                           FILE_SIZE_KB, JPEG_QUALITY)


@dataclass(frozen=True)
class ProductGeometry:
    crown_y: float
    eye_y: float
    face_width: float
    centre_x: float
    head_length: float
    shoulder_fill: float  # share of the bottom row that is the person


def _span(rng: PixelRange) -> str:
    return f"{rng.low:g}-{rng.high:g}"


def geometry_results(geo: ProductGeometry, spec: PhotoSpec, min_shoulder_fill: float) -> list[CheckResult]:
    off_centre = geo.centre_x - spec.width / 2
    results = [
        CROWN_HEIGHT.result(geo.crown_y, _span(spec.crown_y), spec.crown_y.holds(geo.crown_y)),
        EYE_LINE.result(geo.eye_y, _span(spec.eye_y), spec.eye_y.holds(geo.eye_y)),
        FACE_WIDTH.result(geo.face_width, _span(spec.face_width), spec.face_width.holds(geo.face_width)),
        CENTRING.result(off_centre, spec.centre_tolerance, abs(off_centre) <= spec.centre_tolerance),
        SHOULDERS.result(geo.shoulder_fill, min_shoulder_fill, geo.shoulder_fill >= min_shoulder_fill),
    ]
    if spec.head_length is not None:
        results.append(HEAD_LENGTH.result(geo.head_length, _span(spec.head_length),
                                          spec.head_length.holds(geo.head_length)))
    return results


def file_results(data: bytes, spec: PhotoSpec, quality: int, min_quality: int) -> list[CheckResult]:
    size_kb = len(data) / 1024
    return [
        FILE_SIZE_KB.result(size_kb, f"{spec.min_kb:g}-{spec.max_kb:g}", spec.min_kb <= size_kb <= spec.max_kb),
        JPEG_QUALITY.result(float(quality), float(min_quality), quality >= min_quality),
    ]
