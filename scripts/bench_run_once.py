"""End-to-end time of `appliance run --demo --once` (process start to receipt), as percentiles.

Each run is a fresh process in a fresh data folder: it includes loading the models, opening the demo
camera, scanning the demo code, guidance, countdown, burst, production and the durable commit.
Usage: .venv/bin/python scripts/bench_run_once.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one_run(data: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "appliance", "run", "--demo", "--once", "--data", str(data)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=True,
    )
    total = time.perf_counter() - started
    json.loads(result.stdout.strip().splitlines()[-1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-run-once-") as folder:
        for index in range(args.runs):
            times.append(one_run(Path(folder) / f"run{index}"))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"appliance run --demo --once, {args.runs} runs: p50 {statistics.median(times):.2f} s, "
          f"p95 {p95:.2f} s, min {times[0]:.2f} s, max {times[-1]:.2f} s")


if __name__ == "__main__":
    main()
