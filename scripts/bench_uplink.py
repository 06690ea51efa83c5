#!/usr/bin/env python3
"""Upload throughput and queue drain time of 1,000 photos over loopback, and how long the booth's
own work (committing a photo, reading the queue for the console) takes while the uplink drains.

    .venv/bin/python scripts/bench_uplink.py [--photos 1000] [--size 480x640]

Prints percentiles; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from fault_test import make_jpeg  # scripts/ is this file's folder: Python puts it on sys.path

from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_store import PhotoStore
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, live_server
from appliance.uplink.client import CollectionClient
from appliance.uplink.config import UplinkSettings
from appliance.uplink.worker import UplinkWorker

REPO = Path(__file__).resolve().parents[1]


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    parts = [f"p{int(q * 100)} {ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f} ms"
             for q in (0.5, 0.95, 0.99)]
    return ", ".join([*parts, f"max {ordered[-1] * 1000:.2f} ms"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--size", default="240x320", help="noise JPEG size WxH (240x320 is ~40-60 KB)")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    photos = [make_jpeg(20_000 + i, (width, height)) for i in range(args.photos)]
    print(f"bench_uplink: {len(photos)} photos, mean {statistics.mean(map(len, photos)) / 1024:.1f} KB")
    with tempfile.TemporaryDirectory() as temp, live_server(Path(temp) / "srv") as server:
        store = PhotoStore(Path(temp) / "booth", disk_guard=DiskGuard(Path(temp), 0, probe=lambda _p: 10**12))
        commits = []
        for i, photo in enumerate(photos):
            started = time.perf_counter()
            store.commit_accepted("26031601", f"cap{i:05d}", "10403", photo, {"i": i})
            commits.append(time.perf_counter() - started)
        print(f"commit_accepted (synchronous=FULL, uplink idle): {percentiles(commits)}")
        client = CollectionClient(server.url, DEVICE_ID, DEVICE_KEY)
        settings = UplinkSettings(batch_size=32, review_poll_s=3600)
        worker = UplinkWorker(store, client, DEVICE_ID, settings)
        console, during = [], []
        done = threading.Event()

        def booth_side() -> None:
            """What the live screen does meanwhile: console reads and new accepted photos."""
            i = 0
            while not done.is_set():
                started = time.perf_counter()
                store.queue_summary()
                console.append(time.perf_counter() - started)
                if i % 10 == 0:
                    photo = make_jpeg(90_000 + i, (width, height))
                    started = time.perf_counter()
                    store.commit_accepted("26031601", f"live{i:05d}", "10403", photo, {})
                    during.append(time.perf_counter() - started)
                i += 1
                time.sleep(0.02)

        side = threading.Thread(target=booth_side)
        started = time.perf_counter()
        worker.start()
        side.start()
        while store.queue_summary().pending:
            time.sleep(0.02)
        drain = time.perf_counter() - started
        done.set()
        side.join()
        worker.stop()
        total = store.queue_summary().uploaded
        print(f"drain: {total} photos in {drain:.2f} s = {total / drain:.1f} photos/s "
              f"({sum(map(len, photos)) / drain / 1e6:.2f} MB/s of JPEG)")
        print(f"queue_summary while draining: {percentiles(console)}")
        print(f"commit_accepted while draining: {percentiles(during)}")
        print(f"on server: {len(server.metadata.all_sha256())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
