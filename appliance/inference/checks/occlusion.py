"""Hair off the eyebrows and both ears visible.

The band above the eyebrows should look like the subject's skin, and beside each cheek at ear
height some of the person should look like that side's cheek (the ear) in every row (see
ear_cover); where hair (or anything else) covers them they do not. The worse ear decides. Hair very
close to the skin's own colour (light blonde, ginger under bright light) is not told from an ear
this way.

On a still and a product the face parser (inference/face_parsing.py) is a second witness for the
ears (see parsed_ear_drop): hair worn down hides an ear's top first, while hair tucked behind it
leaves the whole ear showing, and the parser tells ear from hair of any colour. Either witness
failing fails the check. Live frames have no parse and keep the colour measure alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import face_parsing as fp
from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import SkinModel, box_mask, limit_to, skin_model
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.face_scale import Box
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class OcclusionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Share of the band above the brows that does not look like the subject's skin. Frontal
    # photos with hair swept back read up to ~0.77 (shadow and skin texture), fringes 0.8-1.0.
    max_brow_cover: float = Field(0.8, ge=0.05, le=1.0)
    # Share of the rows beside each cheek at ear height (eye line to nose tip) where the person
    # continues but no ear skin shows (hair over the ear); the worse side counts. On
    # ../shared/faces visible ears read up to ~0.55 (hair worn behind them included), hair worn
    # down over them 0.7-1.0.
    check_ears: bool = True
    max_ear_cover: float = Field(0.65, ge=0.05, le=1.0)
    # On stills and products (the face parser): how far below the eye line, in face widths, the
    # top of the worse side's ear shows (1.0 where no ear shows at all and hair is beside the
    # cheek). On ../shared/faces' 75 good photos (ears visible, hair tucked behind included) the
    # worse side reads at most 0.12; hair worn down over the ears 0.18-1.0.
    max_parsed_ear_drop: float = Field(0.15, ge=0.0, le=1.0)


HAIR_OVER_BROWS = Rule("hair_over_brows", Family.OCCLUSION, EVERYWHERE,
                       Message("请把刘海拨开，露出眉毛和额头", "Move your hair off the eyebrows and forehead"),
                       cadence=Cadence.EARS)
EARS_VISIBLE = Rule("ears_visible", Family.OCCLUSION, EVERYWHERE,
                    Message("请把头发拢到耳后，露出双耳", "Tuck your hair behind your ears so both ears show"),
                    cadence=Cadence.EARS)

# How far (relative lightness, Lab chroma distance) a pixel beside the cheek may be from that
# cheek's skin and still be taken for the ear.
EAR_LUMA_TOLERANCE = 0.35
EAR_CHROMA_TOLERANCE = 20.0
# Shares and medians of these small areas are read from a regular sample about this many pixels
# across: a still's ear area holds thousands of pixels that add time but not information.
EAR_SAMPLE_WIDTH = 24
# Where an ear shows from the front: this far out from the face's edge, in face widths.
EAR_STRIP = (0.02, 0.16)
# A row of the strip is read when at least this share of it is the person; it holds the ear when
# at least this share of that person part looks like the cheek's skin.
EAR_MIN_PERSON_SHARE = 0.3
EAR_MIN_SKIN_SHARE = 0.2
BAND_SAMPLE_WIDTH = 64
# The parser's ears are looked for in a column from just inside the face's edge to this far out,
# in face widths (as EAR_STRIP, with room for the ear's labelled rim overlapping the cheek).
PARSED_EAR_COLUMN = (-0.03, 0.18)
EAR_LABELS = (fp.CLASSES.index("right_ear"), fp.CLASSES.index("left_ear"))
HAIR_LABEL = fp.CLASSES.index("hair")
# A side with no ear pixel at all reads NO_EAR_DROP when at least this share of its column at ear
# height is hair; with neither ear nor hair there (the parser unsure, e.g. a tiny or grey photo)
# the parser is no witness for that side.
NO_EAR_MIN_HAIR_SHARE = 0.3
NO_EAR_DROP = 1.0



def brow_band_box(analysis: Analysis) -> Box:
    """The forehead band just above the brows."""
    brows = analysis.pts[list(lm.RIGHT_BROW) + list(lm.LEFT_BROW), :2]
    top = float(brows[:, 1].min())
    unit = analysis.eye_to_chin
    return float(brows[:, 0].min()), top - 0.22 * unit, float(brows[:, 0].max()), top - 0.02 * unit


def ear_boxes(analysis: Analysis) -> list[tuple[Box, Box]]:
    """Per side (image-left, image-right): (the strip beside the cheek at ear height, that cheek)."""
    p = analysis.pts[:, :2]
    width = analysis.face_width
    eye_y = float(np.mean([c[1] for c in analysis.eye_centres]))
    nose_y = float(p[lm.NOSE_TIP, 1])
    boxes = []
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        x = float(p[edge, 0])
        boxes.append(((x + outward * EAR_STRIP[0] * width, eye_y, x + outward * EAR_STRIP[1] * width, nose_y),
                      (x - outward * 0.04 * width, eye_y, x - outward * 0.16 * width, nose_y)))
    return boxes


def brow_cover(analysis: Analysis, skin: SkinModel) -> float:
    """Share of the forehead band just above the brows that is not skin."""
    lab = skin.pixels(box_mask(analysis.bgr.shape, *brow_band_box(analysis)), sample_width=BAND_SAMPLE_WIDTH)
    if len(lab) < 10:
        return 0.0
    return float(1.0 - np.mean(skin.skin_like(lab)))


def ear_cover(analysis: Analysis, skin: SkinModel) -> tuple[float, float]:
    """Per side (image-left, image-right): the share of rows at ear height, eye line to nose tip,
    where the person continues beside the cheek but hardly any of it looks like that cheek's skin.

    An ear is skin lit like the cheek next to it and, seen from the front, spans that whole height
    just outside the face's edge; hair worn down over it replaces that skin row by row. Asking row
    by row whether some ear skin is there, rather than how much of the area is unlike skin, lets
    hair worn behind a visible ear (which fills the rest of the strip) pass, and hair whose colour
    is near the skin's (brown hair under studio light) still fail wherever it hides the ear's
    skin. The comparison is with the adjacent cheek, not the whole face, because an ear shares its
    side's light. Rows where the strip is background (beside a short-haired head) do not count as
    cover.
    """
    covers = []
    for beside_box, cheek_box in ear_boxes(analysis):
        strip = ear_strip(analysis, beside_box)
        if strip is None:
            covers.append(0.0)
            continue
        lab, person = strip
        cheek = box_mask(analysis.bgr.shape, *cheek_box)
        cheek_lab = skin.pixels(limit_to(cheek, analysis.skin_mask), sample_width=EAR_SAMPLE_WIDTH)
        reference = np.median(cheek_lab, axis=0) if len(cheek_lab) >= 10 else skin.reference
        like = np.abs(lab[..., 0] - reference[0]) <= EAR_LUMA_TOLERANCE * max(float(reference[0]), 1.0)
        if not analysis.grayscale:
            like &= np.linalg.norm(lab[..., 1:] - reference[1:], axis=-1) <= EAR_CHROMA_TOLERANCE
        in_person = person.sum(axis=1)
        rows = in_person >= EAR_MIN_PERSON_SHARE * person.shape[1]
        ear_skin = (like & person).sum(axis=1) / np.maximum(in_person, 1)
        covered = rows & (ear_skin < EAR_MIN_SKIN_SHARE)
        covers.append(float(np.count_nonzero(covered)) / max(len(covered), 1))
    return covers[0], covers[1]


def parsed_ear_drop(analysis: Analysis) -> tuple[float, float] | None:
    """Per side (image-left, image-right): how far below the eye line the parser's topmost ear
    pixel beside that cheek sits, in face widths; None without a parse (live frames).

    Seen from the front an ear's top sits about level with the eyes. Hair worn down over the ear
    covers it from the top, so the part that still shows (often only the lobe) starts well below
    the eyes, or nothing shows; hair tucked behind leaves the top in view. Reading where the ear
    starts, rather than how much of the area is hair, keeps a visible ear with hair all around it
    (tucked behind) apart from a lobe under hair.
    """
    parse = analysis.parsing
    if parse is None:
        return None
    labels, unit = parse.labels, parse.face_width_px
    points = parse.crop_points(analysis.pts)
    eye_y = parse.eye_line(analysis.eye_centres)
    nose_y = float(points[lm.NOSE_TIP, 1])
    drops = []
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        x = float(points[edge, 0])
        x0, x1 = (int(np.clip(v, 0, labels.shape[1])) for v in
                  sorted((x + outward * PARSED_EAR_COLUMN[0] * unit, x + outward * PARSED_EAR_COLUMN[1] * unit)))
        column = labels[:, x0:x1]
        rows = np.flatnonzero(np.isin(column, EAR_LABELS).any(axis=1)) if x1 > x0 else np.empty(0, int)
        if len(rows):
            drops.append(float(rows[0] - eye_y) / unit)
            continue
        beside = column[int(np.clip(eye_y, 0, len(labels))):int(np.clip(nose_y, 0, len(labels)))]
        hair = float(np.mean(beside == HAIR_LABEL)) if beside.size else 0.0
        drops.append(NO_EAR_DROP if hair >= NO_EAR_MIN_HAIR_SHARE else 0.0)
    return drops[0], drops[1]


def ear_strip(analysis: Analysis, box: Box) -> tuple[np.ndarray, np.ndarray] | None:
    """The strip's Lab pixels and person mask, read about EAR_SAMPLE_WIDTH pixels across."""
    height, width = analysis.bgr.shape[:2]
    x0, x1 = (int(np.clip(v, 0, width)) for v in sorted((box[0], box[2])))
    y0, y1 = (int(np.clip(v, 0, height)) for v in (box[1], box[3]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    step = max(1, (x1 - x0) // EAR_SAMPLE_WIDTH)
    window = np.ascontiguousarray(analysis.bgr[y0:y1:step, x0:x1:step])
    lab = cv2.cvtColor(window, cv2.COLOR_BGR2LAB).astype(np.float32)
    if analysis.person_mask is None:
        person = np.ones(lab.shape[:2], bool)
    else:
        person = analysis.person_mask[y0:y1:step, x0:x1:step] > 0.5
    return lab, person


def check_occlusion(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.occlusion
    skin = skin_model(analysis)
    cover = brow_cover(analysis, skin)
    results = [HAIR_OVER_BROWS.result(cover, cfg.max_brow_cover, cover <= cfg.max_brow_cover)]
    if cfg.check_ears:
        cover = max(ear_cover(analysis, skin))
        drops = parsed_ear_drop(analysis)
        results.append(EARS_VISIBLE.witnessed(None if drops is None else max(drops), cfg.max_parsed_ear_drop,
                                              cover, cfg.max_ear_cover))
    return results


CHECKS = CheckModule((Check(check_occlusion, (HAIR_OVER_BROWS, EARS_VISIBLE)),), "occlusion", OcclusionSettings)
