"""Proof that a produced file meets its preset: the engine's checks plus the preset's pixel rules.

The product is decoded from its own JPEG bytes and analysed from scratch, so what is verified is
the file a collector receives, not the array it was made from. The engine's geometry check knows
only the CHSI 480x640 targets, so for another size the preset's own rules stand in for it. Rules
that judge a source frame (can the target crop be cut from it?) say nothing about a product, whose
crop is already made: its crown, eye line, face width and centring are judged by the preset. The
product rules themselves (ids, wording) are declared in appliance/inference/checks/product.py.
"""

from __future__ import annotations

import cv2
import numpy as np

from appliance.errors import ImageError
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.geometry import FRAMING_PRESET
from appliance.inference.checks.product import ProductGeometry, file_results, geometry_results
from appliance.inference.checks.registry import ENGINE_RULES
from appliance.inference.checks.rules import Family, Stage
from appliance.inference.config import ChecksSettings
from appliance.inference.engine import Analyzer, Report
from appliance.produce.config import BackgroundName, PhotoSpec, ProduceSettings
from appliance.produce.encode import Encoded
from appliance.produce.measure import axes, measure_head

# Engine rules about a source frame, not a product (the catalogue's stages): crop_fits asks whether
# the crop at the engine's fixed targets lies inside the image, which a product framed anywhere in
# the preset's ranges fails.
SOURCE_FRAME_RULES = frozenset(rule.id for rule in ENGINE_RULES if Stage.PRODUCT not in rule.stages)


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


def verify_product(analyzer: Analyzer, encoded: Encoded, spec: PhotoSpec, background: BackgroundName,
                   settings: ProduceSettings) -> Report:
    """Every engine check in product mode against the chosen colour, plus the preset's own rules."""
    bgr = cv2.imdecode(np.frombuffer(encoded.data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageError("produce: the encoded photo cannot be decoded for its verification")
    checks_settings: ChecksSettings = analyzer.settings.model_copy(
        update={"background": analyzer.settings.background.model_copy(update={"color": background})})
    analysis = analyzer.analyze(bgr, product=True)
    native_size = (spec.width, spec.height) == (FRAMING_PRESET.width, FRAMING_PRESET.height)
    results: list[CheckResult] = [r for r in analyzer.evaluate(analysis, checks_settings)
                                  if (native_size or r.family != Family.GEOMETRY) and r.id not in SOURCE_FRAME_RULES]
    geo = product_geometry(analysis)
    if geo is not None:
        results.extend(geometry_results(geo, spec, settings.min_shoulder_fill))
    results.extend(file_results(encoded.data, spec, encoded.quality, settings.min_quality))
    verdict = "pass" if results and all(r.passed for r in results) else "fail"
    return Report(verdict=verdict, checks=results, analysis=analysis, timings=dict(analysis.timings))
