"""From an accepted capture to the collector's file, or a refusal a person can act on.

The booth and `appliance produce` call produce_photo. It never enlarges a small face into a soft
photo, never invents the part of a person the camera did not see (a head cut by the frame, missing
shoulders), and hands out bytes only when the decoded file passed every check of its preset.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.errors import ApplianceError
from appliance.inference.checks.sharpness import RESOLUTION_EN, RESOLUTION_ZH, resolution_result
from appliance.inference.config import BACKGROUND_RGB
from appliance.inference.engine import Analyzer, Report
from appliance.produce.composite import composite
from appliance.produce.config import BackgroundName, PhotoSpec, ProduceSettings
from appliance.produce.encode import encode_in_window
from appliance.produce.matte import refine_matte
from appliance.produce.measure import HeadMeasure, measure_head
from appliance.produce.placement import Placement, needs_upscale, place
from appliance.produce.render import warp_to_product
from appliance.produce.verify import verify_product
from appliance.settings import Settings

# Width of the head box either side of the face centre, in face widths: ears and hair included.
HEAD_HALF_WIDTH = 0.72

REFUSALS: dict[str, tuple[str, str]] = {
    "no_face": ("未检测到人脸，请正对相机", "No face found: face the camera"),
    "tilted": ("头部倾斜过大，请摆正头部", "Head tilted too far: hold your head level"),
    "edge_top": ("头顶离画面上边缘太近，请降低相机或向下移动", "Head too close to the top edge: move down"),
    "edge_left": ("头部离画面左边缘太近，请向画面中间移动",
                  "Head too close to the left edge: move to the middle"),
    "edge_right": ("头部离画面右边缘太近，请向画面中间移动",
                   "Head too close to the right edge: move to the middle"),
    # the checks' one resolution rule and message (checks.sharpness.min_face_width_px)
    "resolution": (RESOLUTION_ZH, RESOLUTION_EN),
    "proportions": ("头部比例无法同时满足头顶、眼睛和脸宽的要求，请整理头发后重拍",
                    "Head proportions cannot meet crown, eye-line and face-width rules: fix hair and retake"),
    "shoulders_cut": ("肩膀被画面裁切，请后退一些并站到画面中间",
                      "Shoulders cut off by the frame: step back and stand in the middle"),
    "no_shoulders": ("照片中看不到肩膀，请后退一些", "Shoulders not visible: step back a little"),
}


class ProduceError(ApplianceError):
    """A production request that cannot be served as asked (unknown preset, colour not allowed)."""


@dataclass
class ProductResult:
    ok: bool
    jpeg: bytes | None
    reason_zh: str
    reason_en: str
    report: Report | None
    # the rendered product (also when refused after rendering), for contact sheets and diagnosis
    image: np.ndarray | None = None
    quality: int | None = None
    placement: Placement | None = None
    # which refusal (a key of REFUSALS), "verification" when the product failed a check, "" when ok
    code: str = ""


def refusal(key: str, **extra: object) -> ProductResult:
    zh, en = REFUSALS[key]
    return ProductResult(False, None, zh, en, None, code=key, **extra)  # type: ignore[arg-type]


def choose_background(spec: PhotoSpec, background: str | None) -> BackgroundName:
    name = background or spec.default_background
    if name not in spec.backgrounds:
        raise ProduceError(f"background '{name}' is not allowed for {spec.label_en}: use "
                           + " or ".join(spec.backgrounds))
    return name  # type: ignore[return-value]


def _head_edge(head: HeadMeasure, placement: Placement, coverage: np.ndarray) -> str | None:
    """Which frame edge cuts into the head box (crown to chin, ear to ear), if any."""
    height, width = coverage.shape
    s = placement.scale
    cx = placement.eye_x + s * head.centre_offset
    half = HEAD_HALF_WIDTH * s * head.face_width
    top = int(np.floor(placement.eye_y - s * head.eye_to_crown))
    bottom = int(np.ceil(placement.eye_y + s * head.eye_to_chin))
    left, right = int(np.floor(cx - half)), int(np.ceil(cx + half))
    if top < 0:
        return "edge_top"
    if left < 0:
        return "edge_left"
    if right > width:
        return "edge_right"
    ys, xs = np.nonzero(coverage[top:min(bottom, height), left:right] < 0.99)
    if len(ys) == 0:
        return None
    if ys.mean() < 0.2 * (bottom - top):
        return "edge_top"
    return "edge_left" if xs.mean() < (right - left) / 2 else "edge_right"


def _cut_by_frame(alpha: np.ndarray, coverage: np.ndarray, chin_y: float, max_share: float) -> str | None:
    """The person continues beyond the source's border over more than a sliver of the product.

    Levelling a tilted head turns the frame's corners outside a tight source; a small corner of
    jacket is filled by extending the border, anything larger would be invented and is refused.
    """
    invented = (coverage < 0.5) & (alpha > 0.5)
    if invented.sum() <= max_share * alpha.size:
        return None
    ys = np.flatnonzero(invented.any(axis=1))
    return "shoulders_cut" if ys.max() > chin_y else "edge_top"


def produce_photo(analyzer: Analyzer, bgr: np.ndarray, settings: Settings, background: str | None = None,
                  *, preset: str | None = None, backdrop: np.ndarray | None = None) -> ProductResult:
    """The preset's photo of the main face in `bgr` (BGR uint8), verified, or the reason it cannot be.

    `backdrop` is an optional calibrated frame of the empty backdrop, same camera and framing as
    `bgr`; it sharpens the matte where the backdrop is plain.
    """
    cfg: ProduceSettings = settings.produce
    spec = cfg.spec(preset)
    colour_name = choose_background(spec, background)
    analysis = analyzer.analyze(bgr)
    head = measure_head(analysis)
    if head is None:
        return refusal("no_face")
    if abs(np.degrees(head.roll)) > settings.checks.pose.auto_level_max_deg:
        return refusal("tilted")
    if head.crown_at_edge:
        return refusal("edge_top")
    if not resolution_result(analysis.face_width * analysis.pixel_scale, settings.checks).passed or \
            needs_upscale(head, spec, cfg.max_upscale, cfg.placement_margin):
        return refusal("resolution")
    placement = place(head, spec, cfg.max_upscale, cfg.placement_margin, (bgr.shape[1], bgr.shape[0]))
    if placement is None:
        return refusal("proportions")
    matrix = placement.matrix()
    size = (spec.width, spec.height)
    image, coverage = warp_to_product(bgr, matrix, size)
    edge = _head_edge(head, placement, coverage)
    if edge is not None:
        return refusal(edge, image=image, placement=placement)
    prior = analyzer.segmenter.run(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    face_width = placement.scale * head.face_width
    plate = None if backdrop is None else warp_to_product(backdrop, matrix, size)[0]
    alpha = refine_matte(image, prior, face_width, cfg.matte, plate)
    chin_y = placement.eye_y + placement.scale * head.eye_to_chin
    cut = _cut_by_frame(alpha, coverage, chin_y, cfg.max_filled_share)
    if cut is not None:
        return refusal(cut, image=image, placement=placement)
    if float(np.mean(alpha[-1] > 0.5)) < cfg.min_shoulder_fill:
        return refusal("no_shoulders", image=image, placement=placement)
    colour = BACKGROUND_RGB[colour_name][::-1]
    product = composite(image, alpha, colour, max(9, round(face_width * 0.1)))
    encoded = encode_in_window(product, int(spec.min_kb * 1024), int(spec.max_kb * 1024),
                               cfg.min_quality, cfg.max_quality, spec.dpi)
    report = verify_product(analyzer, encoded, spec, colour_name, cfg)
    failed = report.failed
    if failed:
        first = failed[0]
        return ProductResult(False, None, first.message_zh, first.message_en, report, image=product,
                             quality=encoded.quality, placement=placement, code="verification")
    return ProductResult(True, encoded.data, "", "", report, image=product, quality=encoded.quality,
                         placement=placement)
