"""Glasses on real photographs and on controlled variants: tinted lenses fail, clear lenses pass; a
ring light's reflection drawn on the lenses fails, the same ring seen in the irises (as every eye in
front of a ring light shows it) does not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.imageio import load_image
from appliance.inference import landmarks as lm
from appliance.testing.engine_helpers import check_result


def draw_rings(analyzer, bgr: np.ndarray, on_iris: bool, thickness: float) -> np.ndarray:
    """A bright ring per eye: across the lens around the eye, or small inside the iris."""
    analysis = analyzer.analyze(bgr)
    pts = analysis.pts[:, :2]
    out = bgr.copy()
    for (outer, inner), eye in zip(((lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER), (lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER)),
                                   analysis.eyes, strict=True):
        width = float(np.linalg.norm(pts[outer] - pts[inner]))
        if on_iris:
            centre, axes = eye.iris[0], (int(0.45 * eye.iris_radius),) * 2
        else:
            centre, axes = (pts[outer] + pts[inner]) / 2 - (0, 0.1 * width), (int(0.5 * width), int(0.38 * width))
        cv2.ellipse(out, (int(centre[0]), int(centre[1])), axes, 0, 0, 360, (245, 245, 245),
                    max(1, round(thickness * width)), cv2.LINE_AA)
    return out


def test_a_ring_light_reflection_on_the_lenses_fails(analyzer, plain_portrait):
    assert check_result(analyzer, plain_portrait, "glasses_glare").passed
    reflected = draw_rings(analyzer, plain_portrait, on_iris=False, thickness=0.06)
    check = check_result(analyzer, reflected, "glasses_glare")
    assert not check.passed, check.value


def test_the_ring_light_in_the_irises_is_not_a_reflection(analyzer, plain_portrait):
    catchlights = draw_rings(analyzer, plain_portrait, on_iris=True, thickness=0.04)
    for check_id in ("glasses_glare", "glasses_reflection"):
        check = check_result(analyzer, catchlights, check_id)
        assert check.passed, (check_id, check.value)


@pytest.mark.parametrize("name", ["yale_subject01_glasses.png", "dpf_img25.jpg", "yale_subject06_glasses.png"])
def test_clear_glasses_are_not_tinted(analyzer, faces_dir, name):
    image = load_image(faces_dir / "e_glasses" / name)
    check = check_result(analyzer, image.bgr, "glasses_tint", grayscale=image.grayscale)
    assert check.passed, check.value


def test_sunglasses_are_caught(analyzer, faces_dir):
    folder = faces_dir / "e_glasses"
    paths = [*sorted(folder.glob("sung_selfies_*")), folder / "yale_subject03_glasses.png"]
    caught = 0
    for path in paths:
        image = load_image(path)
        report = analyzer.check(image.bgr, grayscale=image.grayscale)
        caught += any(c.family == "glasses" and not c.passed for c in report.checks)
    assert caught >= 0.8 * len(paths), f"{caught}/{len(paths)} sunglasses caught"
