"""From an accepted capture to the collector's file, or a refusal a person can act on.

The booth and `appliance produce` call produce_photo. It never enlarges a small face into a soft
photo, never invents the part of a person the camera did not see (a head cut by the frame, missing
shoulders), and hands out bytes only when the decoded file passed every check of its preset.
Background the source lacks (a strip above a closely cropped studio portrait) is the preset's
colour like the rest of the background. A refusal is worded for what can be done about it: a
person in front of the camera can step back, a photo brought on a USB stick cannot, so a file's
refusal asks for another photo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np

from appliance.errors import ApplianceError
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.product import ProductGeometry
from appliance.inference.checks.rules import Family
from appliance.inference.checks.sharpness import RESOLUTION_EN, RESOLUTION_ZH, resolution_result
from appliance.inference.config import BACKGROUND_RGB
from appliance.inference.engine import TURNS, Analyzer, Report
from appliance.produce.composite import composite
from appliance.produce.config import BackgroundName, PhotoSpec, ProduceSettings
from appliance.produce.encode import encode_in_window
from appliance.produce.matte import refine_matte
from appliance.produce.measure import FOREHEAD, HeadMeasure, axes, crown_distance, measure_head
from appliance.produce.placement import PersonBorder, Placement, needs_upscale, person_border, place
from appliance.produce.render import warp_to_product
from appliance.produce.verify import product_geometry, verify_product
from appliance.settings import Settings

# Width of the head box either side of the face centre, in face widths: ears and hair included.
HEAD_HALF_WIDTH = 0.72
# A planned crown this close (product px) to an end of its range is measured again in the product frame.
CROWN_RECHECK = 4.0

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


# The same refusals for a photo file (a studio portrait, an upload): what to do is use another one.
FILE_REFUSALS: dict[str, tuple[str, str]] = {
    "no_face": ("照片中未检测到人脸，请使用正面免冠照片", "No face found in the photo: use a frontal portrait"),
    "tilted": ("照片中头部倾斜过大，请使用头部端正的照片",
               "The head is tilted too far in the photo: use one with the head level"),
    "edge_top": ("照片中头顶被裁切，请使用头顶上方留有空白的照片",
                 "The top of the head is cut off in the photo: use one with space above the hair"),
    "edge_left": ("照片中头部被左边缘裁切，请使用头部完整的照片",
                  "The head is cut off at the left edge of the photo: use one showing the whole head"),
    "edge_right": ("照片中头部被右边缘裁切，请使用头部完整的照片",
                   "The head is cut off at the right edge of the photo: use one showing the whole head"),
    "resolution": REFUSALS["resolution"],
    "proportions": ("头部比例无法同时满足头顶、眼睛和脸宽的要求，请使用其他照片",
                    "Head proportions cannot meet crown, eye-line and face-width rules: use another photo"),
    "shoulders_cut": ("照片中下巴以下的部分太少，请使用能看到双肩的照片",
                      "The photo shows too little below the chin: use one with the shoulders visible"),
    "no_shoulders": ("照片中下巴以下的部分太少，请使用能看到双肩的照片",
                     "The photo shows too little below the chin: use one with the shoulders visible"),
}

SourceKind = Literal["camera", "file"]

# A check of the person failed on a photo file: its guidance speaks to someone at the camera
# ("hold your head level"), so for a file it is quoted as the reason and another photo is asked for.
FILE_CHECK_FAILED = ("照片未通过检查（{zh}），请使用其他照片", "The photo fails a check ({en}): use another photo")


def failure_words(check: CheckResult, kind: SourceKind) -> tuple[str, str]:
    """The refusal for a product that failed `check`, worded for its input: the rules of the
    product itself (crown height, file size) read the same for both."""
    if kind == "camera" or check.family == Family.PRODUCT:
        return check.message_zh, check.message_en
    return FILE_CHECK_FAILED[0].format(zh=check.message_zh), FILE_CHECK_FAILED[1].format(en=check.message_en)


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


def refusal(key: str, kind: SourceKind = "camera", **extra: object) -> ProductResult:
    zh, en = (FILE_REFUSALS if kind == "file" else REFUSALS)[key]
    return ProductResult(False, None, zh, en, None, code=key, **extra)  # type: ignore[arg-type]


def choose_background(spec: PhotoSpec, background: str | None) -> BackgroundName:
    name = background or spec.default_background
    if name not in spec.backgrounds:
        raise ProduceError(f"background '{name}' is not allowed for {spec.label_en}: use "
                           + " or ".join(spec.backgrounds))
    return name


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

    Levelling a tilted head turns the frame's corners outside a tight source; a small corner there
    is left as background, anything larger would cut the person and is refused.
    """
    invented = (coverage < 0.5) & (alpha > 0.5)
    if invented.sum() <= max_share * alpha.size:
        return None
    ys = np.flatnonzero(invented.any(axis=1))
    return "shoulders_cut" if ys.max() > chin_y else "edge_top"


def outside_is_background(alpha: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """The matte with everything the source did not see set to background: nothing is invented.

    The warp extends the source's border there so the matte sees no artificial edge; copied into
    the product, a strand of hair touching a studio portrait's top would become a streak and a
    jacket cut by the border would grow. The placement keeps the person off such areas, and
    `_cut_by_frame` refuses a product where more than a sliver of them would be the person.
    """
    return np.where(coverage < 0.5, 0.0, alpha).astype(np.float32)


def _placement(head: HeadMeasure, spec: PhotoSpec, cfg: ProduceSettings, shape: tuple[int, ...],
               border: PersonBorder | None, residual_roll: float) -> tuple[Placement | None, bool]:
    """The placement, and whether it keeps the whole person inside the source (False: placed by
    the rules alone, to be refused for what the product's matte shows cut)."""
    source_size = (shape[1], shape[0])
    found = place(head, spec, cfg.max_upscale, cfg.placement_margin, source_size, border, residual_roll)
    if found is not None:
        return found, True
    # no frame keeps the whole person inside the source: place by the rules alone, and let the
    # product's own matte say which part would be cut (head or shoulders)
    return place(head, spec, cfg.max_upscale, cfg.placement_margin, source_size), False


def _crown_shift(prior: np.ndarray, analysis: Analysis, head: HeadMeasure, placement: Placement,
                 spec: PhotoSpec, beyond_source: bool) -> float | None:
    """How far (product px, up is negative) the crown seen in the product frame lies from the plan,
    when the plan put it so near an end of the crown range that the difference decides, or the
    frame reaches beyond the source.

    The source's mask is coarse on a large still; the product is judged on its own mask, so a
    placement at the range's end is checked there before it is made (a booth capture, placed
    near the targets, never is). A frame beyond the source is a tight portrait's, whose few
    fitting placements are all near some end: on the CFD portraits the product's crown came out
    1.5-3.5 px above the plan, enough to put a placement meant to keep clear of 50 px onto it.
    """
    planned = placement.eye_y - placement.scale * head.eye_to_crown
    if not beyond_source and min(planned - spec.crown_y.low, spec.crown_y.high - planned) > CROWN_RECHECK:
        return None
    matrix = placement.matrix()
    forehead = matrix[:, :2] @ analysis.pts[FOREHEAD, :2] + matrix[:, 2]
    up, across = axes(head.roll - placement.roll)
    distance, _ = crown_distance(prior, forehead, up, across, placement.scale * head.face_width)
    shift = float(forehead[1] + up[1] * distance) - planned
    return shift if abs(shift) > 0.5 else None


def _matte_and_product(image: np.ndarray, prior: np.ndarray, coverage: np.ndarray, face_width: float,
                       cfg: ProduceSettings, colour: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(the refined matte, the product composited on `colour` with everything the source did not
    see as background): the product, and what the verification's mask is read from."""
    alpha = refine_matte(image, prior, face_width, cfg.matte)
    return alpha, _composited(image, alpha, coverage, face_width, colour)


def _composited(image: np.ndarray, alpha: np.ndarray, coverage: np.ndarray, face_width: float,
                colour: tuple[int, int, int]) -> np.ndarray:
    return composite(image, outside_is_background(alpha, coverage), colour, max(9, round(face_width * 0.1)))


def _as_verified(analyzer: Analyzer, product: np.ndarray) -> np.ndarray:
    """The person mask the verification will see: the segmenter's, on the product composited.

    A frame beyond the source leaves placements near the crown range's end; the warped source's
    mask put the crown 1-2 px lower than the verification later read it on the blue composite.
    """
    return analyzer.segmenter.run(cv2.cvtColor(product, cv2.COLOR_BGR2RGB))


def produce_photo(analyzer: Analyzer, bgr: np.ndarray, settings: Settings, background: str | None = None,
                  *, preset: str | None = None, backdrop: np.ndarray | None = None,
                  kind: SourceKind = "camera", analysis: Analysis | None = None) -> ProductResult:
    """The preset's photo of the main face in `bgr` (BGR uint8), verified, or the reason it cannot be.

    `backdrop` is an optional calibrated frame of the empty backdrop, same camera and framing as
    `bgr`; it sharpens the matte where the backdrop is plain. `kind` says whether `bgr` is the
    booth camera's frame or a photo file, for the wording of a refusal. `analysis` is the engine's
    analysis of `bgr` when the caller already made one (the booth's, seeded from the live track):
    it is used instead of analysing `bgr` again.
    """
    cfg: ProduceSettings = settings.produce
    spec = cfg.spec(preset)
    colour_name = choose_background(spec, background)
    if analysis is None:
        analysis = analyzer.analyze(bgr)
    if analysis.rotation:
        # a sideways photo: the analyser found the face in a turned copy, and its findings are in
        # that copy's pixels, so the product is cut from it (a quarter turn loses nothing)
        bgr = analysis.bgr
        if backdrop is not None:
            backdrop = cv2.rotate(backdrop, TURNS[analysis.rotation])
    head = measure_head(analysis)
    if head is None:
        return refusal("no_face", kind)
    if abs(np.degrees(head.roll)) > settings.checks.pose.auto_level_max_deg:
        return refusal("tilted", kind)
    if head.crown_at_edge:
        return refusal("edge_top", kind)
    if not resolution_result(analysis.face_width * analysis.pixel_scale, settings.checks).passed or \
            needs_upscale(head, spec, cfg.max_upscale, cfg.placement_margin):
        return refusal("resolution", kind)
    size = (spec.width, spec.height)
    border = None if analysis.person_mask is None else person_border(analysis.person_mask)
    residual = float(np.radians(settings.checks.pose.max_roll_deg)) / 2
    placement, whole = _placement(head, spec, cfg, bgr.shape, border, residual)
    if placement is None:
        return refusal("proportions", kind)
    image, coverage = warp_to_product(bgr, placement.matrix(), size)
    prior = analyzer.segmenter.run(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    beyond = whole and bool((coverage < 0.5).any())
    colour = BACKGROUND_RGB[colour_name][::-1]
    # made for the verification's mask of a frame beyond the source: when the placement stands and
    # no backdrop plate refines the matte, the same matte and product the steps below would make
    made = _matte_and_product(image, prior, coverage, placement.scale * head.face_width, cfg, colour) \
        if beyond else None
    seen = prior if made is None else _as_verified(analyzer, made[1])
    shift = _crown_shift(seen, analysis, head, placement, spec, beyond)
    if shift is not None:
        planned = placement
        head = replace(head, eye_to_crown=head.eye_to_crown - shift / placement.scale)
        placement, _ = _placement(head, spec, cfg, bgr.shape, border, residual)
        if placement is None:
            return refusal("proportions", kind)
        if placement != planned:  # an unchanged placement has the same warp, prior, matte and product
            made = None
            image, coverage = warp_to_product(bgr, placement.matrix(), size)
            prior = analyzer.segmenter.run(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    result = _render(analyzer, head, placement, image, coverage, prior, spec, cfg, colour_name, kind,
                     backdrop, made)
    if result.code != "verification" or result.report is None or not _placed_off(result.report):
        return result
    # the verification read the head a pixel or so from where the plan put it (its own mask and
    # mesh on the product): plan once more from that reading, so what was planned is what it reads
    geo = product_geometry(result.report.analysis)
    if geo is None:
        return result
    reread = as_read(head, placement, geo)
    again, _ = _placement(reread, spec, cfg, bgr.shape, border, residual)
    if again is None:
        return result
    image, coverage = warp_to_product(bgr, again.matrix(), size)
    prior = analyzer.segmenter.run(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    second = _render(analyzer, reread, again, image, coverage, prior, spec, cfg, colour_name, kind, backdrop, None)
    return second if second.ok else result


# Product rules that say where the head was put; a verification failing only these is re-planned once.
PLACEMENT_RULES = frozenset({"crown_height", "eye_line", "face_width", "centring"})


def _placed_off(report: Report) -> bool:
    return bool(report.failed) and all(check.id in PLACEMENT_RULES for check in report.failed)


def as_read(head: HeadMeasure, placement: Placement, geo: ProductGeometry) -> HeadMeasure:
    """The head as the product's verification measured it: the eye line and the crown where it
    read them, carried back into the source's pixels through the placement."""
    s = placement.scale
    planned_crown = placement.eye_y - s * head.eye_to_crown
    eye_shift = geo.eye_y - placement.eye_y
    crown_shift = geo.crown_y - planned_crown
    up, _ = axes(placement.roll)
    return replace(head, eye_mid=head.eye_mid - up * (eye_shift / s),
                   eye_to_crown=head.eye_to_crown + (eye_shift - crown_shift) / s)


def _render(analyzer: Analyzer, head: HeadMeasure, placement: Placement, image: np.ndarray,
            coverage: np.ndarray, prior: np.ndarray, spec: PhotoSpec, cfg: ProduceSettings,
            colour_name: BackgroundName, kind: SourceKind, backdrop: np.ndarray | None,
            made: tuple[np.ndarray, np.ndarray] | None) -> ProductResult:
    """The product of this placement (warped `image` and its `coverage`), verified, or its refusal.

    `made` is the (matte, product) the crown recheck already composited for this very placement,
    reused when no backdrop plate would refine the matte.
    """
    size = (spec.width, spec.height)
    colour = BACKGROUND_RGB[colour_name][::-1]
    matrix = placement.matrix()
    edge = _head_edge(head, placement, coverage)
    if edge is not None:
        return refusal(edge, kind, image=image, placement=placement)
    face_width = placement.scale * head.face_width
    if backdrop is not None:
        made = None
    plate = None if backdrop is None else warp_to_product(backdrop, matrix, size)[0]
    alpha = refine_matte(image, prior, face_width, cfg.matte, plate) if made is None else made[0]
    chin_y = placement.eye_y + placement.scale * head.eye_to_chin
    cut = _cut_by_frame(alpha, coverage, chin_y, cfg.max_filled_share)
    if cut is not None:
        return refusal(cut, kind, image=image, placement=placement)
    if float(np.mean(alpha[-1] > 0.5)) < cfg.min_shoulder_fill:
        return refusal("no_shoulders", kind, image=image, placement=placement)
    product = _composited(image, alpha, coverage, face_width, colour) if made is None else made[1]
    encoded = encode_in_window(product, int(spec.min_kb * 1024), int(spec.max_kb * 1024),
                               cfg.min_quality, cfg.max_quality, spec.dpi)
    report = verify_product(analyzer, encoded, spec, colour_name, cfg)
    failed = report.failed
    if failed:
        zh, en = failure_words(failed[0], kind)
        return ProductResult(False, None, zh, en, report, image=product,
                             quality=encoded.quality, placement=placement, code="verification")
    return ProductResult(True, encoded.data, "", "", report, image=product, quality=encoded.quality,
                         placement=placement)
