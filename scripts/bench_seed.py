#!/usr/bin/env python3
"""How often a still seeded from the live track gets another verdict than the full search, beside
how often the full search disagrees with itself when the subject moves 3 px.

Each photo of ../shared/faces (every --step-th) is shown as a few live 640x480 frames and then as a
4000x3000 still of the same framing. The still is checked three ways: the full search, the search
around the live track's face (`Analyzer.live_seed`), and the full search on the still shifted by
3 px (a subject never holds stiller between the last guidance frame and the shutter). A seeded
verdict that differs from the full one about as often as the shifted one does changes nothing a
subject could notice; one that differs much more often would be a bug. Also prints the CPU time of
the two searches (process_time, which the machine's load does not inflate).

    .venv/bin/python scripts/bench_seed.py [--step 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from appliance.app import build_analyzer
from appliance.errors import ImageError
from appliance.imageio import load_image
from appliance.settings import load_settings
from appliance.testing.bench import letterbox, still_frame

ROOT = Path(__file__).resolve().parent.parent

LIVE_FRAMES = 3
SHIFT_PX = 3


def failed_ids(report) -> list[str]:
    return sorted(c.id for c in report.failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=8, help="every step-th photo of ../shared/faces")
    args = parser.parse_args()
    paths = sorted((ROOT.parent / "shared" / "faces").glob("*/*.*"))[:: args.step]
    paths = [p for p in paths if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}]
    if not paths:
        print("bench_seed: ../shared/faces is absent", file=sys.stderr)
        return 2
    analyzer = build_analyzer(load_settings())
    analyzer.warm_up()
    seeded_n = held = seed_differs = shift_differs = 0
    cpu = {"full": [], "seeded": []}
    for path in paths:
        try:
            photo = load_image(path).bgr
        except ImageError:
            continue
        frame, still = letterbox(photo), still_frame(photo)
        analyzer.reset_tracking()
        for _ in range(LIVE_FRAMES):
            analyzer.check(frame, live=True)
        seed = analyzer.live_seed(still.shape)
        analyzer.reset_tracking()
        used = time.process_time()
        full = analyzer.check(still)
        cpu["full"].append((time.process_time() - used) * 1000)
        shifted = analyzer.check(np.roll(still, (SHIFT_PX, SHIFT_PX), axis=(0, 1)))
        shift_differs += failed_ids(shifted) != failed_ids(full)
        if seed is None:
            continue
        used = time.process_time()
        seeded = analyzer.check(still, seed=seed)
        cpu["seeded"].append((time.process_time() - used) * 1000)
        seeded_n += 1
        held += seeded.analysis.seeded
        if failed_ids(seeded) != failed_ids(full):
            seed_differs += 1
            print(f"  seeded differs: {path.parent.name}/{path.name}: "
                  f"{sorted(set(failed_ids(seeded)) ^ set(failed_ids(full)))}")
    print(f"{len(cpu['full'])} stills; {seeded_n} with a live seed, which held on {held}")
    print(f"failed checks differ from the full search: seeded {seed_differs} of {seeded_n}; "
          f"full search {SHIFT_PX} px shifted {shift_differs} of {len(cpu['full'])}")
    print(f"12 MP verdict CPU p50: full search {np.percentile(cpu['full'], 50):.1f} ms, "
          f"seeded {np.percentile(cpu['seeded'], 50):.1f} ms" if cpu["seeded"] else "no seeded stills")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
