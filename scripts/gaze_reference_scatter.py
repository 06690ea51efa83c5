"""How steady each gaze reference keeps the reading, and what the check as shipped refuses: photos
with the eyes on the lens, their irises moved by known turns (appliance/testing/dress_variants.py
gaze_turned) and mirrored.

The gaze check reads the iris centre against two eye corners. A reference (an iris centre and two
corners) is good when (1) it keeps still while the iris moves (the reading's response to a known
turn is near 1 and the same on every photo) and (2) photos looking at the lens read near 0 once
the response is divided out. Both are printed in true degrees for each reference:
- `mesh`: the iris model's centre against the face mesh's eye corners (what the check uses);
- `iris_contour`: the same centre against the extreme points along the eye of the iris model's
  own eyelid contour (its first 16 points);
- `pixel_iris`: the centre found on the image's pixels (appliance/inference/checks/iris_centre.py)
  against the mesh's corners moved back by half a pixel of the mesh's input crop (the mesh reads
  points half a crop pixel right of and below where pixels put them: without it this reference
  reads 3.3 degrees toward the image's left on every photo and its mirror image alike).
`mirror` is the reading of a photo plus that of its mirror image, divided by the square root of 2:
the measurement's own scatter on one photo (0 for a reference without noise whatever the
subject's true gaze); `at 0` also holds the photos' own gaze. `refused@limit` is the share of
turns by the gaze limit (either way), read divided by the mean response, that the check's limit
less its margin would refuse. The second table is the check itself (off_lens_deg) at each turn
of --turns: the share of the turned photos it refuses, and of the unturned ones it passes.

    .venv/bin/python scripts/gaze_reference_scatter.py [IMAGES...] [--good-frontal] [--turns 10 15]
        default images: ../shared/dress/a_plain_ok
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from appliance.app import build_analyzer
from appliance.imageio import load_image
from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.checks.gaze import MESH_CORNERS, off_lens_deg, turn_about
from appliance.inference.checks.iris_centre import iris_centre
from appliance.settings import load_settings
from appliance.testing.dress_variants import gaze_turned
from appliance.testing.engine_helpers import labelled_photos

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = ROOT.parent / "shared" / "dress" / "a_plain_ok"
FACES = ROOT.parent / "shared" / "faces"
EYELID_POINTS = 16
RINGS = (lm.RIGHT_EYE_RING, lm.LEFT_EYE_RING)

Points = tuple[np.ndarray, np.ndarray, np.ndarray]  # iris centre, corner a (image-left), corner b
Readings = dict[tuple[str, bool, float], float]  # (photo, mirrored, turn) -> degrees


def mesh_corners(analysis: Analysis, eye: int) -> Points:
    a, b = MESH_CORNERS[eye]
    return analysis.eyes[eye].iris[0], analysis.pts[a, :2], analysis.pts[b, :2]


def iris_contour_corners(analysis: Analysis, eye: int) -> Points:
    iris, a, b = mesh_corners(analysis, eye)
    lid = analysis.eyes[eye].contour[:EYELID_POINTS]
    along = (lid - a) @ (b - a)
    return iris, lid[np.argmin(along)], lid[np.argmax(along)]


def pixel_iris(analysis: Analysis, eye: int) -> Points:
    model, a, b = mesh_corners(analysis, eye)
    roi = analysis.mesh.roi
    origin, half = roi.to_image(np.array([[0.0, 0.0], [0.5, 0.5]]), lm.MESH_INPUT)
    shift = half - origin
    found = iris_centre(analysis.bgr, a, b, analysis.pts[list(RINGS[eye]), :2], model,
                        analysis.eyes[eye].iris_radius)
    return (model if found is None else found), a - shift, b - shift


REFERENCES: dict[str, Callable[[Analysis, int], Points]] = {
    "mesh": mesh_corners, "iris_contour": iris_contour_corners, "pixel_iris": pixel_iris}


def reading(analysis: Analysis, reference: Callable[[Analysis, int], Points]) -> float | None:
    """Both eyes' mean turn about the reference (degrees, as read, before any response correction)."""
    turns = [turn_about(*reference(analysis, eye)) for eye in (0, 1)]
    return None if None in turns else float(np.mean(turns))


def print_references(readings: dict[str, Readings], turn: float, refuse_from: float) -> None:
    print(f"{'reference':13s} {'response':>9s} {'spread':>7s} {'at 0 (sd)':>10s} {'mirror (sd)':>12s}"
          f" {'refused@limit':>14s}")
    for name, values in readings.items():
        views = sorted({(f, m) for f, m, _ in values})
        full = [v for v in views if all((*v, d) in values for d in (-turn, 0.0, turn))]
        slopes = np.array([(values[(*v, turn)] - values[(*v, -turn)]) / (2 * turn) for v in full])
        response = float(slopes.mean())
        at_zero = np.array([values[(*v, 0.0)] for v in full if not v[1]]) / response
        mirror = np.array([values[(f, False, 0.0)] + values[(f, True, 0.0)] for f, m in full if not m
                           if (f, True) in full]) / response / np.sqrt(2)
        refused = np.mean([abs(values[(*v, d)] / response) >= refuse_from for v in full for d in (-turn, turn)])
        print(f"{name:13s} {response:9.2f} {slopes.std() / response:7.2f} {at_zero.std():10.2f} {mirror.std():12.2f}"
              f" {refused:14.2f}")


def print_check(values: Readings, turns: list[float], refuse_from: float) -> None:
    print(f"{'check':13s} {'turn':>5s} {'photos':>7s} {'refused':>8s}")
    at_zero = [abs(v) < refuse_from for (_, _, d), v in values.items() if d == 0.0]
    print(f"{'gaze':13s} {0:5g} {len(at_zero):7d} {1 - np.mean(at_zero):8.3f}")
    for turn in turns:
        refused = [np.sign(v) == np.sign(d) and abs(v) >= refuse_from for (_, _, d), v in values.items()
                   if abs(d) == turn]
        print(f"{'gaze':13s} {turn:5g} {len(refused):7d} {np.mean(refused):8.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--good-frontal", action="store_true",
                        help="add ../shared/faces's good frontal photos (a_good_frontal, label corrections applied)")
    parser.add_argument("--turns", nargs="*", type=float, default=None,
                        help="degrees of the test turns (default: the gaze limit); the references use the first")
    args = parser.parse_args(argv)
    paths = args.images or sorted(p for p in DEFAULT_FOLDER.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    if args.good_frontal:
        paths = [*paths, *labelled_photos(FACES, "a_good_frontal")]
    settings = load_settings()
    analyzer = build_analyzer(settings)
    limit = settings.checks.gaze.max_off_lens_deg
    turns = args.turns or [limit]
    refuse_from = limit - settings.checks.gaze.margin_deg
    readings: dict[str, Readings] = {name: {} for name in REFERENCES}
    checked: Readings = {}
    for index, path in enumerate(paths, 1):
        base = analyzer.analyze(load_image(path).bgr).for_checks
        if base.mesh is None or base.eyes is None:
            continue
        for degrees in (0.0, *(sign * t for t in turns for sign in (-1.0, 1.0))):
            warped = gaze_turned(base, degrees)
            for mirrored in (False, True):
                analysis = analyzer.analyze(np.ascontiguousarray(warped[:, ::-1]) if mirrored else warped).for_checks
                if analysis.mesh is None or analysis.eyes is None:
                    continue
                key = (f"{path.parent.name}/{path.name}", mirrored, -degrees if mirrored else degrees)
                for name, reference in REFERENCES.items():
                    value = reading(analysis, reference)
                    if value is not None:
                        readings[name][key] = value
                gaze = off_lens_deg(analysis, settings.checks)
                if gaze is not None and not mirrored:
                    checked[key] = gaze
        print(f"\r[{index}/{len(paths)}] {path.name[:50]:50s}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{len(paths)} photos, turns of +-{turns[0]:g} degrees, refused from {refuse_from:g}")
    print_references(readings, turns[0], refuse_from)
    print()
    print_check(checked, turns, refuse_from)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
