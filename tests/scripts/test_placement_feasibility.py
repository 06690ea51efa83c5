"""The feasibility script's colour cross-check of the crown: an audit independent of the matte."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from appliance.produce.measure import HeadMeasure
from appliance.testing.scripts import load_script


def studio(hair_top: int) -> tuple[np.ndarray, HeadMeasure, SimpleNamespace]:
    """A white backdrop with a dark head from row `hair_top` down; cheeks at x 300 and 700."""
    image = np.full((900, 1000, 3), 245, np.uint8)
    image[hair_top:, 280:720] = (40, 35, 30)
    points = np.zeros((468, 3))
    points[234, :2], points[454, :2] = (300, 500), (700, 500)
    head = HeadMeasure(eye_mid=np.array([500.0, 450.0]), roll=0.0, face_width=400.0, centre_offset=0.0,
                       eye_to_crown=450.0 - hair_top, eye_to_chin=250.0, crown_at_edge=False)
    return image, head, SimpleNamespace(pts=points)


def test_the_colour_crown_is_where_the_hair_leaves_the_backdrop():
    feasibility = load_script("placement_feasibility.py", "placement_feasibility_script")
    crown, top_share = feasibility.colour_crown(*studio(37))
    assert crown == 37 and top_share == 0.0
    crown, top_share = feasibility.colour_crown(*studio(0))
    assert crown == 0 and 0.8 < top_share <= 1.0
