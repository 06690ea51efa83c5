"""A photo belongs to one binding: the same bytes for another student are refused, never merged.

Identical bytes for two students mean the camera delivered no new picture (a frozen sensor, or the
demo's deterministic portrait): the bytes show the first student, so filing them under the second
would misfile a face, and answering with the first one's record hands the second student a
receipt for a photo that is not theirs.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.binding.code_reader import BoundStudent
from appliance.binding.model import Binding, CodeFields
from appliance.capture.camera.demo import DemoPose, DemoSource
from appliance.session.ports import Product
from appliance.store.disk_guard import DiskGuard
from appliance.store.errors import PhotoConflictError
from appliance.store.photo_sink import StorePhotoSink
from appliance.store.photo_store import PhotoStore
from appliance.testing.session_fakes import NAME, make_booth
from appliance.testing.uplink_fixtures import make_jpeg

REPORT = {"verdict": "pass"}
CODE_A, CODE_B = "c8bade99b9b2edca", "0123456789abcdef"


def open_store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "store", disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))


def test_same_bytes_for_another_student_are_refused_and_nothing_is_filed_for_them(tmp_path) -> None:
    store = open_store(tmp_path)
    photo = make_jpeg(1)
    first = store.commit_accepted("26031601", CODE_A, "10403", photo, REPORT)
    with pytest.raises(PhotoConflictError) as refused:
        store.commit_accepted("26031601", CODE_B, "10403", photo, REPORT)
    zh, _, en = str(refused.value).partition(" / ")
    assert "重拍" in zh and "retake" in en
    assert store.latest_for_capture(CODE_B) is None
    assert store.get(first.sha256).capture_code == CODE_A
    assert store.queue_summary().total == 1
    # The same student committing the same bytes again (a restart redoing its last commit) is still a no-op.
    assert store.commit_accepted("26031601", CODE_A, "10403", photo, REPORT) == first
    # ... but not under another collection run: the binding is code, run and school together.
    with pytest.raises(PhotoConflictError):
        store.commit_accepted("26031602", CODE_A, "10403", photo, REPORT)
    assert store.read_photo(first.sha256) == photo
    store.close()


def test_racing_commits_of_the_same_bytes_for_two_students_file_it_once(tmp_path) -> None:
    store = open_store(tmp_path)
    for round_ in range(12):
        photo = make_jpeg(100 + round_)
        results: dict[str, object] = {}
        start = threading.Barrier(2)

        def commit(code: str, photo: bytes = photo, results: dict = results, start=start) -> None:
            start.wait()
            try:
                results[code] = store.commit_accepted("26031601", code, "10403", photo, REPORT)
            except PhotoConflictError as exc:
                results[code] = exc

        threads = [threading.Thread(target=commit, args=(code,)) for code in (f"a{round_:015d}", f"b{round_:015d}")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = [code for code, outcome in results.items() if not isinstance(outcome, Exception)]
        assert len(stored) == 1, results
        assert results[stored[0]].capture_code == stored[0]
    assert store.queue_summary().total == 12
    store.close()


def student(code: str, session: str = "26031601", name: str = "") -> BoundStudent:
    return BoundStudent(Binding("plain", session, CodeFields(capture_code=code, name=name, school_code="10403")))


def test_the_deterministic_demo_camera_cannot_give_the_second_student_the_first_ones_receipt(tmp_path) -> None:
    camera = DemoSource((320, 240), 15.0, scale=1.0, script=[DemoPose()])
    camera.open()
    stills = [camera.read(want_full=True).main for _ in range(2)]  # one still per session
    jpegs = [cv2.imencode(".jpg", still)[1].tobytes() for still in stills]
    assert jpegs[0] == jpegs[1], "the demo camera is expected to repeat itself exactly"
    store = open_store(tmp_path)
    sink = StorePhotoSink(store)
    receipt = sink.commit(student(CODE_A), Product(True, jpegs[0], report=REPORT))
    assert sink.refusal(student(CODE_A), Product(True, jpegs[0])) is None
    reason = sink.refusal(student(CODE_B), Product(True, jpegs[1]))
    assert reason is not None and "重拍" in reason[0] and "retake" in reason[1]
    with pytest.raises(PhotoConflictError):
        sink.commit(student(CODE_B), Product(True, jpegs[1], report=REPORT))
    assert store.latest_for_capture(CODE_B) is None
    assert store.latest_for_capture(CODE_A).sha256 == receipt["sha256"]
    store.close()


def run_session(booth, binding: BoundStudent) -> None:
    booth.reader.result = binding
    booth.machine.web_action("start")
    booth.frame()
    booth.machine.web_action("accept")
    booth.to_reviewing()


def test_a_session_offered_someone_elses_bytes_asks_for_a_retake_and_stores_nothing(tmp_path) -> None:
    store = open_store(tmp_path)
    booth = make_booth(sink=StorePhotoSink(store))
    photo = cv2.imencode(".jpg", np.full((64, 48, 3), 90, np.uint8))[1].tobytes()
    booth.producer.produce = lambda _still: Product(True, photo, report=REPORT)

    run_session(booth, student(CODE_A, name=NAME))
    booth.machine.web_action("accept")
    assert booth.machine.state == "done"
    first = store.latest_for_capture(CODE_A)
    booth.tick(booth.machine_settings.timeouts.done_s + 1)

    run_session(booth, student(CODE_B, name="李小四"))
    produced = [e for e in booth.events if e.event == "produced"][-1].payload
    assert produced["ok"] is False and produced["can_accept"] is False and produced["can_retake"] is True
    assert "重拍" in produced["reason_zh"] and "retake" in produced["reason_en"]
    assert booth.machine.preview() is None  # the first student's photo is not shown to the second
    booth.machine.web_action("accept")
    assert booth.machine.state == "reviewing"
    assert store.latest_for_capture(CODE_B) is None
    receipts = [e.payload["receipt"] for e in booth.events if e.event == "committed"]
    assert [r["sha256"] for r in receipts] == [first.sha256]
    assert NAME not in booth.all_text() and "李小四" not in booth.all_text()
    store.close()
