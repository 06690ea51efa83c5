"""The assembled demo booth (build_booth) under faults: a lost camera, a hung analysis, and what the
operator console reports after a settings or database recovery."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from appliance.app import build_booth
from appliance.capture.camera.base import CameraHealth
from appliance.demo.settings import demo_overrides
from appliance.demo.subject import SubjectSource
from appliance.settings import load_settings, merge_dicts
from appliance.store.photo_store import PHOTOS_DIR
from appliance.system.store_recovery import RECOVERED_DIR

HEARTBEAT_TIMEOUT_S = 1.0
WATCHDOG_USEC = 400_000  # systemd's WatchdogSec; the booth feeds every half of it


def demo_settings(tmp_path: Path, **extra: Any) -> Any:
    overrides = merge_dicts(demo_overrides(str(tmp_path / "data")), {
        "system": {"heartbeat_timeout_s": HEARTBEAT_TIMEOUT_S},
        "session": {"timeouts": {"failsafe_s": 0.5}},
    })
    return load_settings(None, merge_dicts(overrides, extra))


def wait_for(condition: Callable[[], Any], timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_a_lost_camera_ends_the_attempt_tells_the_screen_and_is_reopened(tmp_path, monkeypatch) -> None:
    unplugged = threading.Event()
    original_read = SubjectSource.read  # the demo's camera: the scripted student

    def read(self: SubjectSource, want_full: bool) -> Any:
        if unplugged.is_set():
            raise OSError("demo camera unplugged")
        return original_read(self, want_full)

    monkeypatch.setattr(SubjectSource, "read", read)
    booth = build_booth(demo_settings(tmp_path), demo=True, serve=False)
    machine, camera, driver = booth.parts.machine, booth.parts.camera, booth.parts.driver
    events: list[Any] = []
    booth.parts.bus.subscribe(events.append)

    def notices(name: str) -> list[Any]:
        return [e for e in events if e.kind == "notice" and e.event == name]

    def scanning_started(since: int) -> bool:
        return any(e.kind == "transition" and e.target == "scanning" for e in events[since:])

    booth.start()
    try:
        machine.web_action("start")
        # the scanning step began (the demo's phone card may already be read: confirming by now)
        assert scanning_started(0)
        unplugged.set()
        lost = wait_for(lambda: notices("camera_lost"))
        assert lost[0].payload["reason"] == "demo camera unplugged"
        assert "摄像头" in lost[0].payload["message_zh"] and "camera" in lost[0].payload["message_en"]
        wait_for(lambda: any(e.kind == "transition" and e.event == "fault" for e in events))
        # Back to idle while still unplugged: the screen of the new state says so again.
        wait_for(lambda: machine.state == "idle")
        wait_for(lambda: len(notices("camera_lost")) >= 2)
        assert camera.status().health is CameraHealth.REOPENING

        unplugged.clear()
        wait_for(lambda: notices("camera_restored"))
        assert camera.status().health is CameraHealth.OK and camera.stats.reopens >= 1
        grabbed = driver.stats.grabbed
        wait_for(lambda: driver.stats.grabbed > grabbed + 3)
        seen = len(events)
        machine.web_action("start")
        assert scanning_started(seen), "a session starts again on the reopened camera"
    finally:
        booth.stop()


@pytest.fixture()
def notify_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.05)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield sock
    sock.close()


def receive(sock: socket.socket, seconds: float) -> list[tuple[float, str]]:
    """(arrival time, message) of every datagram within `seconds`."""
    messages = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            messages.append((time.monotonic(), sock.recv(4096).decode()))
    return messages


def test_a_hung_guide_stops_the_watchdog_feed(tmp_path, notify_socket) -> None:
    booth = build_booth(demo_settings(tmp_path), demo=True, serve=False)
    machine, guide = booth.parts.machine, booth.parts.guide
    hung_at: list[float] = []
    release = threading.Event()
    evaluate = guide.evaluate

    def hanging_evaluate(frame: Any) -> Any:
        if not hung_at:
            hung_at.append(time.monotonic())
        release.wait(30)  # an analysis that never returns, until the test lets it go
        return evaluate(frame)

    guide.evaluate = hanging_evaluate
    booth.start()
    try:
        before = receive(notify_socket, 1.0)
        assert any(m.startswith("READY=1") for _, m in before)
        assert sum(m == "WATCHDOG=1" for _, m in before) >= 2, "fed while the loops beat"
        machine.web_action("start")
        wait_for(lambda: machine.state == "confirming")  # the demo's code card was read
        machine.web_action("accept")  # guiding: the analyser calls the guide, which hangs
        wait_for(lambda: hung_at)
        after = receive(notify_socket, HEARTBEAT_TIMEOUT_S + 1.5)
        feeds = [at for at, m in after if m == "WATCHDOG=1"]
        period = WATCHDOG_USEC / 2e6
        assert not feeds or feeds[-1] - hung_at[0] <= HEARTBEAT_TIMEOUT_S + 2 * period + 0.3
        assert time.monotonic() - (feeds[-1] if feeds else hung_at[0]) >= 1.0, "feed stayed stopped"
        assert any(m == "STATUS=stalled: session" for _, m in after)
    finally:
        release.set()
        booth.stop()


def test_console_reports_a_broken_settings_file_and_rescued_photos(tmp_path) -> None:
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[device]\ndevice_id = "has spaces"\n')
    # Photos on disk with no database at all (it vanished): the store must not sweep them away.
    photos = tmp_path / "data" / "store" / PHOTOS_DIR
    photos.mkdir(parents=True)
    (photos / ("a" * 64 + ".jpg")).write_bytes(b"\xff\xd8 accepted earlier")
    booth = build_booth(demo_settings(tmp_path), demo=True, serve=True, operator_password="pw-12345678",
                        settings_file=settings_file)
    try:
        (rescued,) = (tmp_path / "data" / "store" / RECOVERED_DIR).iterdir()
        assert (rescued / ("a" * 64 + ".jpg")).read_bytes() == b"\xff\xd8 accepted earlier"
        client = booth.parts.web.app.test_client()
        page = client.get("/operator/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/operator/login", data={"username": "operator", "password": "pw-12345678", "csrf_token": token})
        health = client.get("/operator/health").get_data(as_text=True)
    finally:
        booth.parts.store.close()
    # each row: Chinese name, the doctor's name beside it, then the state (故障 = FAIL)
    rows = dict(re.findall(r'<span class="en">(\w+)</span></td>\s*<td>(\S+) <span class="en">', health))
    assert rows["settings"] == "故障" and "device.device_id" in health
    assert rows["database"] == "故障" and "1 accepted photo file(s)" in health
