"""The dress-code checks on the real folders: ../shared/dress (a defect per folder, a compliant
control) and ../shared/faces/a_good_frontal. Bars are what the checks reach today on these small
folders (see the evaluation for counts and intervals); a bar may be raised, never lowered."""

from __future__ import annotations

import pytest

from appliance.imageio import load_image

NEW_CHECKS = ("earrings", "necklace", "head_ornament", "clothing_contrast", "clothing_pattern", "neckline", "gaze",
              "red_eye")
SUFFIXES = {".jpg", ".jpeg", ".png"}


def failed_ids(analyzer, folder):
    out = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES):
        image = load_image(path)
        out[path.name] = {c.id for c in analyzer.check(image.bgr, grayscale=image.grayscale).failed}
    return out


@pytest.mark.parametrize(("folder", "check_id", "share"), [
    ("m_stripes_pattern", "clothing_pattern", 0.85), ("m_low_cut_strapless", "neckline", 0.85),
    # earrings 2/11: a third photo (dbr_026f, studs) used to count only through its red hair's
    # highlights, the very false alarm test_good_frontal_photos_... forbids; it is not a catch
    ("m_light_blue_top", "clothing_contrast", 0.85), ("l_earrings", "earrings", 0.18),
    ("l_necklace", "necklace", 0.5), ("l_head_ornament", "head_ornament", 0.33),
])
def test_dress_defects_are_caught(analyzer, dress_dir, folder, check_id, share):
    results = failed_ids(analyzer, dress_dir / folder)
    caught = [name for name, ids in results.items() if check_id in ids]
    assert len(caught) >= share * len(results), f"{folder}: {len(caught)}/{len(results)}"


def test_compliant_tops_raise_few_false_alarms(analyzer, dress_dir):
    results = failed_ids(analyzer, dress_dir / "a_plain_ok")
    for check_id in NEW_CHECKS:
        alarms = [name for name, ids in results.items() if check_id in ids]
        # long dark hair over a grey top (cfd_CFD-AF-253-130-N) read as a pattern until the hair's
        # colour beside the cheeks was left out of the clothing
        assert alarms == [], (check_id, alarms)


def test_good_frontal_photos_raise_at_most_two_percent_false_alarms(analyzer, faces_dir):
    results = failed_ids(analyzer, faces_dir / "a_good_frontal")
    for check_id in NEW_CHECKS:
        alarms = [name for name, ids in results.items() if check_id in ids]
        assert len(alarms) <= 0.02 * len(results), (check_id, alarms)
