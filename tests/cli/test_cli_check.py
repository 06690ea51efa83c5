"""`appliance check` as a user runs it: the exact JSON contract, errors that do not stop a batch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"path", "verdict", "error", "checks"}
CHECK_KEYS = {"id", "family", "value", "threshold", "passed", "message_zh", "message_en"}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "appliance", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_json_lines_for_good_bad_and_broken_files(tmp_path, faces_dir):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    good = faces_dir / "a_good_frontal" / "dpf_img10.jpg"
    closed = faces_dir / "b_eyes_closed" / "yale_subject03_sleepy.png"
    result = run_cli("check", "--json", str(broken), str(good), str(empty), str(closed), "missing.jpg")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(broken), str(good), str(empty), str(closed), "missing.jpg"]
    for line in lines:
        assert set(line) == KEYS
        for check in line["checks"]:
            assert set(check) == CHECK_KEYS
    assert lines[0]["verdict"] == "error" and lines[2]["verdict"] == "error"
    assert lines[4]["error"] == "找不到文件 / file not found"
    eyes = next(c for c in lines[3]["checks"] if c["family"] == "eyes")
    assert eyes["passed"] is False
    assert result.returncode == 1


def test_readable_report_and_annotation(tmp_path):
    out = tmp_path / "why.png"
    result = run_cli("check", "--demo", "--annotate", str(out))
    assert "PASS" in result.stdout or "FAIL" in result.stdout
    assert out.is_file() and out.stat().st_size > 10_000


def test_no_photos_is_a_usage_error():
    result = run_cli("check")
    assert result.returncode == 2 and "at least one photo" in result.stderr
