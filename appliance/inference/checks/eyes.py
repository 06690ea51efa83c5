"""Both eyes open: the smaller lid opening relative to the eye-to-chin distance (OFIQ's measure).

The smaller eye decides, so a wink fails too. Lid positions come from the iris model's eyelid
contour, which follows a closing lid far better than the face mesh (the mesh tends to draw open
eyes on sleepy faces); the mesh is the fallback when no iris result exists.

The eye-to-chin distance stands for the face's size, and on most faces it is 4.5-5.0 eye widths
(corner to corner). A face long below the eyes (a long chin or jaw) has a longer distance for the
same eyes, so its open eyes read as narrower than they are: a student with open, slightly narrowed
eyes and a chin 5.1 eye widths down read 0.0398 against the 0.04 limit. The unit is therefore the
eye-to-chin distance capped at UNIT_MAX_EYE_WIDTHS of the wider eye (the one less foreshortened by
a turn): on faces of usual proportions nothing changes, and a long lower face no longer narrows the
eyes. The cap can only raise a reading, so it never makes open eyes fail.

A second witness decides between the two limits. The human iris is close to one size (about 12 mm
across, within a few per cent between adults) and so is the eye's width (about 30 mm), so an iris
found in an open eye has a radius of about a fifth of the eye's width: on the good frontal faces of
../shared/faces (many ethnicities) the larger eye's reads 0.20-0.25, behind clear glasses
0.22-0.26. Where the lids are closed, the iris model has no iris to find and draws a smaller one
(closed eyes read 0.15-0.23, median 0.19). Some closed eyes, under eyeshadow or in shadowed
sockets, still get an open-looking lid contour (0.042-0.047 against the 0.04 limit); these also
get an iris too small to be a human one. So when even the larger eye's iris is below
`min_iris_share` of its width, the eyes must be clearly open (`min_open_ratio_without_iris`), not
just above the usual limit. The limit applied is the one reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckResult
from appliance.inference.checks.rules import EVERYWHERE, Check, CheckModule, Family, Message, Rule

if TYPE_CHECKING:
    from appliance.inference.config import ChecksSettings


class EyesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Smaller eye opening / eye-midpoint-to-chin distance (the OFIQ EyesOpen measure), the distance
    # capped at UNIT_MAX_EYE_WIDTHS eye widths so a long lower face does not narrow open eyes.
    # Measured on the iris model's eyelid contour; open eyes read 0.045-0.09 on frontal photos.
    min_open_ratio: float = Field(0.04, ge=0.005, le=0.1)
    # The limit when the iris model finds no iris of human size in either eye (iris radius below
    # min_iris_share of the eye's width): good frontal faces read 0.20 or more, so this applies to
    # closed eyes whose lid contour still looks open; open eyes then must read at least this much
    # (on ../shared/faces good frontal faces read 0.042-0.09, the three below 0.05 with an iris of
    # 0.215 or more).
    min_open_ratio_without_iris: float = Field(0.05, ge=0.005, le=0.1)
    min_iris_share: float = Field(0.19, ge=0.0, le=0.3)


EYES_OPEN = Rule("eyes_open", Family.EYES, EVERYWHERE,
                 Message("请自然睁开双眼，看向镜头", "Open both eyes naturally and look at the camera"))

# Iris-model contour indices: 0-8 lower lid (outer to inner corner), 9-15 upper lid.
IRIS_UPPER, IRIS_LOWER = (11, 12, 13), (3, 4, 5)
IRIS_CORNERS = (0, 8)
# The eye-to-chin unit is at most this many eye widths: between the median (4.7) and the 90th
# percentile (5.0) of the good frontal faces of ../shared/faces (many ethnicities).
UNIT_MAX_EYE_WIDTHS = 4.8


def eye_widths(analysis: Analysis) -> tuple[float, float]:
    """(right, left) corner-to-corner eye widths in px, from the eyelid contour where it exists."""
    if analysis.eyes is not None:
        a, b = IRIS_CORNERS
        right, left = (float(np.linalg.norm(eye.contour[a] - eye.contour[b])) for eye in analysis.eyes)
        return right, left
    p = analysis.pts[:, :2]
    return (float(np.linalg.norm(p[lm.RIGHT_EYE_OUTER] - p[lm.RIGHT_EYE_INNER])),
            float(np.linalg.norm(p[lm.LEFT_EYE_OUTER] - p[lm.LEFT_EYE_INNER])))


def opening_unit(analysis: Analysis) -> float:
    """The eye-to-chin distance, at most UNIT_MAX_EYE_WIDTHS of the wider eye."""
    widest = max(eye_widths(analysis))
    cap = UNIT_MAX_EYE_WIDTHS * widest if widest > 0 else analysis.eye_to_chin
    return max(min(analysis.eye_to_chin, cap), 1e-6)


def eye_openings(analysis: Analysis) -> tuple[float, float]:
    """(right, left) lid openings divided by the face unit (opening_unit)."""
    unit = opening_unit(analysis)
    if analysis.eyes is not None:
        cos, sin = np.cos(-analysis.roll_rad), np.sin(-analysis.roll_rad)
        rot = np.array([[cos, -sin], [sin, cos]])
        openings = []
        for eye in analysis.eyes:
            contour = eye.contour @ rot.T
            gaps = [contour[lo, 1] - contour[up, 1] for up, lo in zip(IRIS_UPPER, IRIS_LOWER, strict=True)]
            openings.append(float(np.mean(gaps)) / unit)
        return openings[0], openings[1]
    q = analysis.upright

    def opening(upper: tuple[int, ...], lower: tuple[int, ...]) -> float:
        return float(np.mean([q[lo, 1] - q[up, 1] for up, lo in zip(upper, lower, strict=True)])) / unit

    return opening(lm.RIGHT_EYE_UPPER, lm.RIGHT_EYE_LOWER), opening(lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER)


def iris_share(analysis: Analysis) -> float | None:
    """The larger eye's iris radius per its eye width (about 0.2 wherever an iris shows); None
    without the iris model's result."""
    if analysis.eyes is None:
        return None
    shares = [eye.iris_radius / width for eye, width in zip(analysis.eyes, eye_widths(analysis), strict=True)
              if width > 0]
    return max(shares, default=None)


def open_limit(analysis: Analysis, settings: ChecksSettings) -> float:
    """The opening the eyes must reach: the usual limit, or the stricter one when the iris model
    finds no iris of human size (see the module's docstring)."""
    cfg = settings.eyes
    share = iris_share(analysis)
    if share is not None and share < cfg.min_iris_share:
        return max(cfg.min_open_ratio, cfg.min_open_ratio_without_iris)
    return cfg.min_open_ratio


def check_eyes(analysis: Analysis, settings: ChecksSettings) -> list[CheckResult]:
    if analysis.mesh is None:
        return []
    value = min(eye_openings(analysis))
    limit = open_limit(analysis, settings)
    return [EYES_OPEN.result(value, limit, value >= limit)]


CHECKS = CheckModule((Check(check_eyes, (EYES_OPEN,)),), "eyes", EyesSettings)
