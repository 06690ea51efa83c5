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


def test_manifest_notes_document_second_defects(evaluate):
    """The MANIFEST's own phrasing: a second defect "(secondary)", "too", "also"; the control's
    "normal neckline" and an ornament's stripes are no clothing defect."""
    assert evaluate.dress_documented("hoop earrings; wide scoop neckline (secondary)") == ("earrings", "neckline")
    assert evaluate.dress_documented("diamond necklace; also stud earrings and strapless top (secondary)") == (
        "earrings", "necklace", "neckline")
    assert evaluate.dress_documented("plain white V-neck T-shirt (normal neckline), no jewellery") == ()
    assert evaluate.dress_documented("wide striped fabric headband; cord necklace") == ("necklace", "head_ornament")


def documented_row(file, category, checks, documented):
    data = row(file, category, [check_id for check_id, _ in checks])
    data["failed_families"] = [family for _, family in checks]
    data["documented"] = list(documented)
    return data


def test_right_reason_accepting_a_documented_second_defect_sits_beside_the_strict_figure(evaluate):
    """A scoop neckline named before caught earrings counts when the notes document the neckline;
    not when they do not, nor when the earrings themselves are missed; the strict figure is
    unchanged, and the order study reports both figures."""
    layout = evaluate.DRESS
    earrings, neckline = ("earrings", "accessories"), ("neckline", "clothing")
    rows = [
        documented_row("l_earrings/1", "l_earrings", [neckline, earrings], ["earrings", "neckline"]),
        documented_row("l_earrings/2", "l_earrings", [neckline, earrings], ["earrings"]),  # not documented
        documented_row("l_earrings/3", "l_earrings", [neckline], ["earrings", "neckline"]),  # earrings missed
        documented_row("l_earrings/4", "l_earrings", [earrings], ["earrings"]),
    ]
    entry = evaluate.summarise(rows, layout)["categories"]["l_earrings"]
    assert entry["right_reason"]["count"] == 1
    assert entry["right_reason_documented"]["count"] == 2
    study = evaluate.order_study(rows, layout)
    assert study["catalogue"]["categories"]["l_earrings"]["right_reason_documented"]["count"] == 2
    # jewellery first: every caught pair now names the earrings first, strictly
    assert study["accessories_first"]["categories"]["l_earrings"]["right_reason"]["count"] == 3
    # a layout that reads no notes reports the strict figures only
    faces_row = documented_row("b/1", "b_eyes_closed", [("eyes_open", "eyes")], ["eyes"])
    faces_entry = evaluate.summarise([faces_row], evaluate.FACES)["categories"]["b_eyes_closed"]
    assert "right_reason" in faces_entry and "right_reason_documented" not in faces_entry
