"""The dress-code checks on the real folders: ../shared/dress (a defect per folder, a compliant
control) and ../shared/faces/a_good_frontal. Bars are what the checks reach today on these small
folders (see the evaluation for counts and intervals); a bar may be raised, never lowered."""

from __future__ import annotations

import tomllib

import pytest

from appliance.imageio import load_image
from appliance.testing.scripts import REPO

NEW_CHECKS = ("earrings", "necklace", "head_ornament", "clothing_contrast", "clothing_pattern", "neckline", "gaze",
              "red_eye")
SUFFIXES = {".jpg", ".jpeg", ".png"}


def relabelled() -> dict[str, str]:
    """Folder-relative path -> category, for the photos evaluation/corrections.toml relabels (with
    its reasons): a "compliant" photo whose subject wears earrings is an earrings photo."""
    data = tomllib.loads((REPO / "evaluation" / "corrections.toml").read_text(encoding="utf-8"))
    return {c["file"]: c["category"] for c in data.get("correction", [])}


def failed_ids(analyzer, folder):
    """Failed check ids per photo of the folder's category: its own photos less those relabelled
    away, plus those relabelled into it from the folder's siblings."""
    corrected = relabelled()
    paths = [p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES
             and corrected.get(f"{folder.name}/{p.name}", folder.name) == folder.name]
    paths += [folder.parent / rel for rel, category in corrected.items()
              if category == folder.name and (folder.parent / rel).is_file()]
    out = {}
    for path in sorted(paths):
        image = load_image(path)
        out[path.name] = {c.id for c in analyzer.check(image.bgr, grayscale=image.grayscale).failed}
    return out


@pytest.mark.parametrize(("folder", "check_id", "share"), [
    ("m_stripes_pattern", "clothing_pattern", 0.85), ("m_low_cut_strapless", "neckline", 0.85),
    # jewellery through the face parser: earrings 11/12 (with a_plain_ok/dbr_135_03, relabelled;
    # a thin hoop missed), necklaces 2/4 (two thin chains missed), ornaments 4/6
    ("m_light_blue_top", "clothing_contrast", 0.85), ("l_earrings", "earrings", 0.9),
    ("l_necklace", "necklace", 0.5), ("l_head_ornament", "head_ornament", 0.66),
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
