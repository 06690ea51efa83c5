#!/usr/bin/env python3
"""Evaluate the checks over a folder laid out like ../shared/faces (one folder per category).

For each defect category it prints how often the expected check family fails (caught), and for
a_good_frontal the false-reject rate per subject family. The full table, with every image's failed
families and measured values, is written as JSON. Label corrections come from a TOML file, each
with its reason, so no image is ever moved.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appliance.app import build_analyzer  # noqa: E402
from appliance.errors import ImageError  # noqa: E402
from appliance.imageio import load_image  # noqa: E402
from appliance.inference.engine import WORK_MAX_SIDE  # noqa: E402
from appliance.settings import load_settings  # noqa: E402

EXPECTED = {
    "b_eyes_closed": "eyes",
    "c_mouth_open_teeth": "mouth",
    "d_hat": "headwear",
    "e_glasses": "glasses",
    "f_head_pose": "pose",
    "g_lighting": "lighting",
    "h_blur_lowres": "sharpness",
    "i_multi_face": "face_count",
    "i_no_face": "face_count",
    "j_spoof_recapture": "liveness",
    "k_hair_covering": "occlusion",
}
GOOD = "a_good_frontal"
SUBJECT_FAMILIES = ("face_count", "pose", "eyes", "mouth", "headwear", "glasses", "lighting", "sharpness")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def load_corrections(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {c["file"]: c for c in data.get("correction", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, default=ROOT / "out" / "evaluation.json", help="table output")
    parser.add_argument("--corrections", type=Path, default=ROOT / "evaluation" / "corrections.toml")
    parser.add_argument("--settings", type=Path, default=None)
    args = parser.parse_args(argv)

    if not args.folder.is_dir():
        print(f"evaluate: no such folder: {args.folder}", file=sys.stderr)
        return 2
    corrections = load_corrections(args.corrections)
    settings = load_settings(args.settings)
    analyzer = build_analyzer(settings)
    images = sorted(p for p in args.folder.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
    rows = []
    started = time.perf_counter()
    for index, path in enumerate(images, 1):
        rel = f"{path.parent.name}/{path.name}"
        category = corrections.get(rel, {}).get("category", path.parent.name)
        row = {"file": rel, "category": category, "labelled": path.parent.name}
        try:
            image = load_image(path, reduce_to=WORK_MAX_SIDE)  # as `appliance check` decodes it
        except ImageError as exc:
            row.update(verdict="error", error=str(exc), failed=[], values={})
        else:
            report = analyzer.check(image.bgr, grayscale=image.grayscale, pixel_scale=image.scale)
            row.update(
                verdict=report.verdict,
                failed=sorted({c.family for c in report.failed}),
                failed_ids=[c.id for c in report.failed],
                values={c.id: c.value for c in report.checks},
            )
        rows.append(row)
        print(f"\r[{index}/{len(images)}] {rel[:60]:60s}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    by_category: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_category[row["category"]].append(row)
    table: dict[str, dict] = {}
    print(f"{'category':22s} {'family':11s} {'caught':>9s}  rate")
    for category, family in EXPECTED.items():
        members = by_category.get(category, [])
        if not members:
            continue
        caught = [r for r in members if family in r["failed"]]
        missed = [r["file"] for r in members if family not in r["failed"]]
        rate = len(caught) / len(members)
        table[category] = {"family": family, "images": len(members), "caught": len(caught), "rate": rate,
                           "missed": missed}
        print(f"{category:22s} {family:11s} {len(caught):>4d}/{len(members):<4d} {rate:6.1%}")
    good = by_category.get(GOOD, [])
    if good:
        print(f"\n{GOOD}: false rejects per family ({len(good)} images)")
        false_rejects = {}
        for family in SUBJECT_FAMILIES:
            rejected = [r["file"] for r in good if family in r["failed"]]
            false_rejects[family] = {"count": len(rejected), "rate": len(rejected) / len(good), "files": rejected}
            print(f"  {family:11s} {len(rejected):>3d}/{len(good)} {len(rejected) / len(good):6.1%}")
        any_subject = [r for r in good if set(r["failed"]) & set(SUBJECT_FAMILIES)]
        print(f"  {'any subject':11s} {len(any_subject):>3d}/{len(good)} {len(any_subject) / len(good):6.1%}")
        table[GOOD] = {"images": len(good), "false_rejects": false_rejects,
                       "any_subject_rate": len(any_subject) / len(good)}
    real = [r for r in rows if r["category"] != "j_spoof_recapture" and r.get("values", {}).get("liveness") is not None]
    alarms = [r["file"] for r in real if "liveness" in r["failed"]]
    if real:
        print(f"\nliveness false alarms on real photos (every other category): {len(alarms)}/{len(real)} "
              f"{len(alarms) / len(real):6.1%}")
        table["liveness_false_alarms"] = {"count": len(alarms), "of": len(real), "files": alarms}
    elapsed = time.perf_counter() - started
    print(f"\n{len(rows)} images in {elapsed:.1f} s; corrections applied: {len(corrections)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"table": table, "images": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"table written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
