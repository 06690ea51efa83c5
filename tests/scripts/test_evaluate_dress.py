"""scripts/evaluate.py's dress layout on hand-made rows: folders judged by check id (earrings and
necklace share a family), the right reason among the dress checks only, and each watched check's
false alarms and operator notices on the compliant control."""

from __future__ import annotations

import pytest

from appliance.testing.scripts import load_script


@pytest.fixture(scope="module")
def evaluate():
    module = load_script("evaluate.py", "evaluate_dress_script")
    return module


def row(file, category, failed_ids, notices=()):
    return {"file": file, "category": category, "failed_order": list(failed_ids), "failed": sorted(failed_ids),
            "failed_ids": list(failed_ids), "notices": list(notices),
            "first_failed_id": next((i for i in failed_ids if i != "mouth_neutral"), None)}


def test_dress_folders_are_judged_by_check_id(evaluate):
    layout = evaluate.LAYOUTS["dress"]
    rows = [
        row("l_earrings/1", "l_earrings", ["mouth_neutral", "earrings"]),  # a smile is not the dress reason
        row("l_earrings/2", "l_earrings", ["necklace", "earrings"]),  # caught, necklace named first
        row("l_earrings/3", "l_earrings", ["necklace"]),  # the family fails, the rule does not: missed
        row("m_stripes_pattern/1", "m_stripes_pattern", ["clothing_pattern"]),
        row("a_plain_ok/1", "a_plain_ok", ["mouth_neutral"], notices=["heavy_makeup"]),
        row("a_plain_ok/2", "a_plain_ok", ["neckline"]),
    ]
    summary = evaluate.summarise(rows, layout)
    earrings = summary["categories"]["l_earrings"]
    assert (earrings["caught"]["count"], earrings["caught"]["of"]) == (2, 3)
    assert earrings["right_reason"]["count"] == 1 and earrings["missed"] == ["l_earrings/3"]
    assert summary["categories"]["m_stripes_pattern"]["right_reason"]["count"] == 1
    good = summary["good"]
    assert good["false_rejects"]["count"] == 1 and good["files"] == ["a_plain_ok/2"]
    assert good["per_check"]["neckline"]["false_alarms"]["count"] == 1
    assert good["per_check"]["heavy_makeup"]["notices"]["count"] == 1
    assert good["per_check"]["heavy_makeup"]["false_alarms"]["count"] == 0


def test_the_dress_folder_chooses_the_dress_layout(evaluate, dress_dir):
    assert evaluate.choose_layout(dress_dir, None).name == "dress"
