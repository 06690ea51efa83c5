"""Peer benchmark: MediaPipe's own Python pipeline on the same models our engine runs.

This is what a user would pick instead of our engine, so scripts/bench.py times it on the same
frames. It runs only inside .venv-peer (scripts/provision/setup_peer.sh): mediapipe 0.10.14 needs numpy<2,
the product runs numpy 2, so nothing here may import `appliance` and nothing in the product may
import this file; scripts/peer_client.py drives it as a subprocess.

Contract (read by scripts/peer_client.py and the lead's bench), exactly one JSON line on stdout:
    {"peer": "mediapipe-0.10.14", "frames": N, "ms": [...], "p50": x, "p95": y, "faces_found": k}
- "frames" is N, the number of distinct frames in the .npy file.
- "ms" holds one wall-clock time per processed frame, for every timed pass in processing order,
  so it has N * repeat entries; p50 and p95 are taken over all of them.
- "faces_found" counts the frames (out of N) in which FaceMesh found a face in every timed pass.
- With --cpu-times (only then) "cpu_ms" is added: the process's CPU time (`process_time`, every
  thread of the graph) per frame, in the order of "ms". On a loaded machine wall time measures the
  load; CPU time still measures the work.

Threads: the legacy `mediapipe.solutions` API exposes no thread-count option; its graph runs its
own executor and XNNPACK threads sized from the CPUs it may use. There is therefore no --threads
flag: the caller pins the process to one core with `taskset -c 0` (peer_client does by default).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator

import numpy as np

PEER_NAME = "mediapipe-0.10.14"
FRAME_SHAPE = (480, 640, 3)
WARMUP_FRAMES = 5


def load_frames(path: str) -> np.ndarray:
    """Refuse anything but (N, 480, 640, 3) uint8, so both sides of the bench time the same input."""
    frames = np.load(path, allow_pickle=False)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[1:] != FRAME_SHAPE or not len(frames):
        raise SystemExit(
            f"peer_mediapipe: {path} must hold (N, 480, 640, 3) uint8 RGB frames, "
            f"got {frames.shape} {frames.dtype}"
        )
    frames = np.ascontiguousarray(frames)
    # MediaPipe's documented hint: a read-only array is passed to the graph without a copy.
    frames.setflags(write=False)
    return frames


@contextlib.contextmanager
def stdout_kept_for_result() -> Iterator[None]:
    """Send anything MediaPipe or TFLite prints to stdout to stderr, so stdout carries one JSON line.

    Native code writes to file descriptor 1 directly, so redirecting sys.stdout is not enough.
    """
    sys.stdout.flush()
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
        os.close(real_stdout)


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values, dtype=np.float64), q)), 3)


def run(frames: np.ndarray, repeat: int, cpu_times: bool = False) -> dict:
    """Both solutions see every frame, in video mode, as the booth's live preview would use them."""
    from mediapipe.python.solutions import face_mesh, selfie_segmentation

    timings_ms: list[float] = []
    cpu_ms: list[float] = []
    found_every_pass = np.ones(len(frames), dtype=bool)
    with (
        face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True) as mesh,
        selfie_segmentation.SelfieSegmentation(model_selection=0) as segmenter,
    ):
        for frame in frames[:WARMUP_FRAMES]:
            mesh.process(frame)
            segmenter.process(frame)
        for _ in range(repeat):
            for index, frame in enumerate(frames):
                start, used = time.perf_counter(), time.process_time()
                mesh_result = mesh.process(frame)
                segmenter.process(frame)
                timings_ms.append((time.perf_counter() - start) * 1000.0)
                cpu_ms.append((time.process_time() - used) * 1000.0)
                if not mesh_result.multi_face_landmarks:
                    found_every_pass[index] = False
    result = {
        "peer": PEER_NAME,
        "frames": len(frames),
        "ms": [round(value, 3) for value in timings_ms],
        "p50": percentile(timings_ms, 50),
        "p95": percentile(timings_ms, 95),
        "faces_found": int(found_every_pass.sum()),
    }
    if cpu_times:
        result["cpu_ms"] = [round(value, 3) for value in cpu_ms]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time MediaPipe FaceMesh + SelfieSegmentation per frame.")
    parser.add_argument("--frames", required=True, help=".npy file of shape (N, 480, 640, 3) uint8 RGB")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over all frames (default 3)")
    parser.add_argument("--cpu-times", action="store_true", help='add "cpu_ms" to the JSON line')
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    frames = load_frames(args.frames)
    with stdout_kept_for_result():
        result = run(frames, args.repeat, args.cpu_times)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
