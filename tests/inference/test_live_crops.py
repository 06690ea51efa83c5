"""The live path's cheaper ways to the same numbers: every shortcut gives exactly what it replaced."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks import liveness
from appliance.inference.landmarks import roi_from_mesh
from appliance.testing.bench import letterbox


def test_mesh_and_eyes_from_a_bgr_frame_are_those_from_its_rgb_copy(analyzer, plain_portrait):
    bgr = letterbox(plain_portrait)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    analysis = analyzer.analyze(bgr)
    roi = roi_from_mesh(analysis.work.mesh.points if analysis.work else analysis.mesh.points)
    from_rgb = analyzer.mesh.run(rgb, roi)
    from_bgr = analyzer.mesh.run(bgr, roi, bgr=True)
    assert from_rgb.presence > 0.5
    assert np.array_equal(from_rgb.points, from_bgr.points) and from_rgb.presence == from_bgr.presence
    for a, b in zip(analyzer.iris.run(rgb, from_rgb), analyzer.iris.run(bgr, from_rgb, bgr=True), strict=True):
        assert np.array_equal(a.contour, b.contour) and np.array_equal(a.iris, b.iris)


def test_live_frames_give_the_still_path_rgb_models_the_same_input(analyzer, plain_portrait):
    """A tracked live frame (crops from BGR) measures what a frame converted whole would."""
    bgr = letterbox(plain_portrait)
    analyzer.reset_tracking()
    try:
        analyzer.analyze(bgr, live=True)  # detects
        tracked = analyzer.analyze(bgr, live=True)  # follows the track: crops from the BGR frame
        assert tracked.mesh is not None
        again = analyzer.mesh.run(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), tracked.mesh.roi)
        assert np.array_equal(again.points, tracked.mesh.points)
    finally:
        analyzer.reset_tracking()


def test_gloss_plane_is_the_channels_minimum():
    rng = np.random.default_rng(7)
    bgr = rng.integers(200, 256, (120, 160, 3), dtype=np.uint8)
    bgr[40:80, 50:110] = 255
    bgr[60, 70, 1] = 249  # one channel below the level breaks the plateau there
    mesh_box = np.array([[10.0, 10.0, 0.0], [150.0, 110.0, 0.0]])
    analysis = Analysis(bgr=bgr, grayscale=False, live=True)
    analysis.mesh = type("Mesh", (), {"points": mesh_box})()  # only the points are read
    box = liveness._skin_box(analysis)
    assert box is not None
    x0, y0, x1, y1 = box
    clipped = (bgr[y0:y1, x0:x1].min(axis=2) >= liveness.GLOSS_LEVEL).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    assert liveness.gloss(analysis) == float(stats[1:, cv2.CC_STAT_AREA].max()) / float(clipped.size)
