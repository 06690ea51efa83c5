"""The placement search on a synthetic head: the person is never extended, background may be."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.produce.config import CHSI_GRADUATION
from appliance.produce.measure import HeadMeasure
from appliance.produce.placement import border_depth, invented_area, person_border, place

SPEC = CHSI_GRADUATION


def head(eye=(500.0, 300.0), width=300.0, crown=280.0, chin=250.0, roll=0.0) -> HeadMeasure:
    return HeadMeasure(eye_mid=np.array(eye), roll=roll, face_width=width, centre_offset=0.0,
                       eye_to_crown=crown, eye_to_chin=chin, crown_at_edge=False)


def portrait_mask(height: int, width: int, shoulders_from: int) -> np.ndarray:
    """A person whose body runs off the bottom edge (and off both sides below `shoulders_from`)."""
    mask = np.zeros((height, width), np.float32)
    mask[20:shoulders_from, 330:670] = 1.0  # head and neck
    mask[shoulders_from:, :] = 1.0  # shoulders to the bottom, the full width
    return mask


def frame_bottom_in_source(p, h) -> float:
    return h.eye_mid[1] + (SPEC.height - p.eye_y) / p.scale


def test_a_close_crop_gets_background_above_not_a_longer_shirt():
    # 1000 x 690 studio crop: hair 20 px below the top, shirt cut by the bottom edge
    h = head()
    mask = portrait_mask(690, 1000, 580)
    border = person_border(mask)
    p = place(h, SPEC, 1.15, 0.15, (1000, 690), border)
    assert p is not None
    assert frame_bottom_in_source(p, h) <= 690 + 1, "the frame continues below the shirt's cut"
    frame_top = h.eye_mid[1] - p.eye_y / p.scale
    assert frame_top < 0, "this crop needs background above the hair: the frame may reach beyond it"
    crown = p.eye_y - p.scale * h.eye_to_crown
    assert 50 <= crown <= 110 and 200 <= p.eye_y <= 300 and 180 <= p.scale * h.face_width <= 300
    blind = place(h, SPEC, 1.15, 0.15, (1000, 690))
    assert frame_bottom_in_source(blind, h) > 690 + 20, "the old search cut the shoulders here"


def test_no_placement_when_the_person_would_have_to_be_extended():
    h = head(chin=250.0)
    mask = portrait_mask(640, 1000, 580)  # cut 90 px below the chin
    border = person_border(mask)
    assert place(h, SPEC, 1.15, 0.15, (1000, 640), border) is None


def test_a_frame_inside_the_source_stays_the_choice():
    # a booth capture with room everywhere: the same placement with or without the border rule
    h = head(eye=(1000.0, 900.0))
    mask = np.zeros((3000, 2000), np.float32)
    mask[600:, 700:1300] = 1.0
    with_border = place(h, SPEC, 1.15, 0.15, (2000, 3000), person_border(mask))
    assert with_border == place(h, SPEC, 1.15, 0.15, (2000, 3000))


def test_less_levelling_rather_than_a_corner_of_background_in_the_shirt():
    h = head(roll=np.radians(2.0))
    mask = portrait_mask(690, 1000, 580)
    border = person_border(mask)
    p = place(h, SPEC, 1.15, 0.15, (1000, 690), border, np.radians(1.5))
    assert p is not None and abs(p.roll) < abs(h.roll)
    cell = invented_area(h, SPEC, np.array([[p.scale]]), np.array([[p.eye_y]]), border, p.roll)
    assert cell[0, 0] == 0.0
    # fully levelled, the frames that meet the ranges have a corner on or past the shirt's cut:
    # less levelling is what leaves room
    level = place(h, SPEC, 1.15, 0.15, (1000, 690), border)
    assert level is None or depth_inside(level, h, border) < 0.5 < depth_inside(p, h, border)
    levelled = place(h, SPEC, 1.15, 0.15, (1000, 690))
    corner = invented_area(h, SPEC, np.array([[levelled.scale]]), np.array([[levelled.eye_y]]), border)
    assert corner[0, 0] > 0


def depth_inside(p, h, border) -> float:
    """Least product px the placement keeps inside the crown and eye ranges and clear of the border."""
    crown = p.eye_y - p.scale * h.eye_to_crown
    clear = border_depth(h, SPEC, np.array([[p.scale]]), np.array([[p.eye_y]]), border, p.roll)[0, 0]
    return min(crown - 50, 110 - crown, p.eye_y - 200, 300 - p.eye_y, float(clear))


def test_a_thin_set_of_fitting_placements_is_not_stepped_over():
    # cut 382 px below the eyes: crown >= 50, eye line <= 300 and the shirt to the bottom edge
    # leave a sliver of placements that the coarse grid's steps missed (it refused the portrait)
    h = head()
    border = person_border(portrait_mask(682, 1000, 580))
    p = place(h, SPEC, 1.15, 0.15, (1000, 682), border)
    assert p is not None
    assert invented_area(h, SPEC, np.array([[p.scale]]), np.array([[p.eye_y]]), border, p.roll)[0, 0] == 0.0
    assert depth_inside(p, h, border) >= 0.0


def test_a_tight_portrait_is_placed_inside_its_fitting_set_not_on_its_edge():
    # 16 px more shirt than above: the old search put the eye line on 300.0 and the frame's bottom
    # on the shirt's cut, so a pixel of measurement decided; 3 px of room either way exist here
    h = head()
    border = person_border(portrait_mask(698, 1000, 580))
    p = place(h, SPEC, 1.15, 0.15, (1000, 698), border)
    assert p is not None and depth_inside(p, h, border) >= 2.0
    # with room to spare the placement keeps a full WANTED_DEPTH clear and stays near the targets
    roomy = person_border(portrait_mask(760, 1000, 580))
    q = place(h, SPEC, 1.15, 0.15, (1000, 760), roomy)
    assert q is not None and depth_inside(q, h, roomy) >= 6.0 - 0.5


def test_a_replan_puts_the_head_where_the_verification_read_it():
    """The product's verification reads eyes and crown on its own mesh and mask; carried back
    through the placement, the re-read head lands exactly on those readings, so a plan made from
    it is judged by the measure that judges the product (a crown read 1 px above the plan made a
    portrait planned at 50.2 px fail at 49.2)."""
    from appliance.inference.checks.product import ProductGeometry
    from appliance.produce.photo import as_read
    from appliance.produce.placement import Placement

    h = head(eye=(812.0, 760.0), width=790.0, crown=700.0, roll=np.radians(1.5))
    p = Placement(scale=0.37, eye_x=240.0, eye_y=299.0, roll=h.roll / 2, eye_mid=tuple(h.eye_mid))
    planned_crown = p.eye_y - p.scale * h.eye_to_crown
    geo = ProductGeometry(crown_y=planned_crown - 1.3, eye_y=p.eye_y - 0.8, face_width=292.0,
                          centre_x=240.0, head_length=480.0, shoulder_fill=1.0)
    read = as_read(h, p, geo)
    matrix = p.matrix()
    eye = matrix[:, :2] @ read.eye_mid + matrix[:, 2]
    assert eye[1] == pytest.approx(geo.eye_y, abs=1e-6)
    up = np.array([np.sin(p.roll), -np.cos(p.roll)])
    crown = matrix[:, :2] @ (read.eye_mid + up * read.eye_to_crown) + matrix[:, 2]
    assert crown[1] == pytest.approx(geo.crown_y, abs=1e-6)
    assert read.face_width == h.face_width and read.roll == h.roll
