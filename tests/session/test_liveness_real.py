"""A printed photo held up to the booth is refused by the real engine plus the liveness tracker.

The attack is rendered by scripts/bench_liveness_real.py from a real photograph (a flat sheet moved
by a hand, paper border, thumb, blur, changing light) and fed exactly as the booth feeds it. The face
must be found in nearly every frame, so the refusal is the tracker's and not a lost face.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.inference.guidance import EngineGuide
from appliance.session.config import LivenessSettings
from appliance.testing.scripts import load_script

FRAMES = 45  # three seconds at 15 fps: longer than the booth needs to see a blink and a sway


@pytest.fixture(scope="module")
def attacks():
    module = load_script("bench_liveness_real.py", "bench_liveness_real")
    return module


@pytest.mark.parametrize("name, seed", [("dpf_img29.jpg", 11), ("yale_subject01_normal.png", 12)])
def test_a_hand_held_print_of_a_real_photo_is_refused(faces_dir: Path, analyzer, attacks, name, seed):
    photo = cv2.imread(str(faces_dir / "a_good_frontal" / name), cv2.IMREAD_COLOR)
    assert photo is not None, name
    face = attacks.face_in(analyzer, photo)
    assert face is not None, f"the engine finds no face in {name} itself"
    analyzer.reset_tracking()
    frames = attacks.attack_frames(photo, face, "print", FRAMES, np.random.default_rng(seed))
    result = attacks.run_tracker(EngineGuide(analyzer), frames, LivenessSettings())
    assert result.face_frames >= FRAMES - 3, "the face was lost, so this would not test the tracker"
    assert not result.accepted, result
