"""Choosing the scale and eye height of the product so every rule of the preset holds at once.

CHSI fixes three things that depend on the person (crown height, eye line, face width); their
targets cannot all be hit when someone has tall hair or a long face. Rather than fix the scale by
the face width alone, a small grid search picks the placement closest to all targets inside ranges
shrunk by a safety margin, and reports when no placement exists without enlarging the source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from appliance.produce.config import PhotoSpec, PixelRange
from appliance.produce.measure import HeadMeasure, axes

GRID = 61


@dataclass(frozen=True)
class Placement:
    """Source px -> product px: rotate by -roll about the eyes, scale, then put the eyes at (eye_x, eye_y)."""

    scale: float
    eye_x: float
    eye_y: float
    roll: float
    eye_mid: tuple[float, float]

    def matrix(self) -> np.ndarray:
        cos, sin = np.cos(-self.roll) * self.scale, np.sin(-self.roll) * self.scale
        linear = np.array([[cos, -sin], [sin, cos]])
        offset = np.array([self.eye_x, self.eye_y]) - linear @ np.array(self.eye_mid)
        return np.hstack([linear, offset[:, None]])


def _shrunk(rng: PixelRange, margin: float) -> tuple[float, float]:
    pad = (rng.high - rng.low) * margin / 2
    return rng.low + pad, rng.high - pad


def _cost(value: np.ndarray, rng: PixelRange) -> np.ndarray:
    return ((value - rng.target) / (rng.high - rng.low)) ** 2


def _inside(value: np.ndarray, rng: PixelRange, margin: float) -> np.ndarray:
    low, high = _shrunk(rng, margin)
    return (value >= low) & (value <= high)


def place(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, margin: float,
          source_size: tuple[int, int] | None = None) -> Placement | None:
    """The best placement of this head for this spec, or None when none keeps every rule.

    Placements whose frame stays inside the source (`source_size`, width x height) are preferred:
    then nothing outside the camera's view has to be filled in. The safety margin is dropped
    before giving up: a head that fits only the plain ranges still fits.
    """
    for tries in (margin, 0.0):
        found = _place(head, spec, max_upscale, tries, source_size)
        if found is not None:
            return found
    return None


def _frame_inside(head: HeadMeasure, spec: PhotoSpec, scales: np.ndarray, eyes: np.ndarray,
                  source_size: tuple[int, int]) -> np.ndarray:
    """For each (scale, eye height) of the grid: does the product frame lie inside the source?"""
    up, across = axes(head.roll)
    inside = np.ones(np.broadcast_shapes(scales.shape, eyes.shape), bool)
    eye_x = spec.width / 2 - scales * head.centre_offset
    for qx, qy in ((0, 0), (spec.width, 0), (0, spec.height), (spec.width, spec.height)):
        dx, dy = (qx - eye_x) / scales, (qy - eyes) / scales
        px = head.eye_mid[0] + dx * across[0] - dy * up[0]
        py = head.eye_mid[1] + dx * across[1] - dy * up[1]
        inside &= (px >= -1) & (px <= source_size[0] + 1) & (py >= -1) & (py <= source_size[1] + 1)
    return inside


def _place(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, margin: float,
           source_size: tuple[int, int] | None) -> Placement | None:
    fw_low, fw_high = _shrunk(spec.face_width, margin)
    scale_high = min(fw_high / head.face_width, max_upscale)
    scale_low = fw_low / head.face_width
    if scale_low > scale_high:
        return None
    scales = np.linspace(scale_low, scale_high, GRID)[:, None]
    eye_low, eye_high = _shrunk(spec.eye_y, margin)
    eyes = np.linspace(eye_low, eye_high, GRID)[None, :]
    crown = eyes - scales * head.eye_to_crown
    width = np.broadcast_to(scales * head.face_width, crown.shape)
    ok = _inside(crown, spec.crown_y, margin) & _inside(width, spec.face_width, margin)
    cost = _cost(crown, spec.crown_y) + _cost(eyes, spec.eye_y) + _cost(width, spec.face_width)
    if spec.head_length is not None:
        length = np.broadcast_to(scales * (head.eye_to_crown + head.eye_to_chin), crown.shape)
        ok &= _inside(length, spec.head_length, margin)
        cost = cost + _cost(length, spec.head_length)
    if not ok.any():
        return None
    if source_size is not None:
        framed = ok & _frame_inside(head, spec, scales, eyes, source_size)
        if framed.any():
            ok = framed
    cost = np.where(ok, cost, np.inf)
    i, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
    scale = float(scales[i, 0])
    return Placement(
        scale=scale,
        eye_x=spec.width / 2 - scale * head.centre_offset,
        eye_y=float(eyes[0, j]),
        roll=head.roll,
        eye_mid=(float(head.eye_mid[0]), float(head.eye_mid[1])),
    )


def needs_upscale(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, margin: float) -> bool:
    """True when even the smallest allowed face width would enlarge the source beyond the limit."""
    fw_low, _ = _shrunk(spec.face_width, margin)
    return fw_low / head.face_width > max_upscale
