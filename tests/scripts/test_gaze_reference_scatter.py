"""scripts/gaze_reference_scatter.py on two real frontal photos: every reference gets its row, the
mesh's corners (the check's own reference) and the iris found on pixels respond to a known turn,
and the check as shipped is tabled at 0 and at the turn."""

from __future__ import annotations

import numpy as np

from appliance.inference.checks.gaze import turn_about
from appliance.testing.scripts import load_script


def test_each_reference_reports_its_response(dress_dir, capsys):
    script = load_script("gaze_reference_scatter.py", "gaze_reference_scatter")
    photos = [dress_dir / "a_plain_ok/dbr_034_03.jpg", dress_dir / "a_plain_ok/dbr_119_03.jpg"]
    assert script.main([str(p) for p in photos]) == 0
    out = capsys.readouterr().out
    references, check = out.split("\n\n")
    rows = {line.split()[0]: line.split()[1:] for line in references.splitlines()[2:]}
    assert set(rows) == set(script.REFERENCES)
    # the iris does move against the mesh's corners: most of a 10 degree turn is read
    assert 0.5 <= float(rows["mesh"][0]) <= 1.2, rows
    # the iris found on pixels moves with the warp, the mesh's corners only a little
    assert 0.7 <= float(rows["pixel_iris"][0]) <= 1.2, rows
    # the check itself: the two photos at 0 (none refused) and turned by the limit both ways
    lines = [line.split() for line in check.splitlines()[1:]]
    assert [(line[0], float(line[1]), int(line[2])) for line in lines] == [("gaze", 0.0, 2), ("gaze", 10.0, 4)]
    assert float(lines[0][3]) == 0.0 and 0.0 <= float(lines[1][3]) <= 1.0


def test_turn_about_is_signed_and_symmetric():
    a, b = np.array([0.0, 0.0]), np.array([30.0, 0.0])
    assert turn_about(np.array([15.0, 2.0]), a, b) == 0.0
    right = turn_about(np.array([15.0 + 0.42 * 30 * np.sin(np.radians(10)), 0.0]), a, b)
    assert right is not None and abs(right - 10.0) < 1e-6
    assert turn_about(np.array([15.0 - 0.42 * 30 * np.sin(np.radians(10)), 0.0]), a, b) == -right
    assert turn_about(np.array([0.0, 0.0]), a, a + 0.5) is None
