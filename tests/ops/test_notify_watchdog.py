"""The watchdog is fed only while the loops beat; a hung loop stops the feed."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from appliance.system.notify import SystemdNotifier
from appliance.system.watchdog import WatchdogFeeder


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manager(tmp_path):
    path = tmp_path / "wd.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    yield SystemdNotifier(str(path)), sock
    sock.close()


def _drain(sock: socket.socket) -> list[bytes]:
    messages = []
    while True:
        try:
            messages.append(sock.recv(4096))
        except BlockingIOError:
            return messages


def test_feeds_while_beating_and_stops_when_silent(manager, caplog):
    notifier, sock = manager
    clock = FakeClock()
    feeder = WatchdogFeeder(notifier, interval_s=30, heartbeat_timeout_s=20, clock=clock)
    loop = feeder.heartbeat("capture")
    uplink = feeder.heartbeat("uplink")

    for _ in range(5):
        clock.now += 10
        loop.beat()
        uplink.beat()
        assert feeder.feed_if_alive()
    assert _drain(sock) == [b"WATCHDOG=1"] * 5

    # The capture loop hangs while the uplink keeps going: feeding must stop.
    for _ in range(3):
        clock.now += 10
        uplink.beat()
        feeder.feed_if_alive()
    assert feeder.stalled() == ["capture"]
    messages = _drain(sock)
    assert b"WATCHDOG=1" not in messages[-1:]
    assert b"STATUS=stalled: capture" in messages
    assert any("no progress from capture" in r.message for r in caplog.records)

    # It comes back before systemd gives up: feeding resumes.
    loop.beat()
    assert feeder.feed_if_alive()
    assert _drain(sock) == [b"STATUS=running", b"WATCHDOG=1"]


def test_registering_twice_returns_same_heartbeat(manager):
    feeder = WatchdogFeeder(manager[0], interval_s=30, heartbeat_timeout_s=20)
    assert feeder.heartbeat("capture") is feeder.heartbeat("capture")


def test_no_thread_without_systemd_watchdog(manager):
    feeder = WatchdogFeeder(manager[0], interval_s=None, heartbeat_timeout_s=20)
    assert feeder.start() is False
    feeder.stop()


def test_real_threads_hung_loop_stops_feeding(manager):
    """End to end with threads: a loop that blocks forever is noticed and the feed ends."""
    notifier, sock = manager
    feeder = WatchdogFeeder(notifier, interval_s=0.1, heartbeat_timeout_s=0.3)
    heartbeat = feeder.heartbeat("capture")
    hang = threading.Event()
    release = threading.Event()

    def main_loop() -> None:
        while not release.is_set():
            if hang.is_set():
                release.wait()  # a stuck analysis: never beats again
                return
            heartbeat.beat()
            time.sleep(0.01)

    worker = threading.Thread(target=main_loop, daemon=True)
    worker.start()
    assert feeder.start()
    try:
        deadline = time.monotonic() + 10
        while b"WATCHDOG=1" not in _drain(sock) and time.monotonic() < deadline:
            time.sleep(0.05)
        hang.set()
        while not feeder.stalled() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feeder.stalled() == ["capture"]
        time.sleep(0.2)  # let any feed decided before the stall arrive
        _drain(sock)
        time.sleep(0.5)  # several feed periods
        assert b"WATCHDOG=1" not in _drain(sock)
    finally:
        release.set()
        feeder.stop()
        worker.join()
