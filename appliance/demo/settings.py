"""The settings `appliance run --demo` lays over the defaults: simulated parts and the demo's codes."""

from __future__ import annotations

from typing import Any

from appliance.demo.codes import DEMO_KEY_HEX, DEMO_KEY_ID, DEMO_SCHOOL_CODE


def demo_overrides(data_dir: str) -> dict[str, Any]:
    """Settings of `appliance run --demo`: no camera, no GPIO, a flat portrait (liveness off), the
    public demo key for reference codes and the school plain codes are filed under."""
    return {
        "device": {"data_dir": data_dir},
        # The demo's subject is a photographed face on drawn hair and ears; the face parser calls
        # part of that drawn hair a hat (0.1 face widths squared), which no real head shows. The
        # demo's jewellery checks judge by the image measures alone, as live guidance does.
        "checks": {"accessories": {"face_parser": False}},
        "codes": {"school_code": DEMO_SCHOOL_CODE, "reference_keys": {DEMO_KEY_ID: DEMO_KEY_HEX}},
        "store": {"dir": f"{data_dir}/store", "min_free_mb": 1},
        "capture": {
            # The Pi's own stream sizes: the scripted subject (appliance/demo/) fills them as a student would.
            "camera": {"kind": "demo"},
            "button": {"kind": "simulated"},
            "leds": {"kind": "virtual", "virtual_count": 16},  # drawn on the screen as a ring
        },
        "session": {
            # Long enough for the ring's light challenge and the lens cue after it: the recording
            # (0.35 s lead, 6 steps of at most 0.35 s, 0.6 s tail) ends before the cue begins 0.9 s
            # before the shot, or its last frames saw the cue. The portrait answers the challenge
            # through the demo camera's light layer (capture/camera/lit_face.py).
            "countdown_s": 4.0,
            "burst_size": 2,
            "auto_capture_frames": 3,
            # Video cues off: a flat portrait cannot blink. The light challenge stays on, with
            # longer steps and tail: a PC renders the demo camera's frames slower than a Pi camera
            # delivers them, and a slow frame rate needs longer steps for as many frames in each.
            # The booth's own latency window: the frames carry the moment the light layer sampled
            # the ring, so their irregular rendering adds no lag.
            "liveness": {"required": False, "light": {"step_min_s": 0.25, "step_max_s": 0.35, "tail_s": 0.6}},
        },
    }
