"""The demo booth as its own process (`appliance run --demo` on free loopback ports), for the
browser tests and the web exposure benchmark: ready once it prints the demo operator's login,
stopped (terminate, then kill) however the caller leaves."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# the last line of a demo booth that is up (older booths print no password after it)
LOGIN = re.compile(r"demo operator login(?:: operator / (\S+))?")
CONSOLE = re.compile(r"operator: (\S+?)/operator")


class DemoBoothDidNotStart(RuntimeError):
    pass


@dataclass(frozen=True)
class RunningBooth:
    process: subprocess.Popen[str]
    screen: str  # http://127.0.0.1:PORT, the subject screen
    console: str  # the operator console's origin as printed ("" when the booth prints none)
    password: str  # the demo operator's password ("" when the booth prints none)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def demo_booth(repo: Path, data: Path, *, port: int | None = None, settings: Path | None = None,
               console_port: bool = True,
               env: dict[str, str] | None = None, stderr: IO[str] | int = subprocess.DEVNULL,
               timeout_s: float = 120.0) -> Iterator[RunningBooth]:
    """`python -m appliance run --demo` from `repo` (its own code: PYTHONPATH=repo unless `env`
    says otherwise), with `--console-port` unless the booth is too old to take one."""
    port = port or free_port()
    command = [sys.executable, "-m", "appliance"]
    if settings is not None:
        command += ["--settings", str(settings)]
    command += ["run", "--demo", "--data", str(data), "--host", "127.0.0.1", "--port", str(port)]
    if console_port:
        command += ["--console-port", str(free_port())]
    if env is None:
        env = dict(os.environ, PYTHONPATH=str(repo))
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        console, password = "", None
        deadline = time.monotonic() + timeout_s
        assert process.stdout is not None
        while time.monotonic() < deadline and password is None:
            line = process.stdout.readline()
            if not line:
                break
            if match := CONSOLE.search(line):
                console = match.group(1)
            if match := LOGIN.search(line):
                password = match.group(1) or ""
        if password is None:
            process.kill()
            raise DemoBoothDidNotStart("the demo booth did not start")
        yield RunningBooth(process, f"http://127.0.0.1:{port}", console, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
