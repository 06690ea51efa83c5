"""Head coverings: the crown above the forehead should be hair (or scalp), not a hat.

Within the person's silhouette above the forehead, material that looks neither like the subject's
skin nor like hair, and is clearly coloured, is taken for a covering. Religious wear that leaves
the whole face visible is allowed by the rules (SPEC §3). A headscarf frames the face: the same
material runs down both sides of the head, behind the ears, to the chin, where a cap never goes.
So when the crown reads as covered, the sides are read too and the crown's share counts only in
proportion to what the sides leave unexplained; whether the face and both ears show is the
occlusion and face checks' question, asked of scarf and bare head alike. A covering that stays on
the crown (a turban, a kippah) is not told from a cap; an operator can raise the limit for such a
subject.

On a still and a product the face parser (inference/face_parsing.py) is a second witness (see
parsed_hat_share): the share of the crown it labels `hat`, whatever the covering's colour, so a
grey or black knitted beanie, which the colour test cannot tell from dark hair, is named as
headwear and not later as hair over the brows. The same face-framing exemption applies to it.
Either witness failing fails the check. Live guidance has no parse (one costs far more than a
frame) and keeps the colour measure alone.

Two facts shape the colour test:
- "Clearly coloured" has a fixed floor. A floor relative to the skin alone (skin chroma + 12)
  asked far more of a cap on a subject with brown or olive skin, whose skin is itself colourful,
  and missed a shaded red cap on such a subject.
- Hair is as yellow as or yellower than the skin it grows above (red and copper hair share the
  skin's hue; blonde, brown and auburn are yellower) and only moderately coloured; such pixels are
  hair, not a covering. The hue is taken relative to the subject's skin, so a camera's colour cast
  moves both together. Measured on ../shared/faces: red and copper hair sits within -3..+2 degrees
  of the skin's hue, red caps at -21..-28 (redder, towards magenta), so the hair band starts
  HAIR_HUE_MIN = -10 degrees from the skin, about midway; a band starting at +5 told red-haired
  students to take off a hat they were not wearing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import face_parsing as fp
from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.appearance import SkinModel, box_mask, skin_model, within_person
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.face_scale import Box
from appliance.inference.checks.rules import EVERYWHERE, Cadence, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class HeadwearSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Share of the crown that is coloured material unlike skin and hair, scaled down by how much of
    # both sides of the head the same kind of material covers (a headscarf framing the face, SPEC
    # §3; see cover_score). Good frontal photos read at most 0.05, dyed burgundy hair 0.36;
    # caps and hats 0.5-0.9.
    max_cover_score: float = Field(0.3, ge=0.05, le=1.0)
    # On stills and products (the face parser): share of the crown box (above the forehead,
    # across the face, PARSED_CROWN_HEIGHT face widths up, inside the parser's crop) labelled
    # `hat`, less a face-framing wrap (parsed_hat_share). Measured on ../shared: the good photos
    # (faces/a_good_frontal 83, dress/a_plain_ok 15) read 0.0, the other real heads without a
    # hat at most 0.05 (hair clips and flowers 0.017); caps and knitted hats 0.35-0.76 (two hats
    # the parser does not see read 0.0; the colour measure catches them). The limit sits in that
    # gap. Above it without a hat: printed photos held up to the camera (j_spoof, 0.22 and 0.29,
    # the paper's edge above the head), a wide fabric headband over the crown (0.41; the colour
    # measure already names it a head covering) and a car headrest behind a dark-haired head
    # (0.75).
    max_parsed_hat_share: float = Field(0.2, ge=0.0, le=1.0)


NO_HEADWEAR = Rule("no_headwear", Family.HEADWEAR, EVERYWHERE,
                   Message("请摘下帽子或头饰", "Take off your hat or head covering"), cadence=Cadence.HEAD)

# Chroma (OpenCV 8-bit Lab, about CIE C*) above which crown material counts as coloured: the
# lower of this floor and the skin's own chroma plus SKIN_CHROMA_MARGIN.
COLOURED_CHROMA = 22.0
SKIN_CHROMA_MARGIN = 12.0
# Hair hues relative to the skin's: from HAIR_HUE_MIN (negative: a little redder than the skin, as
# red hair is) up to HAIR_HUE_MAX yellower, at most this chroma.
HAIR_HUE_MIN, HAIR_HUE_MAX = -10.0, 80.0
HAIR_MAX_CHROMA = 40.0
# The share is read from a regular sample about this many pixels across the crown.
CROWN_SAMPLE_WIDTH = 48
# Beside the head, in face widths out from the face's edge: behind the ears (the occlusion check's
# ear strip reaches 0.16), where a scarf runs down to the chin.
SIDE_BAND = (0.2, 0.45)
# The parser's crown box reaches this many face widths above the forehead's top (the crop holds
# 0.3-0.4 of them there, so in practice up to the crop's edge; caps read the same from 0.4 up) and
# this far below it (a brim on the forehead).
PARSED_CROWN_HEIGHT, PARSED_CROWN_DROP = 0.5, 0.05
# A wrap, to the parser: `hat` beside the head in SIDE_BAND on both sides. Its lesser side reads at
# most 0.07 on every photo of ../shared (caps included: a cap never reaches down there) and
# 0.50-0.58 on a scarf painted round a face (tests/inference/checks/test_headwear.py); from none to
# this share the crown's reading is scaled down to nothing. `clothes` is no wrap: a selfie's
# shoulders reach into the band (0.22-0.28 on three caps).
PARSED_WRAP_FULL = 0.3


def hue_from_skin(ab: np.ndarray, skin_ab: np.ndarray) -> np.ndarray:
    """Hue of each a*b* pair minus the skin's, in degrees within (-180, 180]; positive is yellower."""
    hue = np.degrees(np.arctan2(ab[:, 1], ab[:, 0]))
    skin_hue = float(np.degrees(np.arctan2(skin_ab[1], skin_ab[0])))
    return (hue - skin_hue + 180.0) % 360.0 - 180.0


def crown_box(analysis: Analysis) -> Box:
    """Where a covering would sit: above the top of the forehead, across the face (x0, y0, x1, y1)."""
    p = analysis.pts[:, :2]
    unit = analysis.eye_to_chin
    top = float(p[lm.FOREHEAD, 1])
    return float(p[lm.FACE_RIGHT_EDGE, 0]), top - 0.7 * unit, float(p[lm.FACE_LEFT_EDGE, 0]), top + 0.05 * unit


def side_boxes(analysis: Analysis) -> list[Box]:
    """Beside the head behind where the ears are, eye line to chin, per side: where a scarf that
    frames the face runs down and a cap does not."""
    eye_y = float(np.mean([c[1] for c in analysis.eye_centres]))
    return sides_of(analysis.pts[:, :2], analysis.face_width, eye_y)


def sides_of(p: np.ndarray, width: float, eye_y: float) -> list[Box]:
    """side_boxes for mesh points `p` (image or parser crop pixels) and that face's width."""
    chin_y = float(p[lm.CHIN, 1])
    boxes = []
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        near, far = (float(p[edge, 0]) + outward * share * width for share in SIDE_BAND)
        boxes.append((min(near, far), eye_y, max(near, far), chin_y))
    return boxes


def foreign_share(analysis: Analysis, box: Box, skin: SkinModel) -> float | None:
    """Share of the person inside `box` that is coloured material unlike both skin and hair; None
    when too little of the person is there to tell."""
    region = within_person(box_mask(analysis.bgr.shape, *box), analysis, 0.6)
    lab = skin.pixels(region, sample_width=CROWN_SAMPLE_WIDTH)
    if len(lab) < 20:
        return None
    ab = lab[:, 1:] - 128.0
    skin_ab = skin.reference[1:] - 128.0
    chroma = np.linalg.norm(ab, axis=1)
    coloured = chroma > min(COLOURED_CHROMA, skin.chroma + SKIN_CHROMA_MARGIN)
    hue = hue_from_skin(ab, skin_ab)
    hair_like = (hue >= HAIR_HUE_MIN) & (hue <= HAIR_HUE_MAX) & (chroma <= HAIR_MAX_CHROMA)
    foreign = coloured & ~hair_like & ~skin.skin_like(lab)
    return float(np.mean(foreign))


def cover_score(analysis: Analysis, limit: float) -> float:
    """Share of the crown that is coloured material unlike both skin and hair, less what a
    face-framing wrap explains: above `limit`, the crown's share is multiplied by one minus the
    lesser of the two sides' shares (read only then, so an uncovered head costs nothing more)."""
    if analysis.grayscale:
        return 0.0
    crown = foreign_share(analysis, crown_box(analysis), skin_model(analysis))
    if crown is None or crown <= limit:
        return crown or 0.0
    return crown * (1.0 - colour_wrap(analysis))


def colour_wrap(analysis: Analysis) -> float:
    """The lesser of the two sides' shares of coloured material unlike skin and hair (side_boxes):
    how much of a face-framing wrap the colour test sees."""
    skin = skin_model(analysis)
    return min((foreign_share(analysis, box, skin) or 0.0) for box in side_boxes(analysis))


def label_share(labels: np.ndarray, classes: tuple[int, ...], box: Box) -> float:
    """Share of `box` (clipped to the crop) whose parser label is one of `classes`; 0 when the box
    lies outside the crop."""
    height, width = labels.shape
    x0, x1 = (int(np.clip(round(v), 0, width)) for v in sorted((box[0], box[2])))
    y0, y1 = (int(np.clip(round(v), 0, height)) for v in sorted((box[1], box[3])))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(np.mean(np.isin(labels[y0:y1, x0:x1], classes)))


def parsed_hat_share(analysis: Analysis, limit: float) -> float | None:
    """Share of the crown above the forehead that the face parser labels `hat`, less what a
    face-framing wrap explains (read only above `limit`, as cover_score: times one minus the
    lesser side's `hat` share over PARSED_WRAP_FULL, at least 0); None without a parse (live
    frames).

    The parser's crop is aligned on the face (roll undone), so the crown is a box across the face
    from the forehead's top up, in the crop's face widths, whatever the photo's size. It names a
    cap or a knitted hat of any colour, grey and black included, which the colour test cannot tell
    from hair; it does not name hair clips or flowers (the head_ornament check's), which are small
    and sit beside the crown."""
    parse = analysis.parsing
    if parse is None:
        return None
    points = parse.crop_points(analysis.pts)
    unit = parse.face_width_px
    top = float(points[lm.FOREHEAD, 1])
    crown: Box = (float(points[lm.FACE_RIGHT_EDGE, 0]), top - PARSED_CROWN_HEIGHT * unit,
                  float(points[lm.FACE_LEFT_EDGE, 0]), top + PARSED_CROWN_DROP * unit)
    share = label_share(parse.labels, (fp.HAT,), crown)
    return share if share <= limit else share * parsed_unwrapped(analysis)


def parsed_unwrapped(analysis: Analysis) -> float:
    """What the parser's view of a face-framing wrap leaves of a covering's reading: one minus the
    lesser side's `hat` share beside the head (sides_of) over PARSED_WRAP_FULL, at least 0; 1
    without a parse."""
    parse = analysis.parsing
    if parse is None:
        return 1.0
    points = parse.crop_points(analysis.pts)
    eye_y = parse.eye_line(analysis.eye_centres)
    wrap = min(label_share(parse.labels, (fp.HAT,), box) for box in sides_of(points, parse.face_width_px, eye_y))
    return max(0.0, 1.0 - wrap / PARSED_WRAP_FULL)


def check_headwear(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    cfg = settings.headwear
    score = cover_score(analysis, cfg.max_cover_score)
    return [NO_HEADWEAR.witnessed(parsed_hat_share(analysis, cfg.max_parsed_hat_share), cfg.max_parsed_hat_share,
                                  score, cfg.max_cover_score)]


CHECKS = CheckModule((Check(check_headwear, (NO_HEADWEAR,)),), "headwear", HeadwearSettings)
