"""A short fault run (the N=200 run is scripts/fault_test.py): kill -9s, server restarts, injected
500s / timeouts / truncated answers, a full disk and clock jumps, then a byte-for-byte compare."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fault_test.py"


def test_short_fault_run_loses_and_doubles_nothing():
    captures = 18
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--captures", str(captures), "--json", "--seed", "5"],
        capture_output=True, text=True, timeout=240,
    )
    last = result.stdout.strip().splitlines()[-1]
    summary = json.loads(last)
    assert set(summary) == {"accepted", "on_server", "duplicates", "mismatched", "kills"}
    assert summary["accepted"] == captures, result.stderr
    assert summary["on_server"] == captures, result.stderr
    assert summary["duplicates"] == 0 and summary["mismatched"] == 0
    assert summary["kills"] >= captures // 6
    assert result.returncode == 0
