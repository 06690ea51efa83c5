"""Where the head is in an image: eye line, face centre, crown and chin along the face's own axis.

The crown (top of the hair) is not a face-mesh landmark, so it is read from the person mask: walking
up from the top of the forehead (landmark 10) along the face's vertical axis, in a band of columns
across the face, to where the silhouette ends. The same measure serves the placement in a source
and the verification of a product, so a photo is judged with the rule that made it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.inference.analysis import Analysis

FOREHEAD, CHIN, CHEEK_RIGHT, CHEEK_LEFT = 10, 152, 234, 454
# Columns sampled across the face for the crown, as a share of the face width either side.
CROWN_BAND = 0.22
CROWN_LINES = 15
PERSON = 0.5


@dataclass(frozen=True)
class HeadMeasure:
    """Distances in image px, measured in the levelled frame centred on the eyes' midpoint."""

    eye_mid: np.ndarray  # (x, y) in the image
    roll: float  # radians, positive when the subject's left eye is lower in the image
    face_width: float
    centre_offset: float  # face centre (cheek midpoint) right of the eye midpoint, levelled
    eye_to_crown: float  # up from the eye line to the top of the hair
    eye_to_chin: float  # down from the eye line to the chin
    crown_at_edge: bool  # the hair reaches the image border: the crown is not in the picture


def axes(roll: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (up, across) of a face rolled by `roll` in image coordinates (y down)."""
    return np.array([np.sin(roll), -np.cos(roll)]), np.array([np.cos(roll), np.sin(roll)])


def crown_distance(mask: np.ndarray, forehead: np.ndarray, up: np.ndarray, across: np.ndarray,
                   face_width: float) -> tuple[float, bool]:
    """Distance from the forehead point up to where the person mask ends, and whether it hit the border.

    Samples lines parallel to `up` in a band of columns; the crown is the highest of them that still
    belongs to the head (the 80th percentile, so one stray column of mask noise does not decide).
    """
    reach = int(max(face_width * 1.2, 8))
    steps = np.arange(reach, dtype=np.float32)
    offsets = np.linspace(-CROWN_BAND, CROWN_BAND, CROWN_LINES, dtype=np.float32) * face_width
    base = forehead[None, :] + offsets[:, None] * across[None, :]
    xs = (base[:, 0:1] + steps[None, :] * up[0]).astype(np.float32)
    ys = (base[:, 1:2] + steps[None, :] * up[1]).astype(np.float32)
    samples = cv2.remap(mask.astype(np.float32, copy=False), xs, ys, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    height, width = mask.shape
    # a sample beyond the outermost pixel centres blends the border with "outside" (-1): where the
    # line ends there, it left the image while still on the person, whatever the blend reads
    beyond = (xs < 0) | (ys < 0) | (xs > width - 1) | (ys > height - 1)
    tops = np.empty(len(offsets), np.float32)
    touches = np.zeros(len(offsets), bool)
    for i, line in enumerate(samples):
        ended = np.flatnonzero(line < PERSON)
        if len(ended) == 0:
            tops[i], touches[i] = reach, True
            continue
        first = ended[0]
        tops[i] = first
        touches[i] = bool(beyond[i, first])
    top = float(np.percentile(tops, 80))
    return top, bool(touches[tops >= top - 1].any())


def measure_head(analysis: Analysis, mask: np.ndarray | None = None) -> HeadMeasure | None:
    """Head geometry of the main face, or None when there is no face mesh."""
    if analysis.mesh is None:
        return None
    mask = analysis.person_mask if mask is None else mask
    pts = analysis.pts[:, :2]
    right, left = analysis.eye_centres
    eye_mid = (right + left) / 2
    roll = analysis.roll_rad
    up, across = axes(roll)
    centre = (pts[CHEEK_RIGHT] + pts[CHEEK_LEFT]) / 2
    forehead_up = float((pts[FOREHEAD] - eye_mid) @ up)
    if mask is None:
        crown_extra, at_edge = 0.0, False
    else:
        crown_extra, at_edge = crown_distance(mask, pts[FOREHEAD], up, across, analysis.face_width)
    return HeadMeasure(
        eye_mid=eye_mid,
        roll=roll,
        face_width=analysis.face_width,
        centre_offset=float((centre - eye_mid) @ across),
        eye_to_crown=forehead_up + crown_extra,
        eye_to_chin=float((pts[CHIN] - eye_mid) @ -up),
        crown_at_edge=at_edge,
    )
