"""Retakes: the store finds earlier photos by capture code (even sealed), the binder hears of them,
the screen asks 'already captured - retake?', and the operator can queue a rejected photo again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from appliance.app import build_binder
from appliance.binding.binder import CodeBinder
from appliance.binding.code_reader import BoundStudent
from appliance.binding.decoders import PlainCodeDecoder
from appliance.binding.model import Binding, CodeFields
from appliance.settings import Settings, settings_from_dict
from appliance.store.cipher import AesGcmCipher
from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_sink import StorePriorCaptures
from appliance.store.photo_store import DB_NAME, PhotoStore
from appliance.testing.session_fakes import make_booth
from appliance.testing.uplink_fixtures import make_jpeg

CODE = "c8bade99b9b2edca"
OTHER = "0123456789abcdef"
REPORT = {"verdict": "pass", "checks": []}


def open_store(folder: Path, cipher: AesGcmCipher | None = None) -> PhotoStore:
    return PhotoStore(folder, cipher=cipher, disk_guard=DiskGuard(folder, 0, probe=lambda _p: 10**12))


def aes() -> AesGcmCipher:
    return AesGcmCipher(bytes(range(32)))


@pytest.mark.parametrize("cipher", [None, aes()], ids=["plain", "encrypted"])
def test_latest_photo_of_a_capture_code_is_found_even_when_codes_are_sealed(tmp_path, cipher) -> None:
    store = open_store(tmp_path / "store", cipher)
    assert store.latest_for_capture(CODE) is None
    first = store.commit_accepted("s1", CODE, "10403", make_jpeg(1), REPORT)
    other = store.commit_accepted("s1", OTHER, "10403", make_jpeg(2), REPORT)
    login = store.commit_accepted("s1", "student:20230001", "10403", make_jpeg(3), REPORT)
    assert store.latest_for_capture(CODE).sha256 == first.sha256
    second = store.commit_accepted("s2", CODE, "10403", make_jpeg(4), REPORT)
    assert store.latest_for_capture(CODE).sha256 == second.sha256
    assert store.latest_for_capture(OTHER).sha256 == other.sha256
    assert store.latest_for_capture("student:20230001").sha256 == login.sha256
    assert store.latest_for_capture("student:20230002") is None
    # The old photo stays (until retention after upload); only the newest is "the" photo.
    assert store.read_photo(first.sha256) == make_jpeg(1)
    links = store.capture_links([first.sha256, second.sha256, other.sha256])
    assert (links[first.sha256].retake, links[first.sha256].superseded) == (False, True)
    assert (links[second.sha256].retake, links[second.sha256].superseded) == (True, False)
    assert (links[other.sha256].retake, links[other.sha256].superseded) == (False, False)
    store.close()
    db_text = (tmp_path / "store" / DB_NAME).read_bytes()
    if cipher is not None:
        assert CODE.encode() not in db_text  # neither sealed code nor lookup key reveals it


def test_lookup_keys_depend_on_the_encryption_key() -> None:
    assert aes().lookup_key(CODE) == aes().lookup_key(CODE)
    assert aes().lookup_key(CODE) != AesGcmCipher(b"\x01" * 32).lookup_key(CODE)
    assert aes().lookup_key(CODE) != aes().lookup_key(OTHER)


def test_photos_stored_before_capture_keys_get_them_on_open(tmp_path) -> None:
    store = open_store(tmp_path / "store", aes())
    record = store.commit_accepted("s1", CODE, "10403", make_jpeg(1), REPORT)
    store.close()
    with sqlite3.connect(tmp_path / "store" / DB_NAME) as conn:
        conn.execute("UPDATE photos SET capture_key = NULL")
    reopened = open_store(tmp_path / "store", aes())
    assert reopened.latest_for_capture(CODE).sha256 == record.sha256
    reopened.close()
    # Without the key the sealed code cannot be read: the store still opens, the key stays unset.
    with sqlite3.connect(tmp_path / "store" / DB_NAME) as conn:
        conn.execute("UPDATE photos SET capture_key = NULL")
    keyless = open_store(tmp_path / "store")
    assert keyless.latest_for_capture(CODE) is None
    keyless.close()


def test_binder_built_for_the_booth_reports_the_prior_capture_and_its_confirmation(tmp_path) -> None:
    store = open_store(tmp_path / "store")
    binder = build_binder(settings_from_dict({"codes": {"school_code": "10403"}}), store)  # plain codes
    assert binder.bind(CODE, "s1").retake_of is None
    record = store.commit_accepted("s1", CODE, "10403", make_jpeg(1), REPORT)
    again = binder.bind(CODE, "s1")
    assert again.retake_needed and again.retake_of.photo_id == record.sha256
    assert not again.retake_of.server_confirmed and len(again.retake_of.captured_at) == 16
    store.mark_uploaded(record.sha256, 10.0)
    store.record_review(record.sha256, "accepted", None, 11.0)
    assert binder.bind(CODE, "s1").retake_of.server_confirmed
    assert binder.bind(OTHER, "s1").retake_of is None


def test_login_key_finds_a_prior_capture_filed_under_the_student_number(tmp_path) -> None:
    store = open_store(tmp_path / "store")
    store.commit_accepted("s1", "student:20230001", "10403", make_jpeg(1), REPORT)
    lookup = StorePriorCaptures(store)
    assert lookup("student:20230001") is not None and lookup("student:20230002") is None


def test_subject_screen_is_asked_about_the_retake_with_masked_identity(tmp_path) -> None:
    store = open_store(tmp_path / "store")
    store.commit_accepted("s1", CODE, "10403", make_jpeg(1), REPORT)
    codes = Settings().codes.model_copy(update={"school_code": "10403"})  # plain codes need the booth's school
    binder = CodeBinder(codes, [PlainCodeDecoder()], captured_lookup=StorePriorCaptures(store))
    booth = make_booth()
    booth.reader.result = BoundStudent(binder.bind(CODE, "s1"))
    booth.machine.button_pressed()
    booth.frame()
    assert booth.machine.state == "confirming"
    identity = next(e for e in booth.events if e.event == "code_read").payload["identity"]
    assert identity["already_captured_at"] and identity["prior_confirmed"] == "no"
    assert identity["capture_code"] == "c8ba********edca"
    assert CODE not in booth.all_text()
    first_time = BoundStudent(Binding("plain", "s1", CodeFields(capture_code=OTHER)))
    booth.machine.web_action("retake")  # "not me": scan again
    booth.reader.result = first_time
    booth.frame()
    assert "already_captured_at" not in booth.machine.snapshot()["identity"]


def test_only_rejected_or_refused_photos_held_locally_can_be_queued_again(tmp_path) -> None:
    store = open_store(tmp_path / "store")
    pending = store.commit_accepted("s1", CODE, "10403", make_jpeg(1), REPORT).sha256
    assert not store.requeue_rejected(pending)
    assert not store.requeue_rejected("f" * 64)

    rejected = store.commit_accepted("s1", OTHER, "10403", make_jpeg(2), REPORT).sha256
    store.mark_retry(rejected, "timeout", 5.0)
    store.mark_uploaded(rejected, 10.0)
    assert not store.requeue_rejected(rejected)  # uploaded and still in review
    store.record_review(rejected, "rejected", "背景不均匀", 11.0)
    assert store.requeue_rejected(rejected)
    record = store.get(rejected)
    assert (record.upload_state, record.review_state, record.review_reason, record.attempts) == (
        "pending", "pending", None, 0)
    assert rejected in [item.sha256 for item in store.due_uploads(now=20.0)]

    refused = store.commit_accepted("s1", "student:1", "10403", make_jpeg(3), REPORT).sha256
    store.mark_refused(refused, "400 bad binding")
    assert store.requeue_rejected(refused) and store.get(refused).upload_state == "pending"

    purged = store.commit_accepted("s1", "student:2", "10403", make_jpeg(4), REPORT).sha256
    store.mark_uploaded(purged, 0.0)
    store.record_review(purged, "rejected", "x", 1.0)
    assert store.purge_expired(now=10**9) >= 1
    assert not store.requeue_rejected(purged)  # nothing left to send
    assert store.get(purged).review_state == "rejected"
