"""scripts/evaluate.py's figures on hand-made rows: the Wilson interval, caught and right-reason
counts, the good folder's false rejects and a split category's two expectations."""

from __future__ import annotations

import pytest

from appliance.testing.scripts import load_script


@pytest.fixture(scope="module")
def evaluate():
    module = load_script("evaluate.py", "evaluate_script")
    return module


def test_wilson_interval_matches_known_values(evaluate):
    low, high = evaluate.wilson(15, 23)
    assert (round(low, 3), round(high, 3)) == (0.449, 0.812)
    assert evaluate.wilson(0, 10)[0] == 0.0 and round(evaluate.wilson(0, 10)[1], 3) == 0.278
    assert evaluate.wilson(0, 0) == (0.0, 1.0)


def row(file, category, failed_order, kind=None):
    data = {"file": file, "category": category, "failed_order": failed_order, "failed": sorted(failed_order),
            "first_failed_id": failed_order[0] if failed_order else None}
    if kind:
        data["kind"] = kind
    return data


def test_caught_right_reason_and_false_rejects(evaluate):
    layout = evaluate.FACES
    rows = [
        row("d_hat/1", "d_hat", ["geometry", "headwear", "occlusion"]),  # scene family skipped: right
        row("d_hat/2", "d_hat", ["occlusion", "headwear"]),  # caught, wrong first message
        row("d_hat/3", "d_hat", []),
        row("a_good_frontal/1", "a_good_frontal", ["geometry"]),
        row("a_good_frontal/2", "a_good_frontal", ["mouth"]),
        row("e_glasses/1", "e_glasses", ["glasses"], kind="tinted"),
        row("e_glasses/2", "e_glasses", ["glasses"], kind="clear"),
        row("e_glasses/3", "e_glasses", [], kind="clear"),
    ]
    summary = evaluate.summarise(rows, layout)
    hat = summary["categories"]["d_hat"]
    assert hat["caught"]["count"] == 2 and hat["caught"]["of"] == 3
    assert hat["right_reason"]["count"] == 1 and list(hat["wrong_reason"]) == ["d_hat/2", "d_hat/3"]
    assert summary["good"]["false_rejects"]["count"] == 1 and summary["good"]["files"] == ["a_good_frontal/2"]
    glasses = summary["categories"]["e_glasses"]
    assert glasses["caught"]["of"] == 1  # only the kinds that must be caught
    assert summary["splits"]["e_glasses"]["clear"]["refused_as_glasses"]["count"] == 1
    assert summary["splits"]["e_glasses"]["clear"]["refused_as_glasses"]["of"] == 2


def test_right_reason_in_spec_order_counts_pose_named_before_a_caught_expression(evaluate):
    """SPEC §4: guidance names tilt before expression. Pose first on a closed-eye photo whose eyes
    are also caught is in that order; pose first with the eyes missed, or occlusion first, is not;
    and the pose folder gets no credit for another family."""
    layout = evaluate.FACES
    rows = [
        row("b/1", "b_eyes_closed", ["eyes", "pose"]),
        row("b/2", "b_eyes_closed", ["pose", "eyes"]),
        row("b/3", "b_eyes_closed", ["pose"]),
        row("b/4", "b_eyes_closed", ["occlusion", "eyes"]),
        row("f/1", "f_head_pose", ["face_count", "pose"]),
    ]
    summary = evaluate.summarise(rows, layout)
    eyes = summary["categories"]["b_eyes_closed"]
    assert eyes["right_reason"]["count"] == 1
    assert eyes["right_reason_spec_order"]["count"] == 2 and eyes["right_reason_spec_order"]["of"] == 4
    assert summary["categories"]["f_head_pose"]["right_reason_spec_order"]["count"] == 0


def test_glasses_kind_from_notes(evaluate):
    assert evaluate.glasses_kind("sunglasses selfie") == "tinted"
    assert evaluate.glasses_kind("eyeglasses with visible lens reflections/glare") == "reflection"
    assert evaluate.glasses_kind("Yale label glasses; grayscale") == "clear"


def test_layout_chosen_by_folder_name_or_contents(evaluate, tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    assert evaluate.choose_layout(faces, None) is evaluate.FACES
    other = tmp_path / "elsewhere"
    (other / "d_hat").mkdir(parents=True)
    assert evaluate.choose_layout(other, None) is evaluate.FACES


def test_refused_counts_a_photo_any_subject_check_turns_away(evaluate):
    """A closed-eye photo of a lowered head that only pose refuses is refused but not caught, and is
    listed with the family that refused it; a scene family alone does not refuse."""
    layout = evaluate.FACES
    rows = [
        row("b/1", "b_eyes_closed", ["pose", "eyes"]),
        row("b/2", "b_eyes_closed", ["pose"]),
        row("b/3", "b_eyes_closed", ["geometry"]),
    ]
    eyes = evaluate.summarise(rows, layout)["categories"]["b_eyes_closed"]
    assert eyes["caught"]["count"] == 1
    assert eyes["refused"]["count"] == 2 and eyes["refused"]["of"] == 3
    assert eyes["missed_but_refused_by"] == {"b/2": "pose"}


def failing(file, category, checks):
    """A row from its failing checks, (id, family) in the catalogue's order."""
    data = row(file, category, list(dict.fromkeys(family for _, family in checks)))
    data["failed_ids"] = [check_id for check_id, _ in checks]
    data["failed_families"] = [family for _, family in checks]
    return data


def test_order_study_re_sorts_the_recorded_failures(evaluate):
    """A small photo with closed eyes in the blur folder is named for its eyes in the catalogue's
    order and for its resolution when the capture is judged first; the same two failures in the
    closed-eye folder go the other way; a photo whose only failure is its own defect is right in
    every order."""
    layout = evaluate.FACES
    rows = [
        failing("h/1", "h_blur_lowres", [("eyes_open", "eyes"), ("resolution", "sharpness")]),
        failing("b/1", "b_eyes_closed", [("eyes_open", "eyes"), ("resolution", "sharpness")]),
        failing("b/2", "b_eyes_closed", [("eyes_open", "eyes")]),
    ]
    study = evaluate.order_study(rows, layout)
    catalogue, capture = study["catalogue"]["categories"], study["capture_first"]["categories"]
    assert catalogue["h_blur_lowres"]["right_reason"]["count"] == 0
    assert capture["h_blur_lowres"]["right_reason"]["count"] == 1
    assert catalogue["b_eyes_closed"]["right_reason"]["count"] == 2
    assert capture["b_eyes_closed"]["right_reason"]["count"] == 1
    # resolution after pose, but blur where it is: only the rule named moves
    assert study["blur_after_pose"]["categories"]["h_blur_lowres"]["right_reason"]["count"] == 0
    assert study["resolution_after_pose"]["categories"]["h_blur_lowres"]["right_reason"]["count"] == 1


def test_order_rank_tells_a_family_from_a_rule_of_the_same_name(evaluate):
    """`sharpness` is both a family and the blur rule's id: "family:sharpness" takes the whole
    family, a bare "sharpness" only the blur rule."""
    order = evaluate.RuleOrder("t", ("sharpness", "family:sharpness"), "")
    assert order.rank("sharpness", "sharpness") == 0
    assert order.rank("resolution", "sharpness") == 1
    assert order.rank("eyes_open", "eyes") == 2
