"""What the benchmarks in scripts/bench*.py share: percentiles, wall and CPU timing, frames made
from photos, and the one JSON line other tools read.

Timing here is for reports, never for assertions: the machine's load moves wall time, so every
figure is a percentile and CPU time (process_time, which that load does not inflate) is kept
beside wall time.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

LIVE_SIZE = (640, 480)  # the lores stream the live guidance analyses (width, height)
STILL_SIZE = (4000, 3000)  # a 12 MP camera still (width, height)


def good_photos(root: Path) -> list[Path]:
    """The compliant portraits the benchmarks time by default: ../shared/faces/a_good_frontal
    beside the checkout `root` (empty when that folder is absent)."""
    return sorted((root.parent / "shared" / "faces" / "a_good_frontal").glob("*.*"))


def chosen_photos(given: list[Path] | None, root: Path, tool: str) -> list[Path]:
    """The photos passed with --photos, else good_photos; without any, the tool stops (status 2)
    saying where photos come from."""
    photos = list(given or good_photos(root))
    if not photos:
        print(f"{tool}: no photos (pass --photos or provide ../shared/faces)", file=sys.stderr)
        raise SystemExit(2)
    return photos


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (NumPy's linear rule), NaN for no values."""
    return float(np.percentile(values, q)) if values else float("nan")


class Timings:
    """Wall and CPU milliseconds of repeated runs of one thing."""

    def __init__(self) -> None:
        self.wall_ms: list[float] = []
        self.cpu_ms: list[float] = []

    @contextmanager
    def run(self) -> Iterator[None]:
        started, used = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall_ms.append((time.perf_counter() - started) * 1000)
            self.cpu_ms.append((time.process_time() - used) * 1000)

    def wall(self, q: float) -> float:
        return percentile(self.wall_ms, q)

    def cpu(self, q: float) -> float:
        return percentile(self.cpu_ms, q)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def letterbox(image: np.ndarray, width: int = LIVE_SIZE[0], height: int = LIVE_SIZE[1]) -> np.ndarray:
    """Scale a photo to fit the frame whole and pad black, so no face is cropped away (channel
    order kept)."""
    source_h, source_w = image.shape[:2]
    scale = min(width / source_w, height / source_h)
    new_w, new_h = max(1, round(source_w * scale)), max(1, round(source_h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas


def still_frame(image: np.ndarray) -> np.ndarray:
    """A 12 MP camera still with the photo enlarged into its middle."""
    return letterbox(image, *STILL_SIZE)


def print_json(result: dict[str, Any], **options: Any) -> None:
    """The benchmark's last line: one JSON object (json.dumps `options`, e.g. ensure_ascii=False)."""
    print(json.dumps(result, **options))
