"""The border-depth search's vectorised form against its per-cell definition, on tilted and level
frames and on person borders of every side: the placement that uses it must not move."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.produce.config import CHSI_GRADUATION
from appliance.produce.measure import HeadMeasure, axes
from appliance.produce.placement import BORDER_SLACK, DEPTH_CAP, PersonBorder, border_depth, person_border

SPEC = CHSI_GRADUATION


def per_cell_depth(head: HeadMeasure, scales: np.ndarray, eyes: np.ndarray, border: PersonBorder,
                   roll: float) -> np.ndarray:
    """The definition, every cell against every border point (how the search computed it before)."""
    shape = np.broadcast_shapes(scales.shape, eyes.shape)
    up, across = axes(roll)
    rel = border.points - head.eye_mid[None, :]
    along, down = rel @ across, -(rel @ up)
    n_across, n_down = border.normals @ across, -(border.normals @ up)
    s = np.broadcast_to(scales, shape)[..., None]
    qx = SPEC.width / 2 - s * head.centre_offset + s * along
    qy = np.broadcast_to(eyes, shape)[..., None] + s * down
    outside = np.maximum.reduce([-qx, qx - SPEC.width, -qy, qy - SPEC.height])
    with np.errstate(divide="ignore", invalid="ignore"):
        run_x = np.where(n_across > 1e-9, (SPEC.width - qx) / n_across,
                         np.where(n_across < -1e-9, -qx / n_across, np.inf))
        run_y = np.where(n_down > 1e-9, (SPEC.height - qy) / n_down,
                         np.where(n_down < -1e-9, -qy / n_down, np.inf))
    point = np.where(outside >= 0, outside, -np.minimum(run_x, run_y)) + BORDER_SLACK
    return np.minimum(point.min(axis=-1), DEPTH_CAP)


def person_touching(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A blob of person touching the bottom, and at random the top, left and right borders."""
    mask = np.zeros((height, width), np.float32)
    mask[height // 3:, width // 4: 3 * width // 4] = 1.0
    mask[int(height * rng.uniform(0.6, 0.9)):, :] = 1.0
    if rng.random() < 0.5:
        mask[:height // 10, width // 3: width // 2] = 1.0
    if rng.random() < 0.5:
        mask[height // 2:, : width // 3] = 1.0
    return mask


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_border_depth_equals_the_per_cell_definition(seed: int):
    rng = np.random.default_rng(seed)
    height, width = (int(v) for v in rng.integers(500, 1400, 2))
    border = person_border(person_touching(height, width, rng))
    roll = float(np.radians(rng.choice([0.0, rng.uniform(-6, 6)])))
    head = HeadMeasure(eye_mid=np.array([width * rng.uniform(0.4, 0.6), height * rng.uniform(0.3, 0.5)]),
                       roll=roll, face_width=width * rng.uniform(0.2, 0.4), centre_offset=rng.uniform(-5, 5),
                       eye_to_crown=height * rng.uniform(0.15, 0.3), eye_to_chin=height * rng.uniform(0.15, 0.3),
                       crown_at_edge=False)
    scales = (np.arange(180, 250, 2.0) / head.face_width)[:, None]
    eyes = np.arange(200, 300.25, 0.5)[None, :]
    for applied in (roll, roll / 2, 0.0):
        fast = border_depth(head, SPEC, scales, eyes, border, applied)
        assert np.array_equal(fast, per_cell_depth(head, scales, eyes, border, applied))
    one = border_depth(head, SPEC, scales[3:4], eyes[:, 5:6], border, roll)
    assert np.array_equal(one, per_cell_depth(head, scales[3:4], eyes[:, 5:6], border, roll))
    cells = np.broadcast_to(scales, (len(scales), eyes.shape[1]))  # a per-cell scale grid takes the general path
    assert np.array_equal(border_depth(head, SPEC, cells, eyes, border, roll),
                          per_cell_depth(head, cells, eyes, border, roll))
