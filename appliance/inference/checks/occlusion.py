"""Hair off the eyebrows and both ears visible.

The band above the eyebrows should look like the subject's skin, and the areas beside the cheeks
at ear height like that side's cheek (an ear) or like no person at all (background beside short
hair); where hair (or anything else) covers them they do not. The worse ear decides. Hair close
to the skin's own colour (light blonde, auburn) is not told from an ear this way.
"""

from __future__ import annotations

import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import SkinModel, box_mask, limit_to, skin_model, within_person
from appliance.inference.checks.base import CheckResult, result
from appliance.inference.config import ChecksSettings

# How far (relative lightness, Lab chroma distance) a pixel beside the cheek may be from that
# cheek's skin and still be taken for the ear.
EAR_LUMA_TOLERANCE = 0.35
EAR_CHROMA_TOLERANCE = 20.0
# Shares and medians of these small areas are read from a regular sample about this many pixels
# across: a still's ear area holds thousands of pixels that add time but not information.
EAR_SAMPLE_WIDTH = 24
BAND_SAMPLE_WIDTH = 64


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels


def brow_band_box(analysis: Analysis) -> Box:
    """The forehead band just above the brows."""
    brows = analysis.pts[list(lm.RIGHT_BROW) + list(lm.LEFT_BROW), :2]
    top = float(brows[:, 1].min())
    unit = analysis.eye_to_chin
    return float(brows[:, 0].min()), top - 0.22 * unit, float(brows[:, 0].max()), top - 0.02 * unit


def ear_boxes(analysis: Analysis) -> list[tuple[Box, Box]]:
    """Per side (image-left, image-right): (the area beside the cheek at ear height, that cheek)."""
    p = analysis.pts[:, :2]
    width = analysis.face_width
    eye_y = float(np.mean([c[1] for c in analysis.eye_centres]))
    nose_y = float(p[lm.NOSE_TIP, 1])
    boxes = []
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        x = float(p[edge, 0])
        boxes.append(((x + outward * 0.02 * width, eye_y, x + outward * 0.18 * width, nose_y),
                      (x - outward * 0.04 * width, eye_y, x - outward * 0.16 * width, nose_y)))
    return boxes


def brow_cover(analysis: Analysis, skin: SkinModel) -> float:
    """Share of the forehead band just above the brows that is not skin."""
    lab = skin.pixels(box_mask(analysis.bgr.shape, *brow_band_box(analysis)), sample_width=BAND_SAMPLE_WIDTH)
    if len(lab) < 10:
        return 0.0
    return float(1.0 - np.mean(skin.skin_like(lab)))


def ear_cover(analysis: Analysis, skin: SkinModel) -> tuple[float, float]:
    """Per side (image-left, image-right): share of the area beside the cheek at ear height that is
    the person but unlike that cheek's own skin, i.e. hair (or a scarf) over the ear.

    The comparison is with the adjacent cheek, not the whole face, because an ear shares its
    side's light: on a side-lit face the ear in shade matches the shaded cheek. Background beside a
    short-haired head is not the person and does not count as cover.
    """
    covers = []
    for beside_box, cheek_box in ear_boxes(analysis):
        beside = box_mask(analysis.bgr.shape, *beside_box)
        area = max(int(np.count_nonzero(beside)), 1)
        person = within_person(beside, analysis, 0.5)
        person_share = np.count_nonzero(person) / area
        cheek = box_mask(analysis.bgr.shape, *cheek_box)
        cheek_lab = skin.pixels(limit_to(cheek, analysis.skin_mask), sample_width=EAR_SAMPLE_WIDTH)
        reference = np.median(cheek_lab, axis=0) if len(cheek_lab) >= 10 else skin.reference
        lab = skin.pixels(person, sample_width=EAR_SAMPLE_WIDTH)
        if not len(lab):
            covers.append(0.0)
            continue
        unlike = np.abs(lab[:, 0] - reference[0]) > EAR_LUMA_TOLERANCE * max(float(reference[0]), 1.0)
        if not analysis.grayscale:
            unlike |= np.linalg.norm(lab[:, 1:] - reference[1:], axis=1) > EAR_CHROMA_TOLERANCE
        covers.append(float(np.mean(unlike)) * person_share)
    return covers[0], covers[1]


def check_occlusion(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.occlusion
    skin = skin_model(analysis)
    cover = brow_cover(analysis, skin)
    results = [
        result("hair_over_brows", "occlusion", cover, cfg.max_brow_cover, cover <= cfg.max_brow_cover,
               "请把刘海拨开，露出眉毛和额头", "Move your hair off the eyebrows and forehead"),
    ]
    if cfg.check_ears:
        cover = max(ear_cover(analysis, skin))
        results.append(result("ears_visible", "occlusion", cover, cfg.max_ear_cover, cover <= cfg.max_ear_cover,
                              "请把头发拢到耳后，露出双耳", "Tuck your hair behind your ears so both ears show"))
    return results
