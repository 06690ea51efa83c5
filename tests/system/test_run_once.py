"""`appliance run --demo --once` walks a whole demo session and prints the receipt last."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


pytestmark = [pytest.mark.subprocess]


def run_once(data: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "appliance", "run", "--demo", "--once", "--data", str(data)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_once_commits_one_photo_and_prints_its_receipt(tmp_path: Path) -> None:
    result = run_once(tmp_path / "data")
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    receipt = json.loads(last)
    for key in ("session", "capture_code", "photo", "sha256", "verdict"):
        assert key in receipt, key
    assert receipt["verdict"] == "pass"
    assert "*" in receipt["capture_code"], "the capture code must be masked"
    photo = Path(receipt["photo"])
    assert photo.is_absolute()
    assert photo.is_relative_to((tmp_path / "data").resolve())
    data = photo.read_bytes()
    assert data.startswith(b"\xff\xd8")
    assert hashlib.sha256(data).hexdigest() == receipt["sha256"]
    # Nothing but the committed photo is left in the store's photo folder (no stray frames).
    assert sorted(p.name for p in photo.parent.iterdir()) == [photo.name]
