"""The single-frame paper-texture cue (halftone ink dots, a glossy sheet's mirrored light).

It must never refuse a good live photo on a guess: it is a weighted cue that only adds to the edge
and moire evidence. Measured on ../shared/faces/a_good_frontal (no false alarm may appear because of
it) and on controlled variants of real photos rendered as prints (scripts/paper_texture_study.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from appliance.imageio import load_image
from appliance.inference.checks import liveness
from appliance.inference.config import LivenessSettings as CheckLiveness
from appliance.session.config import LivenessSettings as SessionLiveness
from appliance.testing.scripts import load_script

SUFFIXES = {".jpg", ".jpeg", ".png"}
# A few good photos of different sources for the rendered prints (booth-like portraits).
PRINTED = ("dpf_img29.jpg", "dpf_img10.jpg", "CFD-AM-204-122-N.jpg")


@pytest.fixture(scope="module")
def study():
    module = load_script("paper_texture_study.py", "paper_texture_study")
    return module


def _cues(analyzer, bgr):
    view = analyzer.analyze(bgr).for_checks
    assert view.mesh is not None
    return liveness.spoof_cues(view)


def _without_paper(cues):
    return liveness.combined_score({k: v for k, v in cues.items() if k != "paper"})


def test_paper_texture_alone_can_never_refuse():
    full = liveness.combined_score({"frame_edges": 0.0, "paper": 1.0})
    assert full == pytest.approx(liveness.PAPER_WEIGHT)
    assert full < SessionLiveness().max_spoof_score < CheckLiveness().max_spoof_score


def test_no_good_frontal_photo_is_refused_because_of_paper_texture(analyzer, faces_dir):
    """The false-alarm rate the cue adds on live subjects: zero refusals at the session's limit
    (0.5, the strictest) that the other cues alone would not already give."""
    session_limit = SessionLiveness().max_spoof_score
    added, refused = [], []
    paths = sorted(p for p in (faces_dir / "a_good_frontal").iterdir() if p.suffix.lower() in SUFFIXES)
    for path in paths:
        cues = _cues(analyzer, load_image(path).bgr)
        score = liveness.combined_score(cues)
        if score > session_limit and _without_paper(cues) <= session_limit:
            added.append((path.name, {k: round(v, 3) for k, v in cues.items()}))
        if score > CheckLiveness().max_spoof_score:
            refused.append(path.name)
    assert added == [] and refused == []


def test_a_real_photo_printed_in_halftone_reads_as_paper(analyzer, faces_dir, study):
    rng = np.random.default_rng(5)
    for name in PRINTED:
        photo = load_image(faces_dir / "a_good_frontal" / name).bgr
        assert _cues(analyzer, photo).get("paper", 0.0) < 0.5, name
        cues = _cues(analyzer, study.print_variant(photo, 3.5, rng))
        assert cues["halftone"] >= liveness.HALFTONE_PEAK_FULL and cues["paper"] == 1.0, (name, cues)
        assert liveness.combined_score(cues) >= min(1.0, _without_paper(cues) + liveness.PAPER_WEIGHT) - 1e-6


def test_a_glossy_print_reads_as_paper(analyzer, faces_dir, study):
    rng = np.random.default_rng(6)
    glossy = []
    for name in PRINTED:
        cues = _cues(analyzer, study.glossy_variant(load_image(faces_dir / "a_good_frontal" / name).bgr, rng))
        glossy.append(cues.get("gloss", 0.0) >= liveness.GLOSS_SHARE_FROM)
    assert sum(glossy) >= 2, glossy


def test_the_liveness_check_reports_each_paper_cue(analyzer, plain_portrait):
    report = analyzer.check(plain_portrait)
    check = next(c for c in report.checks if c.id == "liveness")
    assert {"halftone", "gloss", "paper"} <= set(check.detail)
