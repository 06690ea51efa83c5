"""The live guide feeds the LED ring's closed loop with exposure and a signed left/right balance."""

from __future__ import annotations

import numpy as np

from appliance.capture.camera.base import Frame
from appliance.imageio import load_image
from appliance.inference.guidance import EngineGuide


def test_darker_left_half_reads_as_positive_balance(analyzer, faces_dir):
    frame = load_image(faces_dir / "a_good_frontal" / "dpf_img29.jpg").bgr
    guide = EngineGuide(analyzer)
    seen: list[tuple[float | None, float | None]] = []
    guide.lighting_listeners.append(lambda luma, balance: seen.append((luma, balance)))
    analyzer.reset_tracking()
    guide.evaluate(Frame(frame))
    shaded = frame.astype(np.float32)
    shaded[:, : frame.shape[1] // 2] *= 0.5
    analyzer.reset_tracking()
    guide.evaluate(Frame(shaded.astype(np.uint8)))
    (luma_even, balance_even), (luma_shaded, balance_shaded) = seen
    assert luma_even is not None and luma_shaded is not None and luma_shaded < luma_even
    assert abs(balance_even) < 0.15 and balance_shaded > 0.2
