#!/usr/bin/env python3
"""Evaluate the checks over a labelled folder (one sub-folder per category) and report the figures
the team decides by.

For every defect category: how often the family that owns it fails (caught) and how often the
first failing message names that defect (right reason), each as a count with a Wilson 95%
interval, and how often the photo is refused at all (any subject check fails: what the student
meets, where "caught" asks the folder's own family); for the good folder, the false rejects per
family. The same figures per subgroup (from the MANIFEST.tsv notes, e.g. `east_asian`) and per
source repository, and split categories (e.g. e_glasses into tinted / reflection, which must be
caught, and clear, which must not be refused as glasses). Everything, with every image's failed
checks and values, goes to the JSON file.

A folder layout is one `Layout` entry in LAYOUTS (its folder -> family table, its good folder,
its subgroups and splits); the layout is chosen with --layout or by the folder's name. Label
corrections come from a TOML file, each with its reason, so no image is ever moved.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson(successes, n)
    return {"count": successes, "of": n, "rate": successes / n if n else None,
            "wilson95": [round(low, 4), round(high, 4)]}


def fmt(prop: dict[str, Any]) -> str:
    if not prop["of"]:
        return f"{'-':>18s}"
    low, high = prop["wilson95"]
    return f"{prop['count']:>3d}/{prop['of']:<3d} {prop['rate']:6.1%} [{low:5.1%}-{high:5.1%}]"


@dataclass(frozen=True)
class Split:
    """A category whose members differ in what is expected: `kind_of` reads a member's kind from its
    MANIFEST notes (or a correction's value); members of `caught_kinds` must fail the category's
    family, the others must not."""

    kind_of: Callable[[str], str]
    caught_kinds: frozenset[str]


@dataclass(frozen=True)
class Layout:
    name: str
    expected: dict[str, str]  # defect folder -> the check family that must catch it
    good: str  # the folder whose photos must pass the subject families
    subject_families: tuple[str, ...]  # a good photo failing one of these is a false reject
    # Families not about the subject (framing, backdrop, clothes of a found photo): left out when
    # asking which failing message comes first, since the booth reframes and replaces the backdrop.
    scene_families: tuple[str, ...] = ()
    subgroups: dict[str, Callable[[dict[str, str]], bool]] = field(default_factory=dict)
    splits: dict[str, Split] = field(default_factory=dict)
    # "family", or "id" where one family holds several rules a folder each (earrings, necklace):
    # then `expected`, `subject_families` and the right reason name check ids.
    key: str = "family"
    # When set, the right reason is the first failing of these (the rest of a found photo's
    # failures, a smile or the framing, are not what the folder is about).
    reasons: tuple[str, ...] = ()
    # Checks whose false alarms and operator notices on the good folder are reported one by one.
    watch_ids: tuple[str, ...] = ()
    # Families the SPEC's live guidance names before the rest ("distance, centring, tilt, then
    # expression"; the face count before all): one of these named first, on a photo whose own
    # defect is also caught, is the SPEC's order, not a wrong reason (right_reason_spec_order).
    guidance_first: tuple[str, ...] = ()
    # Other guidance orders whose right-reason figures are reported beside the catalogue's.
    order_studies: tuple[RuleOrder, ...] = ()
    # Reads the defects a photo's MANIFEST notes document (keys, as `expected`'s values): with it,
    # a second figure beside the strict right reason accepts a documented second defect named
    # first, when the photo's own defect is caught too (right_reason_documented).
    documented: Callable[[str], tuple[str, ...]] | None = None


@dataclass(frozen=True)
class RuleOrder:
    """A guidance order to compare with the catalogue's: the failing rules that match `first`
    (each entry "family:<name>" or a rule id) are named first, in the order of `first`, the rest
    keep the catalogue's order. The recorded failures of every photo are re-sorted, so the verdicts
    stay as they are and only the first failing message (the right reason) can change."""

    name: str
    first: tuple[str, ...]
    why: str

    def rank(self, check_id: str, family: str) -> int:
        for index, entry in enumerate(self.first):
            if entry == check_id or entry == f"family:{family}":
                return index
        return len(self.first)


# As in the catalogue: why no face was found (frame.py), then the face count, before the rest.
NO_FACE_FIRST = ("frame_exposure", "frame_sharpness", "family:face_count")
ORDER_STUDIES = (
    RuleOrder("catalogue", (), "the catalogue's order (inference/checks/registry.py MODULES)"),
    RuleOrder("capture_first", (*NO_FACE_FIRST, "family:sharpness", "family:lighting"),
              "the capture judged before the subject: blur, fine detail and resolution, then light"),
    RuleOrder("blur_after_pose", (*NO_FACE_FIRST, "family:headwear", "family:pose", "sharpness", "fine_detail"),
              "blur and fine detail (not resolution) right after headwear and pose"),
    RuleOrder("resolution_after_pose", (*NO_FACE_FIRST, "family:headwear", "family:pose", "resolution"),
              "too few pixels right after headwear and pose, blur where it is"),
    RuleOrder("light_after_pose", (*NO_FACE_FIRST, "family:headwear", "family:pose", "family:lighting"),
              "light right after headwear and pose, before eyes and mouth"),
)


def glasses_kind(notes: str) -> str:
    text = notes.lower()
    if any(w in text for w in ("sunglass", "tinted", "mirror", "dark lens")):
        return "tinted"
    if any(w in text for w in ("reflection", "glare")):
        return "reflection"
    return "clear"


FACES = Layout(
    name="faces",
    expected={
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
    },
    good="a_good_frontal",
    subject_families=("face_count", "pose", "eyes", "mouth", "headwear", "glasses", "occlusion", "lighting",
                      "sharpness"),
    scene_families=("geometry", "background", "clothing"),
    guidance_first=("face_count", "pose"),
    subgroups={"east_asian": lambda meta: "east_asian" in meta.get("notes", "")},
    splits={"e_glasses": Split(glasses_kind, frozenset({"tinted", "reflection"}))},
    order_studies=ORDER_STUDIES,
    watch_ids=("earrings", "necklace", "head_ornament", "clothing_pattern", "neckline", "gaze", "red_eye",
               "coloured_contacts", "heavy_makeup"),
)

DRESS_CHECKS = ("earrings", "necklace", "head_ornament", "clothing_contrast", "clothing_pattern", "neckline")
# The words ../shared/dress's MANIFEST notes use for each dress defect ("hoop earrings; wide scoop
# neckline (secondary)", "diamond necklace; also stud earrings and strapless top"): a photo's notes
# document a defect when they name one of its words. "normal neckline" (the control's V-necks)
# names none.
DOCUMENTED_WORDS: dict[str, tuple[str, ...]] = {
    "earrings": ("earring",),
    "necklace": ("necklace", "chain", "choker", "pendant"),
    "head_ornament": ("headband", "hair clip", "in hair", "hair flower"),
    "clothing_contrast": ("light-blue", "light blue"),
    # not "striped" alone: "wide striped fabric headband" is an ornament's pattern, not the top's
    "clothing_pattern": ("striped top", "striped shirt", "stripes", "check", "plaid", "tartan", "floral", "pattern",
                         "print", "sequin"),
    "neckline": ("scoop", "strap", "off-shoulder", "sleeveless", "low-cut", "halter", "bandeau"),
}


def dress_documented(notes: str) -> tuple[str, ...]:
    """The dress defects (check ids) a photo's MANIFEST notes name, in DRESS_CHECKS' order."""
    text = notes.lower()
    return tuple(check_id for check_id, words in DOCUMENTED_WORDS.items() if any(w in text for w in words))


DRESS_ORDER_STUDIES = (
    RuleOrder("catalogue", (), "the catalogue's order (inference/checks/registry.py MODULES)"),
    RuleOrder("accessories_first", ("family:accessories",),
              "jewellery and hair ornaments before the clothing checks (contrast, neckline, pattern)"),
)
DRESS = Layout(
    name="dress",
    expected={
        "l_earrings": "earrings",
        "l_necklace": "necklace",
        "l_head_ornament": "head_ornament",
        "m_light_blue_top": "clothing_contrast",
        "m_stripes_pattern": "clothing_pattern",
        "m_low_cut_strapless": "neckline",
    },
    good="a_plain_ok",
    subject_families=DRESS_CHECKS,
    key="id",
    reasons=DRESS_CHECKS,
    subgroups={"east_asian": lambda meta: "east_asian" in meta.get("notes", "")},
    order_studies=DRESS_ORDER_STUDIES,
    documented=dress_documented,
    watch_ids=(*DRESS_CHECKS, "gaze", "red_eye", "coloured_contacts", "heavy_makeup"),
)

LAYOUTS: dict[str, Layout] = {FACES.name: FACES, DRESS.name: DRESS}


def choose_layout(folder: Path, name: str | None) -> Layout:
    if name:
        return LAYOUTS[name]
    if folder.resolve().name in LAYOUTS:
        return LAYOUTS[folder.resolve().name]
    present = {p.name for p in folder.iterdir() if p.is_dir()}
    return max(LAYOUTS.values(), key=lambda lay: len(present & (set(lay.expected) | {lay.good})))


def load_manifest(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


def load_corrections(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    corrections = {}
    for entry in data.get("correction", []):
        if not entry.get("reason"):
            raise SystemExit(f"evaluate: correction of {entry.get('file')} has no reason")
        corrections[entry["file"]] = entry
    return corrections


def first_reason(row: dict[str, Any], layout: Layout) -> str | None:
    """Family (or id) of the first failing check that is about the subject (the message a student
    reads)."""
    return next((key for key in row["failed_order"] if key not in layout.scene_families
                 and (not layout.reasons or key in layout.reasons)), None)


def right_in_spec_order(row: dict[str, Any], family: str, layout: Layout) -> bool:
    """The first message names `family`, or the photo's own defect is caught too and the first
    message is one the SPEC's guidance order puts before it."""
    first = first_reason(row, layout)
    if first == family:
        return True
    return (family in row["failed"] and family not in layout.guidance_first
            and first in layout.guidance_first)


def right_with_documented_second(row: dict[str, Any], family: str, layout: Layout) -> bool:
    """The first message names `family`, or the photo's own defect is caught too and the first
    message names another defect its MANIFEST notes document (a real defect, the student fixes
    both)."""
    first = first_reason(row, layout)
    return first == family or (family in row["failed"] and first in row.get("documented", ()))


def refused_on_subject(row: dict[str, Any], layout: Layout) -> bool:
    """Whether a check about the subject (not the scene) fails, so the photo is not accepted."""
    return bool(set(row["failed"]) & set(layout.subject_families))


def expected_caught(row: dict[str, Any], layout: Layout) -> bool:
    """Whether the row's category family must fail (False for a split's pass kinds)."""
    split = layout.splits.get(row["category"])
    return split is None or row.get("kind") in split.caught_kinds


def summarise(rows: list[dict[str, Any]], layout: Layout) -> dict[str, Any]:
    """Caught and right-reason figures per defect category, false rejects on the good folder."""
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_category[row["category"]].append(row)
    categories: dict[str, Any] = {}
    for category, family in layout.expected.items():
        members = [r for r in by_category.get(category, []) if expected_caught(r, layout)]
        if not members:
            continue
        caught = [r for r in members if family in r["failed"]]
        right = [r for r in members if first_reason(r, layout) == family]
        in_order = [r for r in members if right_in_spec_order(r, family, layout)]
        refused = [r for r in members if refused_on_subject(r, layout)]
        categories[category] = {
            "family": family,
            "caught": proportion(len(caught), len(members)),
            # what the student meets: the photo is not accepted, whichever subject check says so
            # (a closed-eye photo of a lowered head refused for its pose is refused, not caught)
            "refused": proportion(len(refused), len(members)),
            "missed_but_refused_by": {r["file"]: first_reason(r, layout) for r in members
                                      if family not in r["failed"] and refused_on_subject(r, layout)},
            "right_reason": proportion(len(right), len(members)),
            "right_reason_spec_order": proportion(len(in_order), len(members)),
            **({"right_reason_documented": proportion(
                sum(right_with_documented_second(r, family, layout) for r in members), len(members))}
               if layout.documented else {}),
            "missed": [r["file"] for r in members if family not in r["failed"]],
            "wrong_reason": {r["file"]: r["first_failed_id"] for r in members
                             if first_reason(r, layout) != family},
        }
    summary: dict[str, Any] = {"categories": categories}
    good = by_category.get(layout.good, [])
    if good:
        per_family = {}
        for family in layout.subject_families:
            rejected = [r["file"] for r in good if family in r["failed"]]
            per_family[family] = {**proportion(len(rejected), len(good)), "files": rejected}
        any_subject = [r["file"] for r in good if refused_on_subject(r, layout)]
        summary["good"] = {"folder": layout.good, "false_rejects": proportion(len(any_subject), len(good)),
                           "files": any_subject, "per_family": per_family}
        if layout.watch_ids:
            watched = {}
            for check_id in layout.watch_ids:
                alarms = [r["file"] for r in good if check_id in r.get("failed_ids", [])]
                notices = [r["file"] for r in good if check_id in r.get("notices", [])]
                watched[check_id] = {"false_alarms": {**proportion(len(alarms), len(good)), "files": alarms},
                                     "notices": {**proportion(len(notices), len(good)), "files": notices}}
            summary["good"]["per_check"] = watched
    splits = {}
    for category, split in layout.splits.items():
        family = layout.expected[category]
        kinds: dict[str, Any] = {}
        for kind in sorted({r.get("kind") for r in by_category.get(category, [])} - {None}):
            members = [r for r in by_category[category] if r.get("kind") == kind]
            failed = [r for r in members if family in r["failed"]]
            key = "caught" if kind in split.caught_kinds else f"refused_as_{family}"
            kinds[kind] = {key: proportion(len(failed), len(members)), "files": [r["file"] for r in failed]}
        splits[category] = kinds
    if splits:
        summary["splits"] = splits
    return summary


def reordered(row: dict[str, Any], order: RuleOrder, layout: Layout) -> dict[str, Any]:
    """The row with its failures re-sorted into `order` (what the first message would be)."""
    families = row.get("failed_families") or []
    if len(families) != len(row["failed_ids"]):
        return row
    pairs = sorted(zip(row["failed_ids"], families, strict=True), key=lambda pair: order.rank(*pair))
    keys = [check_id if layout.key == "id" else family for check_id, family in pairs]
    return {**row, "failed_order": list(dict.fromkeys(keys))}


# The right-reason figures an order study reports (the last only where a layout reads notes).
ORDER_FIGURES = ("right_reason", "right_reason_spec_order", "right_reason_documented")


def order_study(rows: list[dict[str, Any]], layout: Layout) -> dict[str, Any]:
    """Right reason (strict and in SPEC order) per defect category under each of the layout's
    order studies; caught and the false rejects do not depend on the order."""
    study = {}
    for order in layout.order_studies:
        summary = summarise([reordered(r, order, layout) for r in rows], layout)
        study[order.name] = {
            "first": list(order.first), "why": order.why,
            "categories": {category: {key: entry[key] for key in ORDER_FIGURES if key in entry}
                           for category, entry in summary["categories"].items()},
        }
    return study


def print_order_study(study: dict[str, Any]) -> None:
    if not study:
        return
    print("\n== right reason under other guidance orders (strict / SPEC order[ / documented second first];"
          " same verdicts, first message re-sorted)")
    categories = list(next(iter(study.values()))["categories"])
    print(f"{'order':22s} " + " ".join(f"{c[:13]:>13s}" for c in categories))
    for name, entry in study.items():
        cells = []
        for category in categories:
            figures = entry["categories"].get(category)
            if not figures:
                cells.append("-")
                continue
            counts = "/".join(str(figures[key]["count"]) for key in ORDER_FIGURES if key in figures)
            cells.append(f"{counts} of {figures['right_reason']['of']}")
        print(f"{name:22s} " + " ".join(f"{c:>13s}" for c in cells))
    for name, entry in study.items():
        print(f"  {name}: {entry['why']}")


def print_summary(title: str, summary: dict[str, Any], layout: Layout) -> None:
    print(f"\n== {title}")
    documented = layout.documented is not None
    if summary["categories"]:
        print(f"{'category':22s} {'family':11s} {'caught':>29s}  {'right reason':>29s}"
              f"  {'right reason, SPEC order':>29s}  {'refused (any subject check)':>29s}"
              + (f"  {'right, documented 2nd first':>29s}" if documented else ""))
    for category, entry in summary["categories"].items():
        print(f"{category:22s} {entry['family']:11s} {fmt(entry['caught']):>29s}  {fmt(entry['right_reason']):>29s}"
              f"  {fmt(entry['right_reason_spec_order']):>29s}  {fmt(entry['refused']):>29s}"
              + (f"  {fmt(entry['right_reason_documented']):>29s}" if documented else ""))
    for category, kinds in summary.get("splits", {}).items():
        for kind, entry in kinds.items():
            key, prop = next((k, v) for k, v in entry.items() if k != "files")
            print(f"  {category}/{kind:12s} {key:22s} {fmt(prop)}")
    good = summary.get("good")
    if good:
        print(f"{layout.good}: false rejects {fmt(good['false_rejects'])}")
        for family, prop in good["per_family"].items():
            if prop["count"]:
                print(f"    {family:11s} {fmt(prop)}")
        if good.get("per_check"):
            print(f"  watched checks on {layout.good}: {'false alarms':>29s}  {'operator notices':>29s}")
            for check_id, entry in good["per_check"].items():
                print(f"    {check_id:18s} {fmt(entry['false_alarms']):>29s}  {fmt(entry['notices']):>29s}")


def analyse(paths: list[Path], folder: Path, layout: Layout, settings_path: Path | None,
            manifest: dict[str, dict[str, str]], corrections: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    from appliance.app import build_analyzer
    from appliance.errors import ImageError
    from appliance.imageio import load_image
    from appliance.inference.engine import WORK_MAX_SIDE
    from appliance.settings import load_settings

    analyzer = build_analyzer(load_settings(settings_path))
    rows = []
    for index, path in enumerate(paths, 1):
        rel = path.relative_to(folder).as_posix()
        meta = manifest.get(rel, {})
        correction = corrections.get(rel, {})
        category = correction.get("category", path.parent.name)
        row: dict[str, Any] = {"file": rel, "category": category, "labelled": path.parent.name,
                               "source": meta.get("source_repo", "unknown"),
                               "groups": sorted(g for g, test in layout.subgroups.items() if test(meta))}
        if layout.documented is not None:
            row["documented"] = list(layout.documented(meta.get("notes", "")))
        split = layout.splits.get(category)
        if split is not None:
            row["kind"] = correction.get("kind") or split.kind_of(meta.get("notes", ""))
        try:
            image = load_image(path, reduce_to=WORK_MAX_SIDE)  # as `appliance check` decodes it
        except ImageError as exc:
            row.update(verdict="error", error=str(exc), failed=[], failed_order=[], failed_ids=[], failed_families=[],
                       first_failed_id=None, values={}, notices=[])
        else:
            report = analyzer.check(image.bgr, grayscale=image.grayscale, pixel_scale=image.scale)
            order = list(dict.fromkeys(c.id if layout.key == "id" else c.family for c in report.failed))
            row.update(
                verdict=report.verdict,
                failed=sorted(order),
                failed_order=order,
                failed_ids=[c.id for c in report.failed],
                failed_families=[c.family for c in report.failed],
                first_failed_id=next((c.id for c in report.failed if c.family not in layout.scene_families
                                      and (not layout.reasons or c.id in layout.reasons)), None),
                notices=[c.id for c in report.checks if getattr(c, "notice", False)],
                values={c.id: c.value for c in report.checks},
                thresholds={c.id: c.threshold for c in report.checks},
            )
        rows.append(row)
        print(f"\r[{index}/{len(paths)}] {rel[:60]:60s}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, default=ROOT / "out" / "evaluation.json", help="table output")
    parser.add_argument("--corrections", type=Path, default=ROOT / "evaluation" / "corrections.toml")
    parser.add_argument("--settings", type=Path, default=None)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default=None,
                        help="folder layout (default: by the folder's name, else the best match)")
    parser.add_argument("--no-sources", action="store_true", help="leave the per-source table out of the print")
    args = parser.parse_args(argv)

    if not args.folder.is_dir():
        print(f"evaluate: no such folder: {args.folder}", file=sys.stderr)
        return 2
    layout = choose_layout(args.folder, args.layout)
    corrections = load_corrections(args.corrections)
    manifest = load_manifest(args.folder)
    paths = sorted(p for p in args.folder.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
    started = time.perf_counter()
    rows = analyse(paths, args.folder, layout, args.settings, manifest, corrections)
    elapsed = time.perf_counter() - started

    overall = summarise(rows, layout)
    print_summary(f"all ({len(rows)} images, layout {layout.name})", overall, layout)
    orders = order_study(rows, layout)
    print_order_study(orders)
    subgroups = {}
    for group in layout.subgroups:
        members = [r for r in rows if group in r["groups"]]
        subgroups[group] = summarise(members, layout)
        print_summary(f"subgroup {group} ({len(members)} images)", subgroups[group], layout)
    sources = {}
    for source in sorted({r["source"] for r in rows}):
        members = [r for r in rows if r["source"] == source]
        sources[source] = summarise(members, layout)
        if not args.no_sources:
            print_summary(f"source {source} ({len(members)} images)", sources[source], layout)

    real = [r for r in rows if r["category"] != "j_spoof_recapture" and r["values"].get("liveness") is not None]
    alarms = [r["file"] for r in real if "liveness" in r["failed"]]
    liveness = {**proportion(len(alarms), len(real)), "files": alarms}
    print(f"\nliveness false alarms on real photos (every other category): {fmt(liveness)}")
    print(f"{len(rows)} images in {elapsed:.1f} s; corrections applied: {len(corrections)}")
    table = {"layout": layout.name, "all": overall, "order_study": orders, "subgroups": subgroups, "sources": sources,
             "liveness_false_alarms": liveness, "corrections": len(corrections), "seconds": round(elapsed, 1)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"table": table, "images": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"table written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
