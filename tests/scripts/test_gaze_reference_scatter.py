"""scripts/gaze_reference_scatter.py on two real frontal photos: every reference gets its row, and
the mesh's corners (the check's own reference) respond to a known turn."""

from __future__ import annotations

import numpy as np

from appliance.inference.checks.gaze import turn_about
from appliance.testing.scripts import load_script


def test_each_reference_reports_its_response(dress_dir, capsys):
    script = load_script("gaze_reference_scatter.py", "gaze_reference_scatter")
    photos = [dress_dir / "a_plain_ok/dbr_034_03.jpg", dress_dir / "a_plain_ok/dbr_119_03.jpg"]
    assert script.main([str(p) for p in photos]) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[2:]}
    assert set(rows) == set(script.REFERENCES)
    # the iris does move against the mesh's corners: most of a 10 degree turn is read
    assert 0.5 <= float(rows["mesh"][0]) <= 1.2, rows


def test_turn_about_is_signed_and_symmetric():
    a, b = np.array([0.0, 0.0]), np.array([30.0, 0.0])
    assert turn_about(np.array([15.0, 2.0]), a, b) == 0.0
    right = turn_about(np.array([15.0 + 0.42 * 30 * np.sin(np.radians(10)), 0.0]), a, b)
    assert right is not None and abs(right - 10.0) < 1e-6
    assert turn_about(np.array([15.0 - 0.42 * 30 * np.sin(np.radians(10)), 0.0]), a, b) == -right
    assert turn_about(np.array([0.0, 0.0]), a, a + 0.5) is None
