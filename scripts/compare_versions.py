#!/usr/bin/env python3
"""Find which operation gives different numbers under two library sets (Bookworm's NumPy 1 /
OpenCV 4.11 against the newest), by tracing one image through the engine in each venv.

`dump` runs `appliance check`'s path on each image with every OpenCV function and every model run
wrapped: each call's array inputs and output are hashed and kept, in call order, with the checks'
values (with --produce: the product path, `produce_photo`, and its verification). `compare`
walks two dumps call by call and prints the first calls whose inputs are equal
but whose outputs differ (the operation that diverges), then every check value that differs.

    .venv/bin/python scripts/compare_versions.py dump IMAGE... --out out/versions/new
    .venv-bookworm/bin/python scripts/compare_versions.py dump IMAGE... --out out/versions/pins
    .venv/bin/python scripts/compare_versions.py compare out/versions/new out/versions/pins
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np


def _digest(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "dtype": str(value.dtype),
                "sha": hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]}
    if isinstance(value, (list, tuple)):
        return [_digest(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return type(value).__name__


class Trace:
    """Every wrapped call in order: name, digests of its arguments and result, and the arrays."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def record(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        arrays = [a for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)]
        outputs = result if isinstance(result, (list, tuple)) else [result]
        self.calls.append({
            "name": name,
            "args": _digest([a for a in args]) + [f"{k}={_digest(v)}" for k, v in kwargs.items()],
            "out": _digest(list(outputs)),
            "in_arrays": [a.copy() for a in arrays if a.size <= 4_000_000],
            "out_arrays": [o.copy() for o in outputs if isinstance(o, np.ndarray) and o.size <= 4_000_000],
        })


def _wrap(trace: Trace, name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        trace.record(name, args, kwargs, result)
        return result
    return wrapper


def dump(images: list[Path], out: Path, produce: bool = False) -> int:
    import cv2

    from appliance.app import build_analyzer
    from appliance.imageio import load_image
    from appliance.inference.engine import WORK_MAX_SIDE
    from appliance.inference.runtime import TFLiteModel
    from appliance.settings import load_settings

    settings = load_settings(None)
    analyzer = build_analyzer(settings)
    out.mkdir(parents=True, exist_ok=True)
    trace = Trace()
    for attr in dir(cv2):
        value = getattr(cv2, attr)
        if callable(value) and attr[:1].islower() and not isinstance(value, type):
            setattr(cv2, attr, _wrap(trace, f"cv2.{attr}", value))
    original_run = TFLiteModel.run

    def traced_run(self: TFLiteModel, *inputs: np.ndarray) -> list[np.ndarray]:
        result = original_run(self, *inputs)
        trace.record(f"model:{self.path.stem}", inputs, {}, result)
        return result

    TFLiteModel.run = traced_run  # type: ignore[method-assign]
    versions = {"numpy": np.__version__, "opencv": cv2.__version__}
    for image_path in images:
        trace.calls.clear()
        if produce:
            # the product path, as a student's own portrait file takes it
            from appliance.produce.photo import produce_photo

            result = produce_photo(analyzer, cv2.imread(str(image_path)), settings, kind="file")
            print(f"{image_path.name}: product {'made' if result.ok else result.code}")
            if result.report is None:
                continue
            report = result.report
        else:
            image = load_image(image_path, reduce_to=WORK_MAX_SIDE)
            report = analyzer.check(image.bgr, grayscale=image.grayscale, pixel_scale=image.scale)
        values = {c.id: (c.value, c.threshold, c.passed) for c in report.checks}
        with open(out / f"{image_path.stem}.pkl", "wb") as fh:
            pickle.dump({"versions": versions, "calls": trace.calls, "values": values}, fh)
        failed = [c.id for c in report.failed]
        print(f"{image_path.name}: {len(trace.calls)} calls, failed {failed}")
    return 0


def _max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> str:
    parts = []
    for x, y in zip(a, b, strict=False):
        if x.shape != y.shape:
            parts.append(f"shape {x.shape} vs {y.shape}")
            continue
        diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
        parts.append(f"max {diff.max():.4g} mean {diff.mean():.3g} differing {np.count_nonzero(diff) / diff.size:.1%}")
    return "; ".join(parts)


def compare(left_dir: Path, right_dir: Path, show: int) -> int:
    for left_file in sorted(left_dir.glob("*.pkl")):
        right_file = right_dir / left_file.name
        if not right_file.exists():
            continue
        left, right = (pickle.loads(p.read_bytes()) for p in (left_file, right_file))
        print(f"== {left_file.stem}: {left['versions']} vs {right['versions']}; "
              f"{len(left['calls'])} vs {len(right['calls'])} calls")
        shown = 0
        for index, (a, b) in enumerate(zip(left["calls"], right["calls"], strict=False)):
            if a["name"] != b["name"]:
                print(f"  call {index}: the paths part ({a['name']} vs {b['name']})")
                break
            if a["out"] == b["out"]:
                continue
            same_input = a["args"] == b["args"]
            kind = "DIVERGES (same input)" if same_input else "differs (input differed)"
            if same_input or shown < 3:
                print(f"  call {index} {a['name']} {kind}: {_max_diff(a['out_arrays'], b['out_arrays'])}")
                if same_input:
                    print(f"    args {json.dumps(a['args'])[:300]}")
                shown += 1
            if shown >= show:
                break
        for check_id, value in left["values"].items():
            other = right["values"].get(check_id)
            if other != value:
                print(f"  check {check_id}: {value} vs {other}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("images", type=Path, nargs="+")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--produce", action="store_true", help="trace the product path (produce_photo) instead")
    c = sub.add_parser("compare")
    c.add_argument("left", type=Path)
    c.add_argument("right", type=Path)
    c.add_argument("--show", type=int, default=8, help="diverging calls to print per image")
    args = parser.parse_args(argv)
    if args.command == "dump":
        return dump(args.images, args.out, args.produce)
    return compare(args.left, args.right, args.show)


if __name__ == "__main__":
    sys.exit(main())
