#!/usr/bin/env python3
"""What each slow check costs on a live frame, and what each slow group's turn adds.

Live guidance runs the slow checks (a rule's `cadence`) in groups that take turns on the engine's
rotation (inference/engine.py HEAVY_ROTATION); the heaviest turn sets the live path's p95, so the
groups are sized by these figures. Each photo is letterboxed to 640x480 and tracked for a few
frames as the booth would; then, per group, a fresh live analysis of the frame is made and the
group's checks are called in the engine's order, so values memoised on the analysis (the skin
model, say) are paid by the group's first reader, as in the engine. CPU time (process_time), not
wall time: the machines are shared.

    .venv/bin/python scripts/bench_slow_checks.py [--photos ...] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

from appliance.app import build_analyzer
from appliance.imageio import load_image
from appliance.inference.checks.registry import ALL_CHECKS, SLOW_CHECK_GROUPS
from appliance.settings import load_settings
from appliance.testing.bench import chosen_photos, letterbox, print_json
from appliance.testing.bench import percentile as pct

ROOT = Path(__file__).resolve().parent.parent


def check_name(check: object) -> str:
    return f"{getattr(check, '__module__', '').rsplit('.', 1)[-1]}.{getattr(check, '__name__', '?')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per photo and group")
    parser.add_argument("--json", action="store_true", help="last line: one JSON object with the results")
    args = parser.parse_args(argv)
    photos = chosen_photos(args.photos, ROOT, "bench_slow_checks")
    settings = load_settings(overrides={"runtime": {"threads": 1, "image_threads": 1}})
    analyzer = build_analyzer(settings)
    per_check: dict[tuple[str, str], list[float]] = defaultdict(list)
    per_group: dict[str, list[float]] = defaultdict(list)
    for path in photos:
        frame = letterbox(load_image(path).bgr)
        for _ in range(3):
            analyzer.check(frame, live=True)  # the track holds the face, as in a session
        for _ in range(args.repeat):
            for group, members in SLOW_CHECK_GROUPS.items():
                view = analyzer.analyze(frame, live=True).for_checks
                if view.mesh is None:
                    continue
                turn = 0.0
                for check in ALL_CHECKS:
                    if check not in members:
                        continue
                    start = time.process_time()
                    check(view, analyzer.settings)
                    used = (time.process_time() - start) * 1000
                    per_check[(group, check_name(check))].append(used)
                    turn += used
                per_group[group].append(turn)
    print(f"slow checks on {len(photos)} photos x {args.repeat} passes, CPU ms per call")
    print(f"{'group':10s} {'check':44s} {'p50':>7s} {'p90':>7s}")
    for (group, name), values in sorted(per_check.items()):
        print(f"{group:10s} {name:44s} {pct(values, 50):7.2f} {pct(values, 90):7.2f}")
    print(f"{'group':10s} {'the whole turn':44s} {'p50':>7s} {'p90':>7s}")
    for group, values in per_group.items():
        print(f"{group:10s} {'':44s} {pct(values, 50):7.2f} {pct(values, 90):7.2f}")
    if args.json:
        print_json({"groups": {g: {"p50": round(pct(v, 50), 3), "p90": round(pct(v, 90), 3),
                                   "checks": {n: round(statistics.median(c), 3)
                                              for (gg, n), c in per_check.items() if gg == g}}
                               for g, v in per_group.items()}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
