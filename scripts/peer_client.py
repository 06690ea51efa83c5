"""Drive the MediaPipe peer benchmark (scripts/peer_mediapipe.py) from the product's venv.

The peer needs numpy<2 and so lives in .venv-peer (scripts/provision/setup_peer.sh); the bench talks to it
only through a .npy file and one JSON line, never by importing it. Pinning the peer to one core
by default is what makes its numbers comparable with our engine's single-threaded ones, because
MediaPipe's legacy API offers no thread-count setting of its own.

Usage from scripts/bench.py (run as `python scripts/bench.py`, so scripts/ is on sys.path):
    from peer_client import run_peer, letterbox_frames
    result = run_peer(".venv-peer/bin/python", frames, repeat=3)
Stand-alone, to time the peer on a folder of photos:
    .venv/bin/python scripts/peer_client.py ../shared/faces/a_good_frontal --count 20
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from appliance.testing.bench import letterbox

PEER_SCRIPT = Path(__file__).resolve().with_name("peer_mediapipe.py")
FRAME_HEIGHT, FRAME_WIDTH = 480, 640
RESULT_KEYS = ("peer", "frames", "ms", "p50", "p95", "faces_found")
STDERR_TAIL_LINES = 20
# MediaPipe loads its graphs in a few seconds; a frame takes tens of ms. Generous, so a slow CI
# machine is not mistaken for a hung peer, yet a real hang still ends.
STARTUP_TIMEOUT_S = 120.0
PER_FRAME_TIMEOUT_S = 2.0


class PeerBenchmarkError(RuntimeError):
    """The peer could not be run or broke its one-JSON-line contract; the message says why."""


def _stderr_tail(stderr: str) -> str:
    lines = stderr.strip().splitlines()[-STDERR_TAIL_LINES:]
    return "\n".join(lines) if lines else "(no stderr)"


def _peer_command(peer_python: str, frames_path: str, repeat: int, single_core: bool,
                  cpu_times: bool = False) -> list[str]:
    command = [peer_python, str(PEER_SCRIPT), "--frames", frames_path, "--repeat", str(repeat)]
    if cpu_times:
        command.append("--cpu-times")
    taskset = shutil.which("taskset") if single_core else None
    return ["taskset", "-c", "0", *command] if taskset else command


def _parse_result(stdout: str, frames: int, repeat: int) -> dict:
    """The peer prints exactly one JSON line; check it keeps the contract the bench relies on."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        raise PeerBenchmarkError(f"peer printed {len(lines)} lines on stdout, expected one JSON line")
    try:
        result = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise PeerBenchmarkError(f"peer printed invalid JSON: {exc}") from exc
    missing = [key for key in RESULT_KEYS if key not in result]
    if missing:
        raise PeerBenchmarkError(f"peer JSON lacks {', '.join(missing)}")
    if result["frames"] != frames or len(result["ms"]) != frames * repeat:
        raise PeerBenchmarkError(
            f"peer timed {len(result['ms'])} frames for {result['frames']} x {repeat}, "
            f"expected {frames} x {repeat}"
        )
    return result


def run_peer(peer_python: str, frames: np.ndarray, repeat: int = 3, single_core: bool = True,
             cpu_times: bool = False) -> dict:
    """Time MediaPipe FaceMesh + SelfieSegmentation on `frames` ((N, 480, 640, 3) uint8 RGB).

    Returns the peer's JSON: {"peer", "frames": N, "ms": N * repeat per-frame times, "p50", "p95",
    "faces_found"}, plus "cpu_ms" (CPU time per frame) with `cpu_times`. Raises PeerBenchmarkError
    with the peer's stderr tail when anything fails.
    """
    if frames.dtype != np.uint8 or frames.shape[1:] != (FRAME_HEIGHT, FRAME_WIDTH, 3) or not len(frames):
        raise PeerBenchmarkError(
            f"frames must be (N, 480, 640, 3) uint8 RGB, got {frames.shape} {frames.dtype}"
        )
    if repeat < 1:
        raise PeerBenchmarkError("repeat must be at least 1")
    if not os.access(peer_python, os.X_OK):
        raise PeerBenchmarkError(f"peer python {peer_python} not found: run bash scripts/provision/setup_peer.sh")
    timeout_s = STARTUP_TIMEOUT_S + PER_FRAME_TIMEOUT_S * len(frames) * (repeat + 1)
    with tempfile.TemporaryDirectory(prefix="peer-frames-") as scratch:
        frames_path = os.path.join(scratch, "frames.npy")
        np.save(frames_path, np.ascontiguousarray(frames), allow_pickle=False)
        command = _peer_command(peer_python, frames_path, repeat, single_core, cpu_times)
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as exc:
            stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
            raise PeerBenchmarkError(
                f"peer did not finish within {timeout_s:.0f} s; stderr tail:\n{_stderr_tail(stderr)}"
            ) from exc
    if completed.returncode != 0:
        raise PeerBenchmarkError(
            f"peer exited with status {completed.returncode}; stderr tail:\n{_stderr_tail(completed.stderr)}"
        )
    try:
        return _parse_result(completed.stdout, len(frames), repeat)
    except PeerBenchmarkError as exc:
        raise PeerBenchmarkError(f"{exc}; stderr tail:\n{_stderr_tail(completed.stderr)}") from exc


def letterbox_rgb(bgr: np.ndarray, width: int = FRAME_WIDTH, height: int = FRAME_HEIGHT) -> np.ndarray:
    """The letterboxed frame in RGB, the order MediaPipe takes."""
    return cv2.cvtColor(letterbox(bgr, width, height), cv2.COLOR_BGR2RGB)


def letterbox_frames(paths: Sequence[Path], count: int) -> np.ndarray:
    """`count` letterboxed RGB frames from the photos, cycling through them when there are fewer."""
    photos = []
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise PeerBenchmarkError(f"cannot read image {path.name}")
        photos.append(letterbox_rgb(bgr))
    if not photos:
        raise PeerBenchmarkError("no images to build frames from")
    return np.stack([photos[index % len(photos)] for index in range(count)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the MediaPipe peer on letterboxed photos.")
    parser.add_argument("folder", type=Path, help="folder of .jpg/.png photos")
    parser.add_argument("--count", type=int, default=20, help="frames to build (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (default 3)")
    default_peer = Path(__file__).resolve().parents[1] / ".venv-peer" / "bin" / "python"
    parser.add_argument("--peer-python", default=str(default_peer))
    parser.add_argument("--all-cores", action="store_true", help="do not pin the peer to core 0")
    args = parser.parse_args(argv)
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    try:
        result = run_peer(
            args.peer_python, letterbox_frames(paths, args.count), args.repeat, single_core=not args.all_cores
        )
    except PeerBenchmarkError as exc:
        print(f"peer_client: {exc}", file=sys.stderr)
        return 1
    summary = {key: result[key] for key in RESULT_KEYS if key != "ms"}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
