"""Proof that a produced file meets its preset: the engine's checks plus the preset's pixel rules.

The product is decoded from its own JPEG bytes and analysed from scratch, so what is verified is
the file a collector receives, not the array it was made from. The engine's geometry check knows
only the CHSI 480x640 targets, so for another size the preset's own rules stand in for it. Rules
that judge a source frame (can the target crop be cut from it?) say nothing about a product, whose
crop is already made: its crown, eye line, face width and centring are judged by the preset.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.errors import ImageError
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.checks.geometry import OUT_H, OUT_W
from appliance.inference.config import ChecksSettings
from appliance.inference.engine import Analyzer, Report
from appliance.produce.config import BackgroundName, PhotoSpec, PixelRange, ProduceSettings
from appliance.produce.encode import Encoded
from appliance.produce.measure import axes, measure_head

FAMILY = "product"
# Engine checks about a source frame, not a product: crop_fits asks whether the crop at the engine's
# fixed targets lies inside the image, which a product framed anywhere in the preset's ranges fails.
SOURCE_FRAME_RULES = frozenset({"crop_fits"})


@dataclass(frozen=True)
class ProductGeometry:
    crown_y: float
    eye_y: float
    face_width: float
    centre_x: float
    head_length: float
    shoulder_fill: float  # share of the bottom row that is the person


def product_geometry(analysis: Analysis) -> ProductGeometry | None:
    head = measure_head(analysis)
    if head is None or analysis.person_mask is None:
        return None
    up, across = axes(head.roll)
    crown = head.eye_mid + up * head.eye_to_crown
    centre = head.eye_mid + across * head.centre_offset
    bottom = analysis.person_mask[-1]
    return ProductGeometry(
        crown_y=float(crown[1]),
        eye_y=float(head.eye_mid[1]),
        face_width=head.face_width,
        centre_x=float(centre[0]),
        head_length=head.eye_to_crown + head.eye_to_chin,
        shoulder_fill=float(np.mean(bottom > 0.5)),
    )


def geometry_results(geo: ProductGeometry, spec: PhotoSpec, min_shoulder_fill: float) -> list[CheckResult]:
    def span(rng: PixelRange) -> str:
        return f"{rng.low:g}-{rng.high:g}"

    results = [
        result("crown_height", FAMILY, geo.crown_y, span(spec.crown_y), spec.crown_y.holds(geo.crown_y),
               "头顶位置不符合要求", "Top of the head is not at the required height"),
        result("eye_line", FAMILY, geo.eye_y, span(spec.eye_y), spec.eye_y.holds(geo.eye_y),
               "眼睛高度不符合要求", "Eye line is not at the required height"),
        result("face_width", FAMILY, geo.face_width, span(spec.face_width),
               spec.face_width.holds(geo.face_width),
               "脸部宽度不符合要求", "Face width is outside the required range"),
        result("centring", FAMILY, geo.centre_x - spec.width / 2, spec.centre_tolerance,
               abs(geo.centre_x - spec.width / 2) <= spec.centre_tolerance,
               "人像没有水平居中", "Face is not centred horizontally"),
        result("shoulders", FAMILY, geo.shoulder_fill, min_shoulder_fill,
               geo.shoulder_fill >= min_shoulder_fill,
               "肩膀没有到达照片底边", "Shoulders do not reach the bottom edge"),
    ]
    if spec.head_length is not None:
        results.append(result("head_length", FAMILY, geo.head_length, span(spec.head_length),
                              spec.head_length.holds(geo.head_length),
                              "头部长度不符合要求", "Head length is outside the required range"))
    return results


def file_results(data: bytes, spec: PhotoSpec, quality: int, min_quality: int) -> list[CheckResult]:
    size_kb = len(data) / 1024
    return [
        result("file_size_kb", FAMILY, size_kb, f"{spec.min_kb:g}-{spec.max_kb:g}",
               spec.min_kb <= size_kb <= spec.max_kb,
               "文件大小不在要求范围内", "File size is outside the required window"),
        result("jpeg_quality", FAMILY, float(quality), float(min_quality), quality >= min_quality,
               "压缩质量过低", "JPEG quality is below the floor"),
    ]


def verify_product(analyzer: Analyzer, encoded: Encoded, spec: PhotoSpec, background: BackgroundName,
                   settings: ProduceSettings) -> Report:
    """Every engine check in product mode against the chosen colour, plus the preset's own rules."""
    bgr = cv2.imdecode(np.frombuffer(encoded.data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageError("produce: the encoded photo cannot be decoded for its verification")
    checks_settings: ChecksSettings = analyzer.settings.model_copy(
        update={"background": analyzer.settings.background.model_copy(update={"color": background})})
    analysis = analyzer.analyze(bgr, product=True)
    native_size = (spec.width, spec.height) == (OUT_W, OUT_H)
    results: list[CheckResult] = [r for r in analyzer.evaluate(analysis, checks_settings)
                                  if (native_size or r.family != "geometry") and r.id not in SOURCE_FRAME_RULES]
    geo = product_geometry(analysis)
    if geo is not None:
        results.extend(geometry_results(geo, spec, settings.min_shoulder_fill))
    results.extend(file_results(encoded.data, spec, encoded.quality, settings.min_quality))
    verdict = "pass" if results and all(r.passed for r in results) else "fail"
    return Report(verdict=verdict, checks=results, analysis=analysis, timings=dict(analysis.timings))
