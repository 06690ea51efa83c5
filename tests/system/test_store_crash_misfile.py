"""Power cuts while a frozen camera repeats itself: kill -9 of a booth process committing captures
in which every third one repeats the previous capture's bytes for a new student. Afterwards
nothing reported accepted is lost, nothing is stored twice, and no photo is filed under a student
whose capture it was not (the second student of a repeated frame is refused, also when the kill
landed between the first one's commit and its report)."""

from __future__ import annotations

import hashlib
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.testing.uplink_fixtures import make_jpeg

CAPTURES = 36

BOOTH = r"""
import sys, time
from pathlib import Path
from appliance.store.disk_guard import DiskGuard
from appliance.store.errors import PhotoConflictError
from appliance.store.photo_store import PhotoStore

work, start, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
store = PhotoStore(work / "store", disk_guard=DiskGuard(work, 0, probe=lambda _p: 10**12))
for index in range(start, count):
    photo = (work / f"{index}.jpg").read_bytes()
    try:
        receipt = store.commit_accepted("26031601", f"cap{index:05d}", "10403", photo, {"i": index})
    except PhotoConflictError:
        print(f"REFUSED {index}", flush=True)
    else:
        print(f"ACCEPTED {index} {receipt.capture_code}", flush=True)
    time.sleep(0.06)
print("DONE", flush=True)
"""


pytestmark = [pytest.mark.subprocess]


def photo_of(index: int) -> bytes:
    """Every third capture is the previous one's frame again (the camera froze)."""
    return make_jpeg(500 + (index - 1 if index % 3 == 2 else index))


class Booth:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.outcomes: dict[int, str] = {}
        self.receipt_codes: dict[int, str] = {}  # whose photo the receipt of an accepted capture names
        self.done = False
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        resume = max(self.outcomes, default=-1)  # redo the last reported one: must change nothing
        self.process = subprocess.Popen(
            [sys.executable, "-c", BOOTH, str(self.work), str(max(resume, 0)), str(CAPTURES)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for raw in process.stdout:
            kind, *rest = raw.decode().split()
            if kind == "DONE":
                self.done = True
            elif kind in ("ACCEPTED", "REFUSED"):
                index = int(rest[0])
                if kind == "ACCEPTED":
                    self.receipt_codes[index] = rest[1]
                previous = self.outcomes.setdefault(index, kind)
                assert previous == kind, f"capture {index} was {previous}, then {kind}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def test_kill_9_during_repeated_frames_loses_doubles_and_misfiles_nothing(tmp_path) -> None:
    for index in range(CAPTURES):
        (tmp_path / f"{index}.jpg").write_bytes(photo_of(index))
    rng = random.Random(11)
    booth = Booth(tmp_path)
    booth.start()
    kills = 0
    deadline = time.monotonic() + 240
    next_kill_at = rng.randint(1, 4)
    while not booth.done:
        assert time.monotonic() < deadline, "the captures did not finish"
        time.sleep(0.005)
        if len(booth.outcomes) >= next_kill_at and not booth.done:
            time.sleep(rng.uniform(0.0, 0.06))  # anywhere: mid-commit, between commit and report, idle
            booth.kill()
            kills += 1
            next_kill_at = len(booth.outcomes) + rng.randint(1, 4)
            booth.start()
    booth.process.wait(30)

    with sqlite3.connect(tmp_path / "store" / "store.db") as db:
        rows = db.execute("SELECT sha256, capture_code FROM photos").fetchall()
    filed = {code: sha for sha, code in rows}
    expected = {f"cap{i:05d}": hashlib.sha256(photo_of(i)).hexdigest() for i in range(CAPTURES)}
    accepted = [f"cap{i:05d}" for i, kind in booth.outcomes.items() if kind == "ACCEPTED"]
    refused = [f"cap{i:05d}" for i, kind in booth.outcomes.items() if kind == "REFUSED"]
    lost = [code for code in accepted if filed.get(code) != expected[code]]
    misfiled = [code for code, sha in filed.items() if expected[code] != sha]
    misfiled += [f"cap{i:05d}" for i, code in booth.receipt_codes.items() if code != f"cap{i:05d}"]
    duplicated = len(rows) - len(set(filed))
    print(f"kills={kills} accepted={len(accepted)} refused={len(refused)} lost={len(lost)}"
          f" duplicated={duplicated} misfiled={len(misfiled)}")
    assert kills >= 5
    assert sorted(booth.outcomes) == list(range(CAPTURES))
    assert (lost, duplicated, misfiled) == ([], 0, [])
    assert sorted(refused) == sorted(f"cap{i:05d}" for i in range(CAPTURES) if i % 3 == 2)
    assert not any(code in filed for code in refused)
    assert len(rows) == CAPTURES - len(refused)
