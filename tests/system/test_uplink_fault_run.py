"""A short fault run (the N=200 run is scripts/fault_test.py): kill -9s, server restarts, injected
500s / timeouts / truncated answers, a full disk and clock jumps, then a byte-for-byte compare."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fault_test.py"


pytestmark = [pytest.mark.subprocess]


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


@pytest.mark.postgres
def test_two_hosts_on_postgres_lose_and_double_nothing():
    """scripts/fault_test.py --hosts 2 --postgres: booths round-robin over two serve-ingest hosts on
    one real PostgreSQL that is restarted while one host is kill -9'd; checked in the database."""
    pytest.importorskip("psycopg_pool")
    from appliance.testing.throwaway_postgres import available

    if not available():
        pytest.skip("PostgreSQL binaries not installed: run scripts/setup.sh --dev")
    captures, booths = 10, 3
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--hosts", "2", "--postgres", "--booths", str(booths),
         "--captures", str(captures), "--json", "--seed", "7"],
        capture_output=True, text=True, timeout=400,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["accepted"] == captures * booths, result.stderr
    assert summary["on_server"] == summary["accepted"] == summary["server_rows"], result.stderr
    assert summary["duplicates"] == 0 and summary["mismatched"] == 0
    assert summary["postgres_restarts"] >= 1 and summary["host_kills"] >= 1 and summary["hosts"] == 2
    assert summary["kills"] >= booths
    assert summary["booths_heard"] == booths  # heartbeats got through the faults too
    assert result.returncode == 0
