#!/usr/bin/env python3
"""The jewellery checks on controlled variants of the compliant photos of a dress folder: drop
earrings, studs, a chain necklace and a hair flower drawn on each (appliance/testing/dress_variants.py),
each variant judged by its own check, and the unchanged photo by all three. Prints the caught
counts with Wilson 95% intervals; the folder's relabelled photos (evaluation/corrections.toml) are
left out, as they are not compliant."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from evaluate import fmt, proportion  # noqa: E402

VARIANTS = {
    "drop_earrings": ("earrings", lambda dv, a: dv.with_drop_earrings(a)),
    "studs": ("earrings", lambda dv, a: dv.with_studs(a)),
    "chain_necklace": ("necklace", lambda dv, a: dv.with_chain_necklace(a)),
    "hair_flower": ("head_ornament", lambda dv, a: dv.with_hair_flower(a)),
}
JEWELLERY = ("earrings", "necklace", "head_ornament")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of compliant photos, e.g. ../shared/dress/a_plain_ok")
    args = parser.parse_args(argv)
    from appliance.app import build_analyzer
    from appliance.imageio import load_image
    from appliance.settings import load_settings
    from appliance.testing import dress_variants as dv

    corrections = tomllib.loads((ROOT / "evaluation" / "corrections.toml").read_text(encoding="utf-8"))
    relabelled = {c["file"] for c in corrections.get("correction", [])}
    analyzer = build_analyzer(load_settings())
    caught: dict[str, list[bool]] = {name: [] for name in VARIANTS}
    alarms: dict[str, list[bool]] = {check: [] for check in JEWELLERY}
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
                   and f"{args.folder.name}/{p.name}" not in relabelled)
    for index, path in enumerate(paths, 1):
        print(f"[{index}/{len(paths)}] {path.name}", file=sys.stderr, flush=True)
        analysis = analyzer.analyze(load_image(path).bgr).for_checks
        if analysis.mesh is None:
            continue
        plain = {r.id: r for r in analyzer.evaluate(analyzer.analyze(analysis.bgr))}
        for check in JEWELLERY:
            alarms[check].append(not plain[check].passed)
        for name, (check, draw) in VARIANTS.items():
            results = {r.id: r for r in analyzer.evaluate(analyzer.analyze(draw(dv, analysis)))}
            caught[name].append(not results[check].passed)
    print(f"{'variant':16s} {'check':14s} {'caught':>29s}")
    for name, (check, _) in VARIANTS.items():
        print(f"{name:16s} {check:14s} {fmt(proportion(sum(caught[name]), len(caught[name]))):>29s}")
    print(f"{'unchanged':16s} {'false alarms':14s}")
    for check in JEWELLERY:
        print(f"{'':16s} {check:14s} {fmt(proportion(sum(alarms[check]), len(alarms[check]))):>29s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
