"""A full disk or a read-only store is found before a session starts, not at the commit after the
student posed: the subject screen and the console say "storage full" / "read-only" instead of the
generic error, and a session that runs into it at commit says so too."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from appliance.binding.code_reader import BoundStudent
from appliance.binding.model import Binding, CodeFields
from appliance.demo.scripted_session import ScriptedSubject
from appliance.errors import ApplianceError
from appliance.session.ports import Product
from appliance.store.disk_guard import FULL_MESSAGE, READ_ONLY_MESSAGE, DiskGuard
from appliance.store.photo_sink import StorePhotoSink
from appliance.store.photo_store import PHOTOS_DIR, SESSION_PHOTO_BYTES, PhotoStore
from appliance.testing.session_fakes import make_booth
from appliance.testing.uplink_fixtures import make_jpeg
from appliance.testing.web_fakes import PASSWORD, make_deps
from appliance.web.server import create_app

RESERVE = 10 * 1024 * 1024


class Disk:
    """The free-space probe the guard reads; `free` is set by each test."""

    def __init__(self, free: int) -> None:
        self.free = free

    def __call__(self, _path: Path) -> int:
        return self.free


def open_store(tmp_path: Path, disk: Disk) -> PhotoStore:
    return PhotoStore(tmp_path / "store", disk_guard=DiskGuard(tmp_path, RESERVE, probe=disk))


def test_a_session_does_not_start_on_a_full_disk_and_the_screen_says_why(tmp_path) -> None:
    disk = Disk(RESERVE + SESSION_PHOTO_BYTES)  # above the reserve, but one photo would not fit
    store = open_store(tmp_path, disk)
    assert store.capture_problem() == FULL_MESSAGE
    assert "存储空间已满" in FULL_MESSAGE and "Storage full" in FULL_MESSAGE
    booth = make_booth(sink=StorePhotoSink(store))
    booth.machine.web_action("start")
    booth.machine.button_pressed()
    assert booth.machine.state == "idle"
    notices = [e.payload for e in booth.events if e.kind == "notice"]
    assert notices == [{"message_zh": FULL_MESSAGE.split(" / ")[0], "message_en": FULL_MESSAGE.split(" / ")[1]}]
    disk.free = 10**12
    assert store.capture_problem() is None
    booth.machine.web_action("start")
    assert booth.machine.state == "scanning"
    store.close()


def test_a_read_only_database_is_found_before_a_session_starts(tmp_path) -> None:
    store = open_store(tmp_path, Disk(10**12))
    store._conn.execute("PRAGMA query_only = ON")  # what SQLite answers for a read-only file
    assert store.capture_problem() == READ_ONLY_MESSAGE
    assert "只读" in READ_ONLY_MESSAGE and "read-only" in READ_ONLY_MESSAGE
    booth = make_booth(sink=StorePhotoSink(store))
    booth.machine.web_action("start")
    assert booth.machine.state == "idle"
    assert [e.event for e in booth.events if e.kind == "notice"] == ["storage_unavailable"]
    store.close()


def test_a_photo_folder_remounted_read_only_is_found_before_a_session_starts(tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    photos = tmp_path / "store" / PHOTOS_DIR
    photos.mkdir(parents=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(photos)]).returncode != 0:
        pytest.skip("mount of a tmpfs is not permitted here")
    try:
        store = open_store(tmp_path, Disk(10**12))
        assert store.capture_problem() is None
        assert subprocess.run(["mount", "-o", "remount,ro", str(photos)]).returncode == 0
        assert store.capture_problem() == READ_ONLY_MESSAGE
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(photos)])


def test_the_probe_leaves_nothing_behind(tmp_path) -> None:
    store = open_store(tmp_path, Disk(10**12))
    store.commit_accepted("26031601", "c8bade99b9b2edca", "10403", make_jpeg(1), {})
    for _ in range(3):
        assert store.capture_problem() is None
    assert len(list((tmp_path / "store" / PHOTOS_DIR).iterdir())) == 1
    store.close()


def test_a_disk_that_fills_during_the_session_is_named_at_commit(tmp_path) -> None:
    disk = Disk(10**12)
    store = open_store(tmp_path, disk)
    booth = make_booth(sink=StorePhotoSink(store), timeouts={"failsafe_s": 3.0})
    booth.reader.result = BoundStudent(Binding("plain", "26031601", CodeFields(capture_code="c8bade99b9b2edca")))
    photo = make_jpeg(2)
    booth.producer.produce = lambda _still: Product(True, photo, report={"verdict": "pass"})
    booth.machine.web_action("start")
    booth.frame()
    booth.machine.web_action("accept")
    booth.to_reviewing()
    disk.free = 0
    booth.machine.web_action("accept")
    assert booth.machine.state == "failsafe"
    fault = [e for e in booth.events if e.event == "fault"][-1].payload
    assert fault["message_zh"] == FULL_MESSAGE.split(" / ")[0] and fault["message_en"].startswith("Storage full")
    store.close()


def test_the_console_says_storage_full(tmp_path) -> None:
    deps, _, _ = make_deps(tmp_path)
    deps.store = open_store(tmp_path, Disk(0))
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    page = client.get("/operator").get_data(as_text=True)
    assert "存储空间已满" in page and "Storage full" in page


def test_the_demo_once_run_says_storage_full_instead_of_waiting_out_its_timeout(tmp_path) -> None:
    store = open_store(tmp_path, Disk(0))
    booth = make_booth(sink=StorePhotoSink(store))
    subject = ScriptedSubject(booth.machine)
    booth.bus.subscribe(subject.on_event)
    with pytest.raises(ApplianceError, match="Storage full"):
        subject.run(timeout_s=30)
    store.close()
