"""The single-frame paper-texture cue (halftone ink dots, a glossy sheet's mirrored light).

It must never refuse a good live photo on a guess: it is a weighted cue that only adds to the edge
and moire evidence. Measured on ../shared/faces/a_good_frontal (no false alarm may appear because of
it) and on controlled variants of real photos rendered as prints (scripts/paper_texture_study.py).
"""

from __future__ import annotations

import cv2
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


def test_tile_spectrum_from_the_half_spectrum_is_the_full_fft_one():
    """The halftone cue's spectrum is made from rfft2's half (a real tile's spectrum is symmetric):
    it must be fft2's to rounding, so the cue reads the same on every photo."""
    rng = np.random.default_rng(7)
    plane = (rng.random((150, 130)) * 255).astype(np.float32)
    plane += 40 * np.sin(np.arange(130) * 2.6)[None, :].astype(np.float32)  # a periodic pattern
    spectrum, count = liveness._tile_spectrum(plane)
    n = liveness.TEXTURE_TILE
    high = plane - cv2.GaussianBlur(plane, (0, 0), 2.5)
    tiles = np.array([high[r:r + n, c:c + n] for r in range(0, 150 - n + 1, n // 2)
                      for c in range(0, 130 - n + 1, n // 2)], np.float32)
    tiles -= tiles.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(tiles * (np.hanning(n)[:, None] * np.hanning(n)[None]))) ** 2
    expected = np.fft.fftshift((power / power.sum(axis=(1, 2), keepdims=True)).mean(axis=0))
    assert count == len(tiles) and spectrum.shape == (n, n)
    assert np.allclose(spectrum, expected, rtol=1e-12, atol=1e-15)
