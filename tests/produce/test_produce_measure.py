"""The crown read from the person mask: where the hair ends, and whether it runs off the image."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.produce.measure import axes, crown_distance


def hair_from(top: int, height: int = 700, width: int = 1000) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[top:, 300:700] = 1.0
    return mask


@pytest.mark.parametrize("forehead_y", [300.0, 300.3, 300.5, 300.7])
def test_hair_running_off_the_top_is_seen_at_any_sub_pixel_position(forehead_y):
    """The hair fills the top row: the crown is not in the picture, wherever the forehead point
    falls between pixel centres (the last sample beyond the image blends the border with outside
    and used to read as "background", not "left the image")."""
    up, across = axes(0.0)
    distance, at_edge = crown_distance(hair_from(0), np.array([500.0, forehead_y]), up, across, 300.0)
    assert at_edge
    assert distance == pytest.approx(forehead_y, abs=1.0)


@pytest.mark.parametrize("roll_deg", [0.0, 2.5])
def test_hair_ending_below_the_top_is_not_at_the_edge(roll_deg):
    up, across = axes(np.radians(roll_deg))
    distance, at_edge = crown_distance(hair_from(4), np.array([500.3, 300.6]), up, across, 300.0)
    assert not at_edge
    assert 290 < distance < 303
