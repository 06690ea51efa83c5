"""Probe a running demo booth the way a device on the campus Wi-Fi would, and measure what it costs.

Starts `appliance run --demo` (from `--repo`, this checkout by default) on free loopback ports, then:

1. 40 wrong passwords sent at once to the console's log-in: how many were checked (401) and how
   many refused (429), and the booth's resident memory before and at its peak;
2. 500 sockets that send half a request header and stop: the booth's thread count;
3. 200 viewers of the live preview: how many were served and refused, and the booth's memory.

Prints one JSON object. Memory and thread numbers come from psutil on the booth's process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

from appliance.testing.demo_booth import DemoBoothDidNotStart, demo_booth

REPO = Path(__file__).resolve().parent.parent


def console_port_option(repo: Path) -> bool:
    """Whether the probed checkout's booth takes --console-port (older ones serve one port)."""
    help_text = subprocess.run([sys.executable, "-m", "appliance", "run", "--help"], cwd=repo, text=True,
                               capture_output=True, env={"PYTHONPATH": str(repo)}).stdout
    return "--console-port" in help_text


def connect(base: str, timeout: float = 30.0) -> http.client.HTTPConnection:
    scheme, _, rest = base.partition("://")
    host, _, port = rest.partition(":")
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(host, int(port), timeout=timeout, context=context)
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


class Sampler:
    """The booth's peak resident memory and thread count while a probe runs."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak_rss = 0
        self.peak_threads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)
                self.peak_threads = max(self.peak_threads, self._process.num_threads())
            except psutil.Error:
                return
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


def mib(value: int) -> float:
    return round(value / 2**20, 1)


def password_burst(pid: int, console: str) -> dict[str, Any]:
    conn = connect(console)
    conn.request("GET", "/operator/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    conn.close()

    def attempt(i: int) -> int:
        c = connect(console, timeout=120)
        try:
            c.request("POST", "/operator/login", body=f"csrf_token={token}&username=operator&password=wrong{i}x",
                      headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            r.read()
            return r.status
        except OSError:
            return 0
        finally:
            c.close()

    before = psutil.Process(pid).memory_info().rss
    with Sampler(pid) as sampler, ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    return {"rss_before_mib": mib(before), "rss_peak_mib": mib(sampler.peak_rss),
            "answers": {str(code): statuses.count(code) for code in sorted(set(statuses))}}


def slow_headers(pid: int, screen: str, count: int = 500) -> dict[str, Any]:
    port = int(screen.rsplit(":", 1)[1])
    before = psutil.Process(pid).num_threads()
    sockets = []
    not_connected = 0
    with Sampler(pid) as sampler:
        for _ in range(count):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: booth\r\n")
                sockets.append(sock)
            except OSError:
                not_connected += 1  # the listen backlog is full: the kernel drops the handshake
        time.sleep(2.0)
    for sock in sockets:
        sock.close()
    return {"threads_before": before, "threads_peak": sampler.peak_threads, "sockets_opened": len(sockets),
            "not_connected": not_connected}


def preview_viewers(pid: int, screen: str, count: int = 200, hold_s: float = 8.0) -> dict[str, Any]:
    statuses: list[int] = []
    lock = threading.Lock()

    def watch() -> None:
        c = connect(screen, timeout=30)
        try:
            c.request("GET", "/preview.mjpg")
            r = c.getresponse()
            with lock:
                statuses.append(r.status)
            end = time.monotonic() + hold_s
            while r.status == 200 and time.monotonic() < end and r.read(65536):
                pass
        except OSError:
            with lock:
                statuses.append(0)
        finally:
            c.close()

    before = psutil.Process(pid).memory_info().rss
    with Sampler(pid) as sampler:
        threads = [threading.Thread(target=watch) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return {"rss_before_mib": mib(before), "rss_peak_mib": mib(sampler.peak_rss),
            "threads_peak": sampler.peak_threads,
            "answers": {str(code): statuses.count(code) for code in sorted(set(statuses))}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose booth is probed")
    parser.add_argument("--data", type=Path, default=Path("out/bench-web"), help="the demo booth's data folder")
    args = parser.parse_args()
    repo = args.repo.resolve()
    booth = demo_booth(repo, args.data.resolve(), console_port=console_port_option(repo),
                       env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"}, timeout_s=180)
    try:
        with booth as running:
            process, screen, console = running.process, running.screen, running.console
            time.sleep(3.0)  # the first frames and the engine warm-up settle
            result = {"repo": str(args.repo), "password_burst": password_burst(process.pid, console or screen)}
            time.sleep(2.0)
            result["slow_headers"] = slow_headers(process.pid, screen)
            time.sleep(12.0)  # half-open sockets time out
            result["preview_viewers"] = preview_viewers(process.pid, screen)
            result["alive"] = process.poll() is None
    except DemoBoothDidNotStart as exc:
        raise SystemExit(str(exc)) from None
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
