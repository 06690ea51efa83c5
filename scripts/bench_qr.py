"""Benchmark the QR scanner on synthetic booth frames of a phone screen.

Frames show a reference-format capture code with modules of 2.5-6 px, perspective, glare, moire,
blur, noise and JPEG (appliance/binding/phone_photo.py). For zxing-cpp alone, pyzbar alone, the
project's combined scanner and (with --passes) every single pass, it prints the success rate and
p50/p95 milliseconds per frame, overall and per module size. The combined scanner's pass list in
appliance/capture/qr.py is chosen from these numbers.

    .venv/bin/python scripts/bench_qr.py [--frames 200] [--seed 7] [--width 1280 --height 720] [--passes]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from appliance.binding.phone_photo import random_shot, render_phone_photo
from appliance.binding.reference_format import ReferenceCodec, sample_fields
from appliance.capture.qr import ALL_PASSES, PASS_ORDER, scan_with_passes
from appliance.testing.bench import percentile

MODULE_SIZES = (2.5, 3.0, 3.5, 4.0, 5.0, 6.0)


def make_frames(
    count: int, seed: int, size: tuple[int, int], hard: bool = False
) -> list[tuple[float, str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    codec = ReferenceCodec({"K1": bytes(range(32))})
    frames = []
    for index in range(count):
        module_px = MODULE_SIZES[index % len(MODULE_SIZES)]
        payload = codec.encode(sample_fields(rng), key_id="K1")
        shot = random_shot(rng, module_px, size, hard)
        frames.append((module_px, payload, render_phone_photo(payload, shot, rng)))
    return frames


def empty_frames(count: int, seed: int, size: tuple[int, int]) -> list[np.ndarray]:
    """Frames with no code at all: most live frames, which pay for every pass of the scanner."""
    rng = np.random.default_rng(seed + 1)
    frames = []
    for _ in range(count):
        frame = render_phone_photo(None, random_shot(rng, 4.0, size), rng)
        frames.append(frame)
    return frames


def timing_without_code(frames: list[np.ndarray], passes: tuple[str, ...]) -> dict:
    times = []
    for frame in frames:
        start = time.perf_counter()
        scan_with_passes(frame, passes)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def measure(frames: list[tuple[float, str, np.ndarray]], passes: tuple[str, ...]) -> dict:
    times: list[float] = []
    hits_by_size: dict[float, list[bool]] = {}
    for module_px, payload, frame in frames:
        start = time.perf_counter()
        found = scan_with_passes(frame, passes)
        times.append((time.perf_counter() - start) * 1000)
        hits_by_size.setdefault(module_px, []).append(any(r.text == payload for r in found))
    hits = [h for group in hits_by_size.values() for h in group]
    return {
        "success": sum(hits) / len(hits),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "by_module_px": {str(k): round(sum(v) / len(v), 3) for k, v in sorted(hits_by_size.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=180)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--passes", action="store_true", help="also measure every single pass")
    parser.add_argument("--hard", action="store_true", help="double glare and moire depth")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    size = (args.width, args.height)
    frames = make_frames(args.frames, args.seed, size, args.hard)
    blanks = empty_frames(max(10, args.frames // 6), args.seed, size)
    candidates: dict[str, tuple[str, ...]] = {
        "zxing-cpp": PASS_ORDER["zxing"],
        "pyzbar": PASS_ORDER["pyzbar"],
        "combined": PASS_ORDER["combined"],
        "combined-zbar": PASS_ORDER["combined-zbar"],
    }
    if args.passes:
        candidates.update({f"pass:{name}": (name,) for name in ALL_PASSES})
    report = {name: measure(frames, passes) for name, passes in candidates.items()}
    for name, passes in candidates.items():
        report[name]["no_code"] = timing_without_code(blanks, passes)
    if args.json:
        print(json.dumps({"frames": len(frames), "size": list(size), "hard": args.hard, "results": report}))
        return 0
    print(
        f"{len(frames)} frames {args.width}x{args.height}, modules {MODULE_SIZES} px, seed {args.seed}"
        f"{', hard' if args.hard else ''}; no-code columns: {len(blanks)} frames without a code"
    )
    print(f"{'scanner':<18} {'success':>8} {'p50 ms':>7} {'p95 ms':>7} {'no-code p50/p95':>16}  by module px")
    for name, row in report.items():
        sizes = " ".join(f"{k}:{v:.2f}" for k, v in row["by_module_px"].items())
        blank = f"{row['no_code']['p50_ms']:.1f}/{row['no_code']['p95_ms']:.1f}"
        timing = f"{row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f}"
        print(f"{name:<18} {row['success']:>8.1%} {timing} {blank:>16}  {sizes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
