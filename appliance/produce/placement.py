"""Choosing the scale and eye height of the product so every rule of the preset holds at once.

CHSI fixes three things that depend on the person (crown height, eye line, face width); their
targets cannot all be hit when someone has tall hair or a long face. A grid search over scale and
eye height keeps only placements inside the preset's ranges (shrunk by a safety margin, dropped
before giving up) and picks the one closest to the targets.

The frame may reach beyond the source: a studio portrait cropped close above the hair needs a strip
of background there, and background is replaced by the preset's colour anyway. What must never be
made up is the person, so where the person touches the source's border (the shoulders at the
bottom of a head-and-shoulders portrait) the frame must not continue past that border. Placements
are tried in tiers: the frame inside the source (nothing to fill: a booth capture), then no person
beyond the border; a frame that would need even a sliver of shirt beyond it (a gap of background
under the shirt, or a made-up strip of it) is not chosen. Levelling a slightly tilted head is what
turns the frame's bottom corners past a tight source's border, so the head is then levelled less
(never leaving more tilt than `residual_roll`), which keeps the whole shirt.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from appliance.produce.config import PhotoSpec, PixelRange
from appliance.produce.measure import HeadMeasure, axes

GRID = 61
# Border samples of the person mask per side at most: enough to follow a shoulder, few enough that
# the grid search stays small on a 12 MP still.
BORDER_SAMPLES = 128
PERSON = 0.5
# Product px the person may seem to continue past the border without counting (rounding, matte blur).
BORDER_SLACK = 0.5
# Product px of clearance beyond which a placement does not gain from being farther from the border.
DEPTH_CAP = 24.0
# Product px a placement beyond the source keeps inside every range and clear of the person's border
# when the feasible set allows: well above the 1-2 px that measures move between library builds.
WANTED_DEPTH = 6.0
# Grid step (product px of face width and eye height) of that search.
FINE_STEP = 0.5
# Grid cells (scales x eye heights) of border_depth's tiles: each tile keeps only the border points
# near its frames.
TILE = (16, 32)


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


@dataclass(frozen=True)
class PersonBorder:
    """Where the person touches the source's border: points (source px), the outward normal there,
    and the length of border each point stands for."""

    points: np.ndarray  # (N, 2) x, y
    normals: np.ndarray  # (N, 2) unit, pointing out of the source
    step: float


def person_border(mask: np.ndarray) -> PersonBorder:
    """The border samples of `mask` (HxW, 0..1) that belong to the person."""
    height, width = mask.shape
    step = max(1, -(-max(height, width) // BORDER_SAMPLES))
    xs = np.arange(0, width, step)
    ys = np.arange(0, height, step)
    sides = (
        (np.stack([xs, np.zeros_like(xs)], 1), mask[0, xs], (0.0, -1.0)),
        (np.stack([xs, np.full_like(xs, height - 1)], 1), mask[-1, xs], (0.0, 1.0)),
        (np.stack([np.zeros_like(ys), ys], 1), mask[ys, 0], (-1.0, 0.0)),
        (np.stack([np.full_like(ys, width - 1), ys], 1), mask[ys, -1], (1.0, 0.0)),
    )
    points, normals = [], []
    for pts, values, normal in sides:
        on = values > PERSON
        # the border pixel's outer edge, where the source ends
        edge = pts[on].astype(np.float64) + 0.5 + 0.5 * np.array(normal)
        points.append(edge)
        normals.append(np.broadcast_to(np.array(normal), edge.shape))
    return PersonBorder(np.concatenate(points), np.concatenate(normals), float(step))


def _shrunk(rng: PixelRange, margin: float) -> tuple[float, float]:
    pad = (rng.high - rng.low) * margin / 2
    return rng.low + pad, rng.high - pad


def _cost(value: np.ndarray, rng: PixelRange) -> np.ndarray:
    return ((value - rng.target) / (rng.high - rng.low)) ** 2


def _inside(value: np.ndarray, rng: PixelRange, margin: float) -> np.ndarray:
    low, high = _shrunk(rng, margin)
    return (value >= low) & (value <= high)


def place(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, margin: float,
          source_size: tuple[int, int] | None = None, border: PersonBorder | None = None,
          residual_roll: float = 0.0) -> Placement | None:
    """The best placement of this head for this spec, or None when none keeps every rule.

    With `source_size` (width x height), frames inside the source are preferred. With `border`,
    a placement whose frame reaches beyond the source's border where the person touches it is
    never chosen. The safety margin is dropped before giving up.
    """
    rolls = [head.roll]
    for share in (0.5, 0.0):
        if abs(head.roll) * (1 - share) <= residual_roll and head.roll != 0.0:
            rolls.append(head.roll * share)
    for tries in (margin, 0.0):
        found = _place(head, spec, max_upscale, tries, source_size, border, rolls)
        if found is not None and found[1] == "inside":
            return found[0]
        if found is not None:
            break
    if border is None:
        return None if found is None else found[0]
    # the frame reaches beyond the source: a fine search for the deepest-inside placement, which
    # also finds the thin feasible sets of tight portraits that the coarse grid steps over
    return deepest_placement(head, spec, max_upscale, border, rolls)


def deepest_placement(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, border: PersonBorder,
                      rolls: list[float]) -> Placement | None:
    """The placement closest to the targets among those at least WANTED_DEPTH px inside every range
    and clear of the person's border, or the deepest one when the feasible set is thinner than that.

    A placement on the edge of the feasible set (crown at 50.0, eye line at 300.0, the frame's
    bottom on the shirt's cut) passes or fails on a pixel of measurement: another library build, a
    crown read a pixel higher in the product. The middle of a thin set survives both. Rolls are
    tried in order of preference; a later one is taken only when it leaves more room.
    """
    fw_high = min(spec.face_width.high, max_upscale * head.face_width)
    if fw_high < spec.face_width.low:
        return None
    widths = np.arange(spec.face_width.low, fw_high + FINE_STEP / 2, FINE_STEP)
    scales = (widths / head.face_width)[:, None]
    eyes = np.arange(spec.eye_y.low, spec.eye_y.high + FINE_STEP / 2, FINE_STEP)[None, :]
    crown = eyes - scales * head.eye_to_crown
    width = np.broadcast_to(scales * head.face_width, crown.shape)
    ranges = [crown - spec.crown_y.low, spec.crown_y.high - crown,
              np.broadcast_to(eyes - spec.eye_y.low, crown.shape),
              np.broadcast_to(spec.eye_y.high - eyes, crown.shape),
              width - spec.face_width.low, fw_high - width]
    cost = _cost(crown, spec.crown_y) + _cost(eyes, spec.eye_y) + _cost(width, spec.face_width)
    if spec.head_length is not None:
        length = np.broadcast_to(scales * (head.eye_to_crown + head.eye_to_chin), crown.shape)
        ranges += [length - spec.head_length.low, spec.head_length.high - length]
        cost = cost + _cost(length, spec.head_length)
    in_ranges = np.min(ranges, axis=0)
    best: tuple[float, float, np.ndarray] | None = None
    for roll in rolls:
        depth = np.minimum(in_ranges, border_depth(head, spec, scales, eyes, border, roll))
        top = float(depth.max())
        if top >= 0 and (best is None or top > best[1]):
            best = (roll, top, depth)
        if top >= WANTED_DEPTH:
            break
    if best is None:
        return None
    roll, top, depth = best
    allowed = depth >= min(top, WANTED_DEPTH)
    i, j = np.unravel_index(int(np.argmin(np.where(allowed, cost, np.inf))), cost.shape)
    scale = float(scales[i, 0])
    return Placement(scale=scale, eye_x=spec.width / 2 - scale * head.centre_offset,
                     eye_y=float(eyes[0, j]), roll=roll,
                     eye_mid=(float(head.eye_mid[0]), float(head.eye_mid[1])))


def _corners_in_source(head: HeadMeasure, spec: PhotoSpec, scales: np.ndarray, eyes: np.ndarray,
                       source_size: tuple[int, int], roll: float) -> np.ndarray:
    """For each (scale, eye height) of the grid: does the product frame, levelled by `roll`, lie
    inside the source?"""
    up, across = axes(roll)
    inside = np.ones(np.broadcast_shapes(scales.shape, eyes.shape), bool)
    eye_x = spec.width / 2 - scales * head.centre_offset
    for qx, qy in ((0, 0), (spec.width, 0), (0, spec.height), (spec.width, spec.height)):
        dx, dy = (qx - eye_x) / scales, (qy - eyes) / scales
        px = head.eye_mid[0] + dx * across[0] - dy * up[0]
        py = head.eye_mid[1] + dx * across[1] - dy * up[1]
        inside &= (px >= -1) & (px <= source_size[0] + 1) & (py >= -1) & (py <= source_size[1] + 1)
    return inside


def invented_area(head: HeadMeasure, spec: PhotoSpec, scales: np.ndarray, eyes: np.ndarray,
                  border: PersonBorder, roll: float | None = None) -> np.ndarray:
    """For each (scale, eye height): product px of person the frame would show beyond the border.

    From each border point of the person the frame is followed outwards (the person continues
    that way) to where the frame ends; that run times the border length the point stands for.
    An over-estimate where the person curves away beyond the border: it errs on refusing.
    The frame is levelled by `roll` (default: the head's own).
    """
    shape = np.broadcast_shapes(scales.shape, eyes.shape)
    if len(border.points) == 0:
        return np.zeros(shape)
    up, across = axes(head.roll if roll is None else roll)
    rel = border.points - head.eye_mid[None, :]
    # levelled frame coordinates (source px) of each point and normal, then product px per grid cell
    along = rel @ across
    down = -(rel @ up)
    n_across, n_down = border.normals @ across, -(border.normals @ up)
    # product positions are affine in scale and eye height, so their extremes over the grid lie at
    # its corners: points outside every frame (a booth capture's shirt far below) are dropped first
    corner_s = np.array([scales.min(), scales.max()])[:, None]
    corner_x = spec.width / 2 - corner_s * head.centre_offset + corner_s * along
    corner_y = np.concatenate([e + corner_s * down for e in (eyes.min(), eyes.max())])
    near = ((corner_x.min(axis=0) < spec.width) & (corner_x.max(axis=0) > 0)
            & (corner_y.min(axis=0) < spec.height) & (corner_y.max(axis=0) > 0))
    if not near.any():
        return np.zeros(shape)
    along, down, n_across, n_down = along[near], down[near], n_across[near], n_down[near]
    s = scales[..., None]
    qx = spec.width / 2 - s * head.centre_offset + s * along
    qy = eyes[..., None] + s * down
    inside = (qx > 0) & (qx < spec.width) & (qy > 0) & (qy < spec.height)
    with np.errstate(divide="ignore", invalid="ignore"):
        run_x = np.where(n_across > 1e-9, (spec.width - qx) / n_across,
                         np.where(n_across < -1e-9, -qx / n_across, np.inf))
        run_y = np.where(n_down > 1e-9, (spec.height - qy) / n_down,
                         np.where(n_down < -1e-9, -qy / n_down, np.inf))
    run = np.where(inside, np.minimum(run_x, run_y), 0.0)
    run = np.where(run > BORDER_SLACK, run, 0.0)
    return (run * s * border.step).sum(axis=-1).reshape(shape)


def border_depth(head: HeadMeasure, spec: PhotoSpec, scales: np.ndarray, eyes: np.ndarray,
                 border: PersonBorder, roll: float | None = None, cap: float = DEPTH_CAP) -> np.ndarray:
    """For each (scale, eye height): product px the frame could grow on every side before it shows
    a person pixel beyond the source's border (at most `cap`); below 0 it already does.

    The same rule as `invented_area` (a run up to BORDER_SLACK is not counted), read as a distance,
    so a placement can keep clear of the border instead of touching it: a frame whose bottom edge
    sits exactly on a tight portrait's shirt border shows a strip of background under the shirt as
    soon as the eyes or the crown are measured a pixel differently.
    """
    shape = np.broadcast_shapes(scales.shape, eyes.shape)
    depth = np.full(shape, cap)
    if len(border.points) == 0:
        return depth
    up, across = axes(head.roll if roll is None else roll)
    rel = border.points - head.eye_mid[None, :]
    along_all, down_all = rel @ across, -(rel @ up)
    n_across_all, n_down_all = border.normals @ across, -(border.normals @ up)
    scales_b, eyes_b = np.broadcast_to(scales, shape), np.broadcast_to(eyes, shape)
    # points farther than `cap` outside every frame of the grid cannot lower the depth
    corner_s = np.array([scales.min(), scales.max()])[:, None]
    corner_x = spec.width / 2 - corner_s * head.centre_offset + corner_s * along_all
    corner_y = np.concatenate([e + corner_s * down_all for e in (eyes.min(), eyes.max())])
    near = ((corner_x.min(axis=0) < spec.width + cap) & (corner_x.max(axis=0) > -cap)
            & (corner_y.min(axis=0) < spec.height + cap) & (corner_y.max(axis=0) > -cap))
    if not near.any():
        return depth
    along, down = along_all[near], down_all[near]
    n_across, n_down = n_across_all[near], n_down_all[near]
    # Exactly the per-cell definition (tests/produce/test_border_depth.py compares the two), made
    # cheaper three ways. The frame's x extent depends on the scale alone, so the x terms are made
    # per row. The grid is taken in tiles, and a point whose distance outside the frame is over
    # `cap` (+1 px, far more than rounding) in every cell of a tile, bounded from the tile's extreme
    # scales and eye heights, is left out there: its value could not lower the capped depth; of a
    # hundred border points near the grid, about ten are near any one placement. The points are
    # taken by the sign of their normal's down component, so each computes one run expression.
    # Minima are exact in any order, and the slack added after the minimum gives the same number
    # (rounding is monotonic).
    row_scales = scales if scales.ndim == 2 and scales.shape == (shape[0], 1) else scales_b
    qx = spec.width / 2 - row_scales[..., None] * head.centre_offset + row_scales[..., None] * along
    with np.errstate(divide="ignore", invalid="ignore"):
        run_x = np.where(n_across > 1e-9, (spec.width - qx) / n_across,
                         np.where(n_across < -1e-9, -qx / n_across, np.inf))
    out_x, far_x = np.maximum(-qx, qx - spec.width), -run_x
    sign = np.where(n_down > 1e-9, 1, np.where(n_down < -1e-9, -1, 0))
    per_cell_x = out_x.shape[1] > 1
    for r0 in range(0, shape[0], TILE[0]):
        rows = slice(r0, r0 + TILE[0])
        tile_s = row_scales[rows]
        low_s, high_s = float(tile_s.min()), float(tile_s.max())
        for c0 in range(0, shape[1], TILE[1]):
            cols = slice(c0, c0 + TILE[1])
            tile_e = eyes_b[rows, cols]
            x_cols = cols if per_cell_x else slice(None)
            reach = np.minimum(low_s * down, high_s * down), np.maximum(low_s * down, high_s * down)
            bound = np.maximum(out_x[rows, x_cols].min(axis=(0, 1)),
                               np.maximum(-(float(tile_e.max()) + reach[1]),
                                          float(tile_e.min()) + reach[0] - spec.height))
            kept = np.flatnonzero(bound < cap + 1.0)
            for group in (1, -1, 0):
                members = kept[sign[kept] == group]
                if len(members) == 0:
                    continue
                g_far_x = far_x[rows, x_cols][..., members]
                qy = tile_e[..., None] + tile_s[:, x_cols, None] * down[members]
                below = qy - spec.height
                outside = np.maximum(np.maximum(out_x[rows, x_cols][..., members], -qy), below)
                # -(run along the normal): -((H - qy) / n) = (qy - H) / n and -(-qy / n) = qy / n exactly
                far = g_far_x if group == 0 else np.maximum(g_far_x, (below if group > 0 else qy) / n_down[members])
                point = np.where(outside >= 0, outside, far).min(axis=-1) + BORDER_SLACK
                depth[rows, cols] = np.minimum(depth[rows, cols], np.minimum(point, cap))
    return depth


def _tiers(head: HeadMeasure, spec: PhotoSpec, scales: np.ndarray, eyes: np.ndarray, ok: np.ndarray,
           source_size: tuple[int, int] | None, border: PersonBorder | None,
           rolls: list[float]) -> Iterator[tuple[float, np.ndarray, str]]:
    """(applied roll, allowed grid cells) in order of preference, full levelling first; made one at
    a time, since the first that allows a cell ends the search (a booth capture: the first)."""
    for roll in rolls:
        if source_size is not None:
            yield roll, ok & _corners_in_source(head, spec, scales, eyes, source_size, roll), "inside"
        if border is not None:
            yield roll, ok & (invented_area(head, spec, scales, eyes, border, roll) <= 0.0), "border"
    if border is None:
        yield rolls[0], ok, "rules"


def _first_allowed(tiers: Iterator[tuple[float, np.ndarray, str]]) -> tuple[float, np.ndarray, str] | None:
    return next(((roll, cells, kind) for roll, cells, kind in tiers if cells.any()), None)


def _place(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, margin: float,
           source_size: tuple[int, int] | None, border: PersonBorder | None,
           rolls: list[float]) -> tuple[Placement, str] | None:
    """The coarse grid's choice and the tier it came from ("inside" the source, clear of the person's
    "border", or by the "rules" alone)."""
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
    chosen = _first_allowed(_tiers(head, spec, scales, eyes, ok, source_size, border, rolls))
    if chosen is None:
        return None
    roll, cells, kind = chosen
    i, j = np.unravel_index(int(np.argmin(np.where(cells, cost, np.inf))), cost.shape)
    scale = float(scales[i, 0])
    return Placement(
        scale=scale,
        eye_x=spec.width / 2 - scale * head.centre_offset,
        eye_y=float(eyes[0, j]),
        roll=roll,
        eye_mid=(float(head.eye_mid[0]), float(head.eye_mid[1])),
    ), kind


def needs_upscale(head: HeadMeasure, spec: PhotoSpec, max_upscale: float, margin: float) -> bool:
    """True when even the smallest allowed face width would enlarge the source beyond the limit."""
    fw_low, _ = _shrunk(spec.face_width, margin)
    return fw_low / head.face_width > max_upscale
