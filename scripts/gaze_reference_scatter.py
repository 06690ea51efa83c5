"""How steady each eye-corner reference keeps the gaze reading: photos with the eyes on the lens,
their irises moved by known turns (appliance/testing/dress_variants.py gaze_turned) and mirrored.

The gaze check reads the iris against two eye corners. A reference is good when (1) it keeps still
while the iris moves (the reading's response to a known turn is near 1 and the same on every
photo) and (2) photos looking at the lens read near 0 once the response is divided out. Both are
printed in true degrees for each reference:
- `mesh`: the face mesh's eye corners (what the check uses);
- `iris_contour`: the extreme points along the eye of the iris model's own eyelid contour (its
  first 16 points).
`mirror` is the reading of a photo plus that of its mirror image, which is 0 for a reference
without bias whatever the subject's true gaze; `refused@limit` is the share of turns by the
gaze limit (either way), read divided by the mean response, that the check's limit less its margin
would refuse.

    .venv/bin/python scripts/gaze_reference_scatter.py [IMAGES...]
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
from appliance.inference.analysis import Analysis
from appliance.inference.checks.gaze import MESH_CORNERS, turn_about
from appliance.settings import load_settings
from appliance.testing.dress_variants import gaze_turned

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = ROOT.parent / "shared" / "dress" / "a_plain_ok"
EYELID_POINTS = 16


def mesh_corners(analysis: Analysis, eye: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MESH_CORNERS[eye]
    return analysis.pts[a, :2], analysis.pts[b, :2]


def iris_contour_corners(analysis: Analysis, eye: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = mesh_corners(analysis, eye)
    lid = analysis.eyes[eye].contour[:EYELID_POINTS]
    along = (lid - a) @ (b - a)
    return lid[np.argmin(along)], lid[np.argmax(along)]


REFERENCES: dict[str, Callable[[Analysis, int], tuple[np.ndarray, np.ndarray]]] = {
    "mesh": mesh_corners, "iris_contour": iris_contour_corners}


def reading(analysis: Analysis, corners) -> float | None:
    """Both eyes' mean turn about `corners` (degrees, as read, before any response correction)."""
    turns = [turn_about(analysis.eyes[eye].iris[0], *corners(analysis, eye)) for eye in (0, 1)]
    return None if None in turns else float(np.mean(turns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--turn", type=float, default=None, help="degrees of the test turn (default: the gaze limit)")
    args = parser.parse_args(argv)
    paths = args.images or sorted(p for p in DEFAULT_FOLDER.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    settings = load_settings()
    analyzer = build_analyzer(settings)
    limit = settings.checks.gaze.max_off_lens_deg
    turn = args.turn if args.turn is not None else limit
    refuse_from = limit - settings.checks.gaze.margin_deg
    readings: dict[str, dict[tuple[str, bool, float], float]] = {name: {} for name in REFERENCES}
    for index, path in enumerate(paths, 1):
        base = analyzer.analyze(load_image(path).bgr).for_checks
        if base.mesh is None or base.eyes is None:
            continue
        for degrees in (-turn, 0.0, turn):
            warped = gaze_turned(base, degrees)
            for mirrored in (False, True):
                analysis = analyzer.analyze(np.ascontiguousarray(warped[:, ::-1]) if mirrored else warped).for_checks
                if analysis.mesh is None or analysis.eyes is None:
                    continue
                for name, corners in REFERENCES.items():
                    value = reading(analysis, corners)
                    if value is not None:
                        readings[name][(path.name, mirrored, -degrees if mirrored else degrees)] = value
        print(f"\r[{index}/{len(paths)}] {path.name[:50]:50s}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{len(paths)} photos, turns of +-{turn:g} degrees, refused from {refuse_from:g}")
    print(f"{'reference':13s} {'response':>9s} {'spread':>7s} {'at 0 (sd)':>10s} {'mirror (sd)':>12s}"
          f" {'refused@limit':>14s}")
    for name, values in readings.items():
        views = sorted({(f, m) for f, m, _ in values})
        full = [v for v in views if all((*v, d) in values for d in (-turn, 0.0, turn))]
        slopes = np.array([(values[(*v, turn)] - values[(*v, -turn)]) / (2 * turn) for v in full])
        response = float(slopes.mean())
        at_zero = np.array([values[(*v, 0.0)] for v in full if not v[1]]) / response
        mirror = np.array([values[(f, False, 0.0)] + values[(f, True, 0.0)] for f, m in full if not m
                           if (f, True) in full]) / response
        refused = np.mean([abs(values[(*v, d)] / response) >= refuse_from for v in full for d in (-turn, turn)])
        print(f"{name:13s} {response:9.2f} {slopes.std() / response:7.2f} {at_zero.std():10.2f} {mirror.std():12.2f}"
              f" {refused:14.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
