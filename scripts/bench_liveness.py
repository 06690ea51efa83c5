"""Measure the liveness tracker on synthesised landmark sequences and print its rates honestly.

Each condition is a set of random sequences (sway, noise, blink time drawn per sequence); a sequence
is accepted when liveness is established at any frame within its duration. For live conditions the
acceptance rate should be high (its complement is the false-refusal rate, BPCER); for attacks it is
the attack-acceptance rate (APCER). Cues are also reported one by one so a weak cue is visible.
Also prints the per-frame update time (p50/p95).

    .venv/bin/python scripts/bench_liveness.py [--sequences 60] [--seconds 4] [--fps 15]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.session import synthetic_faces as sf
from appliance.session.config import LivenessSettings
from appliance.session.liveness import LivenessTracker

Maker = Callable[[np.random.Generator, int, float], list[np.ndarray]]


def _blink(rng: np.random.Generator, seconds: float) -> list[float]:
    return [float(rng.uniform(0.5, seconds - 0.5))]


def conditions(seconds: float) -> dict[str, tuple[bool, Maker]]:
    """name -> (is live, sequence maker)."""

    def noise(rng: np.random.Generator) -> float:
        return float(rng.uniform(0.5, 1.5))

    return {
        "live, natural sway 1-3 deg, one blink": (True, lambda rng, n, fps: sf.live_sequence(
            rng, n, fps, rng.uniform(1.0, 3.0), noise(rng), _blink(rng, seconds))),
        "live, very still 0.3-1 deg, one blink": (True, lambda rng, n, fps: sf.live_sequence(
            rng, n, fps, rng.uniform(0.3, 1.0), noise(rng), _blink(rng, seconds))),
        "live, natural sway, no blink in window": (True, lambda rng, n, fps: sf.live_sequence(
            rng, n, fps, rng.uniform(1.0, 3.0), noise(rng), [])),
        "print, flat, hand-held 2-10 deg": (False, lambda rng, n, fps: sf.print_sequence(
            rng, n, fps, rng.uniform(2.0, 10.0), noise(rng))),
        "screen replay, flat, blinks": (False, lambda rng, n, fps: sf.print_sequence(
            rng, n, fps, rng.uniform(2.0, 10.0), noise(rng), _blink(rng, seconds))),
        "print, bent r=8-20 cm": (False, lambda rng, n, fps: sf.print_sequence(
            rng, n, fps, rng.uniform(2.0, 10.0), noise(rng), None, rng.uniform(0.08, 0.2))),
        "curved screen replay r=8-20 cm, blinks": (False, lambda rng, n, fps: sf.print_sequence(
            rng, n, fps, rng.uniform(2.0, 10.0), noise(rng), _blink(rng, seconds),
            rng.uniform(0.08, 0.2))),
    }


def run(sequences: int, seconds: float, fps: float, seed: int) -> None:
    settings = LivenessSettings()
    frames = int(seconds * fps)
    update_ms: list[float] = []
    print(f"liveness on synthesised sequences: {sequences} per condition, {seconds:g} s at {fps:g} fps,"
          f" landmark noise 0.5-1.5 px, face ~150 px wide")
    print(f"{'condition':44s} {'accepted':>9s} {'depth cue':>10s} {'blink cue':>10s}  meaning")
    for offset, (name, (live, make)) in enumerate(conditions(seconds).items()):
        rng = np.random.default_rng(seed + offset)
        accepted = depth = blink = 0
        for _ in range(sequences):
            tracker = LivenessTracker(settings)
            established = False
            for i, landmarks in enumerate(make(rng, frames, fps)):
                start = time.perf_counter()
                state = tracker.update(landmarks, i / fps)
                update_ms.append((time.perf_counter() - start) * 1e3)
                established = established or state.established
            accepted += established
            depth += state.depth_pairs >= settings.min_depth_pairs
            blink += state.blink_seen
        meaning = "1 - BPCER (want high)" if live else "APCER (want 0)"
        print(f"{name:44s} {accepted / sequences:9.1%} {depth / sequences:10.1%} "
              f"{blink / sequences:10.1%}  {meaning}")
    p50, p95 = np.percentile(update_ms, [50, 95])
    print(f"tracker update per frame: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({len(update_ms)} frames)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=20260316)
    args = parser.parse_args()
    run(args.sequences, args.seconds, args.fps, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
