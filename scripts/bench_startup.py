#!/usr/bin/env python3
"""Start-up-to-ready time of the real booth, measured the way systemd and the kiosk see it.

Each run spawns `appliance run --demo` (or the given command) with $NOTIFY_SOCKET pointing at a
socket this script listens on, exactly like a Type=notify unit, and records two moments from
process start: READY=1 (what systemd waits for before the kiosk starts) and the first 200 from
/healthz (what the kiosk's browser needs). All runs share one data folder, so every run after the
first starts on an existing store, as a booth does each morning.

    .venv/bin/python scripts/bench_startup.py [--runs 10] [-- COMMAND ...]

A custom COMMAND must serve the screen on the port given in $BENCH_PORT for the /healthz time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def booth_command(data: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "appliance", "run", "--demo", "--data", str(data),
            "--host", "127.0.0.1", "--port", str(port)]


def healthz_answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def one_start(command: list[str], port: int, folder: str, timeout_s: float) -> tuple[float, float]:
    """(seconds to READY=1, seconds to /healthz answering) of one start."""
    path = os.path.join(folder, "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.setblocking(False)
        env = dict(os.environ, NOTIFY_SOCKET=path, BENCH_PORT=str(port), PYTHONPATH=str(ROOT))
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ready = healthy = None
        try:
            while ready is None or healthy is None:
                now = time.perf_counter() - start
                if now > timeout_s or process.poll() is not None:
                    raise RuntimeError(f"no READY=1 and /healthz within {now:.1f} s (exit {process.poll()})")
                try:
                    if "READY=1" in sock.recv(4096).decode().split("\n") and ready is None:
                        ready = time.perf_counter() - start
                except BlockingIOError:
                    pass
                if healthy is None and healthz_answers(port):
                    healthy = time.perf_counter() - start
                time.sleep(0.01)
        finally:
            process.terminate()
            process.wait(timeout=30)
            os.unlink(path)
    return ready, healthy


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(name: str, samples: list[float]) -> str:
    return (f"  {name:<16} min {min(samples):.2f} s  p50 {statistics.median(samples):.2f} s  "
            f"p95 {percentile(samples, 0.95):.2f} s  max {max(samples):.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    custom = [c for c in args.command if c != "--"]
    ready_times, health_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.runs):
            port = free_port()
            command = custom or booth_command(Path(folder) / "data", port)
            ready, healthy = one_start(command, port, folder, args.timeout)
            ready_times.append(ready)
            health_times.append(healthy)
    label = " ".join(custom) if custom else "appliance run --demo"
    print(f"start-up over {args.runs} runs of {label} (process start to ...):")
    print(describe("READY=1", ready_times))
    print(describe("/healthz 200", health_times))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
