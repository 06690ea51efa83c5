#!/usr/bin/env python3
"""Start-up-to-ready time: spawn a command as systemd would and time its READY=1.

The command gets $NOTIFY_SOCKET pointing at a socket this script listens on, exactly like a
Type=notify unit, so what is measured is what systemd waits for before the kiosk starts. Without a
command it measures the stand-in `--proxy`: interpreter start, package import, verification and
loading of every model, then READY=1 - the bulk of the booth's start until `appliance run` exists.

    .venv/bin/python scripts/bench_startup.py [--runs 5] [-- COMMAND ...]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROXY = [sys.executable, str(Path(__file__).resolve()), "--proxy"]


def proxy_start() -> None:
    sys.path.insert(0, str(ROOT))
    from appliance.inference.manifest import load_manifest
    from appliance.inference.runtime import ModelStore
    from appliance.system.notify import SystemdNotifier

    models_dir = ROOT / "models"
    store = ModelStore(models_dir)
    for entry in load_manifest(models_dir).models:
        store.get(entry.name)
    SystemdNotifier.from_environment().ready("models loaded (bench proxy)")


def time_to_ready(command: list[str], timeout_s: float) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(timeout_s)
            env = dict(os.environ, NOTIFY_SOCKET=path)
            start = time.perf_counter()
            process = subprocess.Popen(command, env=env, cwd=ROOT)
            try:
                while True:
                    message = sock.recv(4096).decode()
                    if "READY=1" in message.split("\n"):
                        return time.perf_counter() - start
            finally:
                process.terminate()
                process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--proxy", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.proxy:
        proxy_start()
        return 0
    command = [c for c in args.command if c != "--"] or PROXY
    samples = sorted(time_to_ready(command, args.timeout) for _ in range(args.runs))
    p90 = samples[min(len(samples) - 1, round(0.9 * (len(samples) - 1)))]
    print(f"start-up to READY=1 over {len(samples)} runs of {' '.join(command[-2:])}:")
    median = statistics.median(samples)
    print(f"  min {samples[0]:.2f} s  p50 {median:.2f} s  p90 {p90:.2f} s  max {samples[-1]:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
