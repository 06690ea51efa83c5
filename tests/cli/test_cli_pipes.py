"""Command-line use without a terminal: a closed pipe ends a command quietly, and a password
prompt with no terminal says what to do instead of raising a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def test_check_demo_into_a_closed_pipe_ends_cleanly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited
    try:
        done = subprocess.run([sys.executable, "-m", "appliance", "check", "--demo", "--json"], cwd=REPO, env=ENV,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 0


def test_operator_passwd_without_a_terminal_points_to_password_stdin(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "appliance", "operator", "passwd", "--data", str(tmp_path)],
                          cwd=REPO, env=ENV, input="", capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "--password-stdin" in done.stderr
    done = subprocess.run([sys.executable, "-m", "appliance", "operator", "passwd", "--data", str(tmp_path),
                           "--password-stdin"], cwd=REPO, env=ENV, input="a long enough password\n",
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
