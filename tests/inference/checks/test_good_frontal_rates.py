"""How often the eye checks speak on good photos (../shared/faces a_good_frontal, label corrections
applied, and the dress controls ../shared/dress/a_plain_ok), decoded as `appliance check` decodes a
photo: issue P's false-alarm targets for gaze and red-eye (<= 2 % refused), and the rate at which
the operator's notices for coloured contacts and heavy make-up fire on photos that have neither."""

from __future__ import annotations

import pytest

from appliance.testing.engine_helpers import labelled_photos

CHECK_IDS = ("gaze", "red_eye", "coloured_contacts", "heavy_makeup")


@pytest.fixture(scope="module")
def good_results(analyzer, faces_dir, dress_dir):
    """{check id: [(photo, result)]} over every good photo the check ran on; `photos` all of them."""
    from appliance.imageio import load_image
    from appliance.inference.engine import WORK_MAX_SIDE

    paths = labelled_photos(faces_dir, "a_good_frontal") + sorted((dress_dir / "a_plain_ok").glob("*.jpg"))
    results: dict[str, list] = {check_id: [] for check_id in CHECK_IDS}
    for path in paths:
        image = load_image(path, reduce_to=WORK_MAX_SIDE)
        analysis = analyzer.analyze(image.bgr, pixel_scale=image.scale, grayscale=image.grayscale)
        for result in analyzer.evaluate(analysis):
            if result.id in results:
                results[result.id].append((path.name, result))
    return paths, results


@pytest.mark.parametrize("check_id", ["gaze", "red_eye"])
def test_good_photos_are_rarely_refused(good_results, check_id):
    paths, results = good_results
    assert len(paths) >= 85
    # the eyes are read on nearly every good photo (not skipped as unreadable)
    assert len(results[check_id]) >= 0.95 * len(paths)
    refused = [f"{name} {r.value:+.2f}" for name, r in results[check_id] if not r.passed]
    assert len(refused) <= 0.02 * len(paths), refused


@pytest.mark.parametrize("check_id", ["coloured_contacts", "heavy_makeup"])
def test_notices_rarely_fire_on_good_photos_and_never_refuse(good_results, check_id):
    paths, results = good_results
    assert len(results[check_id]) >= 0.9 * len(paths)
    assert all(r.passed for _, r in results[check_id])
    fired = [f"{name} {r.value:.1f}" for name, r in results[check_id] if r.notice]
    assert len(fired) <= 0.03 * len(paths), fired
