"""The live path's declared rotation: every check is evaluated again within the frames its
cadence declares (`live_latency_frames`), the iris model runs on its turn and when the mesh sees
the eyes change, and eyes closing shows within the iris cadence even without that shortcut."""

from __future__ import annotations

import math

import pytest

from appliance.inference import engine
from appliance.inference.checks import registry
from appliance.inference.checks.rules import Cadence
from appliance.inference.engine import HEAVY_ROTATION, IRIS_EVERY, REDETECT_EVERY, live_latency_frames
from appliance.testing.bench import letterbox


def test_the_rotation_declares_every_heavy_step_and_its_latency():
    steps = {"iris", "mask", *registry.SLOW_CHECK_GROUPS}
    assert {slot for slot in HEAVY_ROTATION if slot} == steps
    iris_turns = [i for i, slot in enumerate(HEAVY_ROTATION) if slot == "iris"]
    assert iris_turns == list(range(0, len(HEAVY_ROTATION), IRIS_EVERY))
    assert live_latency_frames("iris") == IRIS_EVERY + math.ceil(IRIS_EVERY / REDETECT_EVERY)
    for group in registry.SLOW_CHECK_GROUPS:
        assert live_latency_frames(group) == len(HEAVY_ROTATION) + math.ceil(len(HEAVY_ROTATION) / REDETECT_EVERY)
    # most tracked frames carry no heavy step at all
    assert HEAVY_ROTATION.count("") > len(HEAVY_ROTATION) / 2
    with pytest.raises(ValueError, match="no turn"):
        live_latency_frames("nothing")


def _latency_of(check) -> int:
    cadence = next(c.cadence for c in registry.ENGINE_CHECKS if c.run is check)
    return 1 if cadence == Cadence.EVERY_FRAME else live_latency_frames(cadence.value)


def test_every_check_is_evaluated_within_its_declared_frames(analyzer, face_photo):
    """A slow check's result is carried over between its turns (the same object); every check must
    produce a new result at least once in every window of its declared latency."""
    frame = letterbox(face_photo("a_good_frontal/CFD-AM-204-122-N.jpg"))
    analyzer.reset_tracking()
    try:
        reports = [analyzer.check(frame, live=True) for _ in range(2 * len(HEAVY_ROTATION) + 8)]
    finally:
        analyzer.reset_tracking()
    by_id: dict[str, list[int]] = {}  # per result id, the frames on which it was measured anew
    previous: dict[str, object] = {}
    for index, report in enumerate(reports):
        for result in report.checks:
            if previous.get(result.id) is not result:
                by_id.setdefault(result.id, []).append(index)
            previous[result.id] = result
    rule_latency = {rule.id: _latency_of(check.run) for check in registry.ENGINE_CHECKS for rule in check.rules}
    assert set(by_id) == {c.id for c in reports[0].checks}
    for rule_id, frames in by_id.items():
        latency = rule_latency[rule_id]
        waits = [b - a for a, b in zip([0, *frames], [*frames, len(reports)], strict=True)]
        assert max(waits) <= latency, (rule_id, frames, latency)


@pytest.mark.parametrize("motion_gate", [True, False])
def test_eyes_closing_is_reported_within_the_iris_cadence(analyzer, face_photo, monkeypatch, motion_gate):
    """Yale subject 01 with eyes open, then the same sitting with eyes closed: the closed eyes fail
    within the iris model's declared latency; the mesh's view of the lids (the motion gate) makes
    it the very next frame."""
    if not motion_gate:
        monkeypatch.setattr(engine, "IRIS_MOTION_LIMIT", math.inf)
    opened = letterbox(face_photo("a_good_frontal/yale_subject01_normal.png"))
    closed = letterbox(face_photo("b_eyes_closed/yale_subject01_sleepy.png"))
    analyzer.reset_tracking()
    try:
        for _ in range(len(HEAVY_ROTATION) + 1):
            report = analyzer.check(opened, live=True)
        assert next(c for c in report.checks if c.id == "eyes_open").passed
        latency = live_latency_frames("iris")
        seen = []
        for _ in range(latency):
            report = analyzer.check(closed, live=True)
            seen.append(next(c for c in report.checks if c.id == "eyes_open").passed)
    finally:
        analyzer.reset_tracking()
    assert not seen[-1], seen
    if motion_gate:
        assert seen == [False] * latency
    else:
        assert seen[0], "without the gate the moved eyes of the open frame stand until the iris's turn"


def test_a_steady_face_runs_the_iris_model_on_its_turns_only(analyzer, face_photo, monkeypatch):
    frame = letterbox(face_photo("a_good_frontal/CFD-AM-204-122-N.jpg"))
    calls = []
    run = analyzer.iris.run
    monkeypatch.setattr(analyzer.iris, "run", lambda *a, **k: calls.append(analyzer._track.frame) or run(*a, **k))
    analyzer.reset_tracking()
    try:
        for _ in range(3 * len(HEAVY_ROTATION)):
            analyzer.check(frame, live=True)
    finally:
        analyzer.reset_tracking()
    # the first frame (a new face); while the track settles from the detector's fit onto the mesh's
    # own, the mesh may see the eyes move; after that only the tracked frames whose turn it is
    assert calls[0] == 0
    steady = [f for f in calls if f >= IRIS_EVERY]
    assert all(HEAVY_ROTATION[f % len(HEAVY_ROTATION)] == "iris" for f in steady), calls
    assert len(steady) >= 3 * len(HEAVY_ROTATION) // IRIS_EVERY - 4, calls


def test_the_heaviest_slow_check_has_a_turn_of_its_own():
    """Liveness costs about as much as any other whole slow group (checks/registry.py); sharing its
    turn made that frame the live path's p95."""
    from appliance.inference.checks import liveness

    group = next(name for name, members in registry.SLOW_CHECK_GROUPS.items() if liveness.check_liveness in members)
    assert registry.SLOW_CHECK_GROUPS[group] == frozenset({liveness.check_liveness})
    # the frames without a heavy step set the p50: the rotation keeps as many as before the split
    assert HEAVY_ROTATION.count("") >= 14
