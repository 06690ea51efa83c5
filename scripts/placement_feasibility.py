"""Whether any placement of a portrait meets every hard rule of the preset, and which rule stops it.

Settles "a valid placement exists" with the engine's own measures (eye line, crown from the person
mask, face width cheek to cheek, where the person touches the source's border, hair touching the
top): a fine grid of scale x eye height, every levelling the producer may use, and the hard
constraints crown, eye line and face width in the preset's ranges, centring (the face centre on the
middle), no enlargement beyond `max_upscale`, and no person pixel beyond the source. When no cell
fits, each constraint is dropped in turn: the ones whose dropping alone lets a cell fit are the
binding ones. `depth` is how far (product px) the deepest fitting cell lies inside every range and
the source's border: a portrait with depth under 2 fits only by a hair. Beside the mask's crown
the crown read from colour alone and the share of the top row over the head that is hair audit
the two measures a bleeding matte would get wrong (crown too high, hair "touching" the top).

    .venv/bin/python scripts/placement_feasibility.py [--produce] [IMAGES...]
        default images: the CFD studio portraits of ../shared/faces; --produce also runs
        produce_photo(kind="file") and prints its outcome beside the verdict
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from appliance.app import build_analyzer
from appliance.produce.config import PhotoSpec
from appliance.produce.measure import HeadMeasure, axes, measure_head
from appliance.produce.placement import PersonBorder, border_depth, person_border
from appliance.produce.verify import product_geometry
from appliance.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent

# The grid reaches beyond the ranges so a dropped range can be seen to bind: face width and eye
# line in product px, 1 px steps.
FACE_SPAN, EYE_SPAN, STEP = (120.0, 400.0), (140.0, 360.0), 1.0
# Colour distance (0..441) from the backdrop that counts as hair, for the colour cross-check.
COLOUR_DISTANCE = 40.0
CONSTRAINTS = ("crown_low", "crown_high", "eye_low", "eye_high", "face_low", "face_high", "upscale", "source")


def portrait_images() -> list[Path]:
    return sorted(p for p in (ROOT.parent / "shared" / "faces" / "a_good_frontal").glob("*")
                  if "cfd" in p.name.lower())


def constraint_depths(head: HeadMeasure, spec: PhotoSpec, border: PersonBorder | None, max_upscale: float,
                      rolls: list[float]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Per constraint, per grid cell: signed product px inside it (>= 0 holds), best over `rolls`
    for the source's border; and the grid's scales and eye heights."""
    widths = np.arange(FACE_SPAN[0], FACE_SPAN[1] + STEP / 2, STEP)
    scales = (widths / head.face_width)[:, None]
    eyes = np.arange(EYE_SPAN[0], EYE_SPAN[1] + STEP / 2, STEP)[None, :]
    shape = (scales.shape[0], eyes.shape[1])
    crown = eyes - scales * head.eye_to_crown
    width = np.broadcast_to(scales * head.face_width, shape)
    depths = {
        "crown_low": crown - spec.crown_y.low, "crown_high": spec.crown_y.high - crown,
        "eye_low": np.broadcast_to(eyes - spec.eye_y.low, shape),
        "eye_high": np.broadcast_to(spec.eye_y.high - eyes, shape),
        "face_low": width - spec.face_width.low, "face_high": spec.face_width.high - width,
        "upscale": np.broadcast_to((max_upscale - scales) * head.face_width, shape),
    }
    if border is None:
        depths["source"] = np.full(shape, np.inf)
    else:
        depths["source"] = np.max([border_depth(head, spec, scales, eyes, border, roll) for roll in rolls], axis=0)
    return depths, scales, eyes


def verdict(head: HeadMeasure | None, spec: PhotoSpec, border: PersonBorder | None, max_upscale: float,
            rolls: list[float]) -> tuple[str, float, str]:
    """(feasible | infeasible, depth of the deepest fitting cell, binding constraints)."""
    if head is None:
        return "infeasible", 0.0, "no_face"
    if head.crown_at_edge:
        return "infeasible", 0.0, "hair_at_top"
    depths, _, _ = constraint_depths(head, spec, border, max_upscale, rolls)
    # the centring rule holds in every cell: the face centre is put on the middle
    stacked = np.stack([depths[c] for c in CONSTRAINTS])
    depth = stacked.min(axis=0)
    if (depth >= 0).any():
        return "feasible", float(depth.max()), ""
    binding = [c for i, c in enumerate(CONSTRAINTS) if (np.delete(stacked, i, axis=0).min(axis=0) >= 0).any()]
    return "infeasible", float(depth.max()), "+".join(binding) or "several"


def colour_crown(source: np.ndarray, head: HeadMeasure, analysis) -> tuple[float, float]:
    """An independent reading of the crown (source px from the top) and of the share of the top row
    over the head that is hair, from the colour alone: where the pixels over the face's middle stop
    being the backdrop's colour (sampled in the top corners). It audits the mask's crown and its
    "hair touches the top" verdict: a matte bleeding into a bright backdrop would read higher."""
    corners = np.concatenate([source[:30, :30].reshape(-1, 3), source[:30, -30:].reshape(-1, 3)])
    distance = np.linalg.norm(source.astype(np.float32) - np.median(corners, axis=0), axis=2)
    pts = analysis.pts[:, :2]
    centre = float((pts[234, 0] + pts[454, 0]) / 2)
    width = head.face_width
    band = distance[:, max(0, int(centre - 0.15 * width)):int(centre + 0.15 * width)] > COLOUR_DISTANCE
    crown = float(np.argmax(band.mean(axis=1) > 0.3))
    over_head = distance[0, max(0, int(centre - 0.6 * width)):int(centre + 0.6 * width)]
    return crown, float(np.mean(over_head > COLOUR_DISTANCE))


def product_margin(result, spec: PhotoSpec) -> str:
    """The product's own crown, eye line and face width and the least px any lies inside its range."""
    if result.report is None or result.report.analysis is None:
        return ""
    geo = product_geometry(result.report.analysis)
    if geo is None:
        return ""
    margin = min(min(v - r.low, r.high - v) for v, r in ((geo.crown_y, spec.crown_y), (geo.eye_y, spec.eye_y),
                                                          (geo.face_width, spec.face_width)))
    return f"{geo.crown_y:.1f}/{geo.eye_y:.1f}/{geo.face_width:.1f} ({margin:+.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--produce", action="store_true", help="also produce each portrait as a file")
    args = parser.parse_args()
    images = [p for p in (args.images or portrait_images()) if p.exists()]
    if not images:
        print("placement_feasibility: no images (../shared/faces is absent; name some)", file=sys.stderr)
        return 2
    settings = load_settings()
    analyzer = build_analyzer(settings)
    cfg, spec = settings.produce, settings.produce.spec()
    residual = float(np.radians(settings.checks.pose.max_roll_deg)) / 2
    verdicts, reasons, outcomes = Counter(), Counter(), Counter()
    margins: list[float] = []
    print("file\tverdict\tdepth_px\tbinding\teye_to_crown/eye_to_bottom\tcrown mask/colour (src px)\t"
          "hair in top row\tproduce\tcrown/eye/face (margin)")
    crown_gaps: list[float] = []
    for path in images:
        source = cv2.imread(str(path))
        analysis = analyzer.analyze(source)
        head = measure_head(analysis)
        border = None if analysis.person_mask is None else person_border(analysis.person_mask)
        rolls = [] if head is None else [head.roll, *(head.roll * share for share in (0.5, 0.0)
                                                      if abs(head.roll) * (1 - share) <= residual)]
        found, depth, binding = verdict(head, spec, border, cfg.max_upscale, rolls)
        ratio = "" if head is None else f"{head.eye_to_crown / (source.shape[0] - head.eye_mid[1]):.3f}"
        crowns, hair_top = "", ""
        if head is not None:
            by_colour, top_share = colour_crown(source, head, analysis)
            by_mask = float((head.eye_mid + axes(head.roll)[0] * head.eye_to_crown)[1])
            crowns, hair_top = f"{by_mask:.0f}/{by_colour:.0f}", f"{top_share:.2f}"
            if by_colour > 0:
                crown_gaps.append(by_mask - by_colour)
        outcome, measured = "", ""
        if args.produce:
            from appliance.produce.photo import produce_photo

            result = produce_photo(analyzer, source, settings, kind="file", analysis=analysis)
            outcome = "PASS" if result.ok else result.code
            if not result.ok and result.code == "verification" and result.report is not None:
                outcome += ":" + ",".join(c.id for c in result.report.failed)
            outcomes[(found, outcome.split(":")[0])] += 1
            measured = product_margin(result, spec)
            if result.ok:
                margins.append(float(measured.rsplit("(", 1)[1].rstrip(")")))
        verdicts[found] += 1
        if binding:
            reasons[binding] += 1
        print(f"{path.name}\t{found}\t{depth:.1f}\t{binding or '-'}\t{ratio}\t{crowns}\t{hair_top}\t{outcome}\t"
              f"{measured}", flush=True)
    print(f"# {len(images)} portraits: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
    print("# binding when infeasible: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    if crown_gaps:
        gaps = np.abs(crown_gaps)
        print(f"# crown, mask minus colour (source px, hair below the top): median {np.median(crown_gaps):+.1f}, "
              f"90th percentile of |gap| {np.percentile(gaps, 90):.1f}, largest {gaps.max():.1f}")
    if outcomes:
        print("# verdict x produce: " + ", ".join(f"{a}/{b} {n}" for (a, b), n in sorted(outcomes.items())))
    if margins:
        print(f"# passed products: least margin inside the ranges {min(margins):.1f} px, median "
              f"{float(np.median(margins)):.1f}, {sum(m < 2 for m in margins)} under 2 px")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
