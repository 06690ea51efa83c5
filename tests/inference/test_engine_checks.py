"""The checks on real photographs and on controlled variants of them.

Each variant changes one cause (rotation, blur, darkness, a half shadow, a cluttered background)
on a photo that passes, and the family that owns that cause must be the one that fails.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.imageio import load_image
from appliance.testing.engine_helpers import labelled_photos

SUBJECT = ("face_count", "pose", "eyes", "mouth", "headwear", "glasses", "lighting", "sharpness")


def families_failed(report) -> set[str]:
    return {c.family for c in report.failed}


@pytest.fixture(scope="module")
def settings_checks():
    from appliance.settings import load_settings

    return load_settings().checks


@pytest.fixture(scope="module")
def good(faces_dir):
    return load_image(faces_dir / "a_good_frontal" / "dpf_img10.jpg").bgr


def test_good_frontal_passes_subject_checks(analyzer, good):
    report = analyzer.check(good)
    assert not families_failed(report) & set(SUBJECT), [c for c in report.failed]


def test_every_check_result_is_complete(analyzer, good):
    report = analyzer.check(good)
    families = {c.family for c in report.checks}
    assert {"face_count", "pose", "eyes", "mouth", "glasses", "headwear", "occlusion", "lighting",
            "sharpness", "background", "clothing", "liveness", "geometry"} <= families
    for check in report.checks:
        assert check.id and check.message_zh and check.message_en
        assert isinstance(check.passed, bool)


def test_rotation_fails_pose_roll(analyzer, good):
    height, width = good.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 3), 20, 1.0)
    turned = cv2.warpAffine(good, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    report = analyzer.check(turned)
    roll = next(c for c in report.checks if c.id == "pose_roll")
    assert not roll.passed and abs(roll.value) > 15


def test_blur_fails_sharpness(analyzer, good):
    blurred = cv2.GaussianBlur(good, (0, 0), 6)
    assert "sharpness" in families_failed(analyzer.check(blurred))


def test_darkening_fails_lighting(analyzer, good):
    dark = (good.astype(np.float32) * 0.2).astype(np.uint8)
    assert "lighting" in families_failed(analyzer.check(dark))


def test_half_shadow_fails_balance(analyzer, good):
    report = analyzer.check(good)
    nose_x = int(report.analysis.pts[1, 0])
    shaded = good.astype(np.float32)
    shaded[:, :nose_x] *= 0.25
    report = analyzer.check(shaded.astype(np.uint8))
    balance = next(c for c in report.checks if c.id == "light_balance")
    assert not balance.passed


def test_cluttered_background_fails_capture_background(analyzer, good):
    report = analyzer.check(good)
    mask = report.analysis.person_mask < 0.2
    rng = np.random.default_rng(1)
    noisy = good.copy()
    noisy[mask] = rng.integers(0, 255, size=(int(mask.sum()), 3), dtype=np.uint8)
    assert "background" in families_failed(analyzer.check(noisy))


def test_two_faces_side_by_side_fail_face_count(analyzer, good):
    pair = np.hstack([good, good])
    count = next(c for c in analyzer.check(pair).checks if c.id == "face_count")
    assert count.value == 2 and not count.passed


def test_blank_image_reports_no_face_and_darkness(analyzer):
    report = analyzer.check(np.full((480, 640, 3), 10, np.uint8))
    ids = {c.id for c in report.failed}
    assert {"face_count", "frame_exposure"} <= ids


def test_a_frame_without_a_face_is_told_why_first(analyzer, faces_dir):
    """frame.py exists to say why no face was found (too dark, blurred): its message, not only
    "no face", comes first; an empty scene that is neither still reads "no face"."""
    from appliance.inference.guidance import first_failure

    dark = first_failure(analyzer.check(np.full((480, 640, 3), 10, np.uint8)).checks)
    assert dark.id == "frame_exposure"
    # a face smeared past detection (../shared/faces, labelled blurred)
    smeared = load_image(faces_dir / "h_blur_lowres" / "fqa_bad_1373.jpg").bgr
    assert first_failure(analyzer.check(smeared).checks).id == "frame_sharpness"
    empty = sorted((faces_dir / "i_no_face").iterdir())[0]
    assert first_failure(analyzer.check(load_image(empty).bgr).checks).id == "face_count"


@pytest.mark.parametrize(("folder", "family", "share"), [
    ("b_eyes_closed", "eyes", 0.95), ("c_mouth_open_teeth", "mouth", 0.95), ("f_head_pose", "pose", 0.95),
    ("g_lighting", "lighting", 0.95), ("i_multi_face", "face_count", 0.95), ("i_no_face", "face_count", 0.95),
    ("d_hat", "headwear", 0.9), ("h_blur_lowres", "sharpness", 0.95), ("k_hair_covering", "occlusion", 0.9),
])
def test_defect_folders_are_mostly_caught(analyzer, faces_dir, folder, family, share):
    paths = labelled_photos(faces_dir, folder)
    caught = 0
    for path in paths:
        image = load_image(path)
        caught += family in families_failed(analyzer.check(image.bgr, grayscale=image.grayscale))
    assert caught / len(paths) >= share, f"{folder}: {caught}/{len(paths)} caught"


def east_asian_files(faces_dir) -> set[str]:
    import csv

    with (faces_dir / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["file"] for row in csv.DictReader(handle, delimiter="\t") if "east_asian" in row.get("notes", "")}


def test_good_folder_is_rarely_refused(analyzer, faces_dir):
    """Issue H's target on the whole good folder (its label corrections applied): at most 3% of
    the good photos refused by a check about the subject, and none of the East Asian ones by the
    eye, mouth or occlusion checks. Decoded as `appliance check` decodes a photo."""
    from appliance.inference.engine import WORK_MAX_SIDE

    subject = (*SUBJECT, "occlusion")
    east_asian = east_asian_files(faces_dir)
    paths = labelled_photos(faces_dir, "a_good_frontal")
    refused, east_asian_refused = [], []
    for path in paths:
        image = load_image(path, reduce_to=WORK_MAX_SIDE)
        failed = families_failed(analyzer.check(image.bgr, grayscale=image.grayscale, pixel_scale=image.scale))
        if failed & set(subject):
            refused.append(path.name)
        if f"{path.parent.name}/{path.name}" in east_asian and failed & {"eyes", "mouth", "occlusion"}:
            east_asian_refused.append(path.name)
    assert len(paths) >= 70 and east_asian
    assert len(refused) / len(paths) <= 0.03, f"{len(refused)}/{len(paths)} refused: {refused}"
    assert not east_asian_refused


def test_small_and_grayscale_photos_never_crash(analyzer, faces_dir):
    for path in sorted((faces_dir / "h_blur_lowres").iterdir())[:4] + sorted((faces_dir / "g_lighting").iterdir())[-4:]:
        image = load_image(path)
        report = analyzer.check(image.bgr, grayscale=image.grayscale)
        assert report.verdict in {"pass", "fail"}


def test_tiny_face_reports_resolution(analyzer, good):
    tiny = cv2.resize(good, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    failed = {c.id for c in analyzer.check(tiny).failed}
    assert "resolution" in failed or "face_count" in failed


def test_live_mode_gives_framing_guidance(analyzer, good):
    frame = cv2.resize(good, (640, 480)) if good.shape[1] > good.shape[0] else None
    if frame is None:
        canvas = np.zeros((480, 640, 3), np.uint8)
        scaled = cv2.resize(good, (round(good.shape[1] * 480 / good.shape[0]), 480))
        x0 = (640 - scaled.shape[1]) // 2
        canvas[:, x0:x0 + scaled.shape[1]] = scaled
        frame = canvas
    report = analyzer.check(frame, live=True)
    ids = {c.id for c in report.checks}
    assert {"framing_distance", "framing_centre"} <= ids


def test_shoulders_level_measured_against_the_eye_line(analyzer, faces_dir):
    level = load_image(faces_dir / "a_good_frontal" / "dpf_img29.jpg").bgr
    turned = load_image(faces_dir / "c_mouth_open_teeth" / "dpf_img1.jpg").bgr
    ok = next(c for c in analyzer.check(level).checks if c.id == "shoulders_level")
    bad = next(c for c in analyzer.check(turned).checks if c.id == "shoulders_level")
    assert ok.passed and abs(ok.value) < 4
    assert not bad.passed and abs(bad.value) > 10


def test_blur_effect_matches_scikit_image_reference():
    from skimage.measure import blur_effect as reference

    from appliance.inference.checks.sharpness import blur_effect

    rng = np.random.default_rng(3)
    for size in ((40, 52), (120, 90)):
        image = cv2.GaussianBlur(rng.random(size).astype(np.float32), (0, 0), 1.5)
        assert abs(blur_effect(image) - reference(image)) < 1e-3


def test_live_path_reports_every_check_and_refreshes_slow_ones_within_a_rotation(analyzer, good):
    """The live path spreads its periodic work over frames; a change in a slowly-refreshed check
    (the background here) must still show within one rotation of the heavy steps."""
    from appliance.inference.engine import HEAVY_ROTATION

    frame = cv2.resize(good, (int(good.shape[1] * 480 / good.shape[0]), 480))
    side = (640 - frame.shape[1]) // 2
    canvas = cv2.copyMakeBorder(frame, 0, 0, side, 640 - frame.shape[1] - side, cv2.BORDER_REPLICATE)
    analyzer.reset_tracking()
    ids_first = None
    for _ in range(len(HEAVY_ROTATION)):
        report = analyzer.check(canvas, live=True)
        ids = [c.id for c in report.checks]
        ids_first = ids_first or ids
        assert ids == ids_first  # every frame reports the same, complete set of checks
    background = next(c for c in report.checks if c.id == "background_clutter")
    assert background.passed
    mask = report.analysis.person_mask < 0.2
    noisy = canvas.copy()
    noisy[mask] = np.random.default_rng(5).integers(0, 255, size=(int(mask.sum()), 3), dtype=np.uint8)
    seen = []
    for _ in range(2 * len(HEAVY_ROTATION) + 1):
        report = analyzer.check(noisy, live=True)
        seen.append(next(c for c in report.checks if c.id == "background_clutter").passed)
    assert not seen[-1], seen
    analyzer.reset_tracking()


def test_one_resolution_rule_in_the_sharpness_family(analyzer, good, settings_checks):
    """A face too small is refused once, by `resolution` (sharpness), with the rule's own limit."""
    from appliance.inference.checks.sharpness import RESOLUTION_EN

    small = cv2.resize(good, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    report = analyzer.check(small)
    sized = [c for c in report.checks if "resolution" in c.id]
    assert [(c.id, c.family) for c in sized] == [("resolution", "sharpness")]
    assert not sized[0].passed and sized[0].message_en == RESOLUTION_EN
    assert sized[0].threshold == settings_checks.sharpness.min_face_width_px
    assert next(c for c in analyzer.check(good).checks if c.id == "resolution").passed


@pytest.mark.parametrize("limit", [1.0, 2.0, 30.0])
def test_pose_limit_shown_is_the_limit_applied(analyzer, good, settings_checks, limit):
    from appliance.inference.checks.pose import check_pose

    strict = settings_checks.model_copy(update={"pose": settings_checks.pose.model_copy(
        update={"max_yaw_deg": limit, "max_pitch_deg": limit})})
    analysis = analyzer.analyze(good)
    for check in check_pose(analysis, strict)[:2]:
        assert check.threshold == limit
        assert check.passed == (abs(check.value) <= limit), check
