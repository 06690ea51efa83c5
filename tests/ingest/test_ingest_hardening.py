"""serve-ingest under hostile or broken input (issue K): each case answered 4xx with a reason,
never a 500, never another booth's data, never a half-written or misfiled photo."""

import base64
import hashlib
import json
import threading
import zipfile

import pytest

from appliance.ingest.export import export_school
from appliance.ingest.metadata import ServerPhoto, SqliteMetadata
from appliance.testing.ingest_requests import NOW, ingest_server, post, upload_payload
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, LiveServer, make_jpeg
from appliance.uplink.client import CollectionClient
from appliance.uplink.signing import signed_headers

OTHER_ID, OTHER_KEY = "booth-b", bytes(range(50, 82))


@pytest.fixture()
def server(tmp_path):
    return ingest_server(tmp_path, max_body_bytes=2_000_000, keys={OTHER_ID: OTHER_KEY})


def with_photo(payload, data):
    payload["photo_jpeg_base64"] = base64.b64encode(data).decode()
    payload["binding"]["sha256"] = hashlib.sha256(data).hexdigest()
    payload["binding"]["size_bytes"] = len(data)
    return payload


def test_overlapping_identical_uploads_all_succeed_and_store_once(tmp_path):
    """A booth's retry over its first try: 12 identical uploads at once, 10 rounds."""
    with LiveServer(tmp_path / "srv") as live:
        for round_ in range(10):
            photo = make_jpeg(100 + round_)
            sha = hashlib.sha256(photo).hexdigest()
            payload = {
                "binding": {
                    "sha256": sha, "session_code": "s1", "school_code": "10403", "capture_code": f"cafe{round_:012x}",
                    "device_id": DEVICE_ID, "captured_at": 1.7e9, "accepted_at": 1.7e9, "size_bytes": len(photo),
                },
                "report": {}, "photo_jpeg_base64": base64.b64encode(photo).decode(),
            }
            statuses: list[int] = []
            start = threading.Barrier(12)

            def send(payload=payload, statuses=statuses, start=start):
                client = CollectionClient(live.url, DEVICE_ID, DEVICE_KEY, timeout_s=30)
                start.wait()
                statuses.append(client.post_json("/v1/photos", payload).status)

            threads = [threading.Thread(target=send) for _ in range(12)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(statuses) == [200] * 11 + [201], statuses
            assert live.files.read(sha) == photo
        assert len(live.metadata.all_sha256()) == 10
        leftovers = [p.name for p in (tmp_path / "srv" / "photos").rglob("*") if p.name.startswith(".")]
        assert leftovers == []


def test_another_booths_sha256_with_junk_bytes_learns_nothing(server):
    client, metadata, _ = server
    _, payload = upload_payload(seed=1)
    assert post(client, "/v1/photos", payload).status_code == 201
    sha = payload["binding"]["sha256"]
    metadata.set_review(sha, "rejected", "闭眼 / eyes closed", NOW)

    _, theirs = upload_payload(seed=2, device=OTHER_ID, capture="ffff0000ffff0000")
    theirs["binding"]["sha256"] = sha  # booth A's hash, junk (another photo's) bytes
    answer = post(client, "/v1/photos", theirs, device=OTHER_ID, key=OTHER_KEY)
    assert (answer.status_code, answer.json["error"]) == (422, "sha256_mismatch")
    assert "rejected" not in answer.get_data(as_text=True) and "闭眼" not in answer.get_data(as_text=True)


def test_same_bytes_for_another_student_or_booth_are_refused_not_merged(server):
    client, metadata, _ = server
    _, payload = upload_payload(seed=1)
    assert post(client, "/v1/photos", payload).status_code == 201
    metadata.set_review(payload["binding"]["sha256"], "rejected", "闭眼", NOW)
    elsewhere = ((OTHER_ID, OTHER_KEY, "c8bade99b9b2edca"), (DEVICE_ID, DEVICE_KEY, "0123456789abcdef"))
    for device, key, capture in elsewhere:
        _, again = upload_payload(seed=1, device=device, capture=capture)
        answer = post(client, "/v1/photos", again, device=device, key=key)
        assert (answer.status_code, answer.json["error"]) == (409, "photo_conflict")
        assert "闭眼" not in answer.get_data(as_text=True)
    assert metadata.get(payload["binding"]["sha256"]).capture_code == "c8bade99b9b2edca"
    assert post(client, "/v1/photos", payload).json["status"] == "duplicate"  # the true repeat


@pytest.mark.parametrize("field", ["captured_at", "accepted_at"])
def test_a_1975_clock_is_refused_with_a_reason(server, field):
    client, metadata, _ = server
    _, payload = upload_payload()
    payload["binding"][field] = 157_766_400.0  # 1975-01-01
    answer = post(client, "/v1/photos", payload)
    assert (answer.status_code, answer.json["error"]) == (422, "bad_time")
    assert "1975" in answer.json["message"] and "NTP" in answer.json["message"]
    _, payload = upload_payload(seed=2)
    payload["binding"][field] = NOW + 30 * 86400  # a month ahead
    assert post(client, "/v1/photos", payload).json["error"] == "bad_time"
    assert metadata.all_sha256() == []


def test_export_does_not_fail_on_one_row_from_1975(server, tmp_path):
    client, metadata, files = server
    _, payload = upload_payload(seed=1)
    assert post(client, "/v1/photos", payload).status_code == 201
    old = make_jpeg(9)
    sha = hashlib.sha256(old).hexdigest()
    files.write(sha, old)  # stored before uploads checked times
    metadata.insert_photo(ServerPhoto(
        sha256=sha, device_id=DEVICE_ID, session_code="s", school_code="10403", capture_code="abcdabcdabcdabcd",
        personal=None, report={}, captured_at=157_766_400.0, accepted_at=157_766_400.0, received_at=NOW,
        size_bytes=len(old), review_state="pending", review_reason=None, reviewed_at=None,
    ))
    path, written, _ = export_school(metadata, files, "10403", tmp_path / "out")
    assert written == 2
    with zipfile.ZipFile(path) as archive:
        assert archive.read("abcdabcdabcdabcd.jpg") == old


@pytest.mark.parametrize("timestamp", ["¹²³", "１２３", "12.5", "-5", "1" * 13])
def test_odd_timestamps_are_401_not_500(server, timestamp):
    client, _, _ = server
    _, payload = upload_payload()
    body = json.dumps(payload).encode()
    headers = signed_headers(DEVICE_ID, DEVICE_KEY, "POST", "/v1/photos", body, NOW)
    headers["X-Timestamp"] = timestamp
    answer = client.post("/v1/photos", data=body, headers=headers, content_type="application/json")
    assert (answer.status_code, answer.json["error"]) == (401, "bad_timestamp")


def test_non_ascii_signature_is_401_not_500(server):
    client, _, _ = server
    _, payload = upload_payload()
    body = json.dumps(payload).encode()
    headers = signed_headers(DEVICE_ID, DEVICE_KEY, "POST", "/v1/photos", body, NOW)
    headers["X-Signature"] = "é" * 64
    answer = client.post("/v1/photos", data=body, headers=headers, content_type="application/json")
    assert (answer.status_code, answer.json["error"]) == (401, "bad_signature")


def test_signed_deeply_nested_body_is_400_not_500(server):
    client, _, _ = server
    body = b"[" * 100_000 + b"]" * 100_000
    answer = post(client, "/v1/photos", None, body=body)
    assert (answer.status_code, answer.json["error"]) == (400, "malformed_json")
    _, payload = upload_payload()
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    body = json.dumps(payload).encode().replace(b'"report": {"verdict": "pass"}', b'"report": ' + deep)
    answer = post(client, "/v1/photos", None, body=body)
    assert answer.status_code == 400, answer.json


def test_unknown_device_reads_the_same_as_a_bad_signature(server):
    """Without a key nobody can tell which device ids exist."""
    client, _, _ = server
    _, payload = upload_payload()
    body = json.dumps(payload).encode()
    stranger = signed_headers("stranger", DEVICE_KEY, "POST", "/v1/photos", body, NOW)
    wrong_key = signed_headers(DEVICE_ID, OTHER_KEY, "POST", "/v1/photos", body, NOW)
    answers = [
        client.post("/v1/photos", data=body, headers=h, content_type="application/json") for h in (stranger, wrong_key)
    ]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json == answers[1].json


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xd9",
        b"\xff\xd8\xff\xe0<html><body><script>alert(document.cookie)</script></body></html>\xff\xd9",
        b"\xff\xd8" + bytes(range(256)) * 40 + b"\xff\xd9",
    ],
    ids=["4-bytes", "html-polyglot", "noise-between-markers"],
)
def test_things_that_only_look_like_jpegs_are_refused(server, data):
    client, metadata, _ = server
    _, payload = upload_payload()
    answer = post(client, "/v1/photos", with_photo(payload, data))
    assert (answer.status_code, answer.json["error"]) == (422, "not_jpeg"), answer.json
    assert metadata.all_sha256() == []


def test_export_streams_resumes_and_writes_a_manifest(server, tmp_path):
    """An export interrupted half-way (the photo storage fails) resumes: the second run reads only
    the photos the first did not stage, and the manifest lists each photo of the zip."""
    import csv

    client, metadata, files = server
    for seed in range(1, 7):
        _, payload = upload_payload(seed=seed, capture=f"abcdabcdabcd{seed:04d}")
        payload["personal"] = {"student_number": f"S{seed:05d}", "name": f"学生{seed}"}
        assert post(client, "/v1/photos", payload).status_code == 201
    metadata.set_review(payload["binding"]["sha256"], "accepted", "合格", NOW)

    class Flaky:
        def __init__(self, fail_after):
            self.reads, self.fail_after = [], fail_after

        def read(self, sha256):
            if len(self.reads) >= self.fail_after:
                raise ConnectionError("database went away")
            self.reads.append(sha256)
            return files.read(sha256)

    first = Flaky(fail_after=4)
    with pytest.raises(ConnectionError):
        export_school(metadata, first, "10403", tmp_path / "out")
    assert not list((tmp_path / "out").glob("*.zip"))  # no half zip under the final name
    second = Flaky(fail_after=100)
    path, written, skipped = export_school(metadata, second, "10403", tmp_path / "out")
    assert (written, skipped, len(second.reads)) == (6, 0, 2)
    with zipfile.ZipFile(path) as archive:
        assert len(archive.namelist()) == 6
        assert archive.read("abcdabcdabcd0003.jpg") == make_jpeg(3)
    manifest = path.with_name(f"{path.stem}.manifest.csv")
    rows = list(csv.DictReader(manifest.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["file"] for r in rows] == [f"abcdabcdabcd{s:04d}.jpg" for s in range(1, 7)]
    assert rows[5]["student_number"] == "S00006" and rows[5]["name"] == "学生6"
    assert rows[5]["decision"] == "accepted" and rows[0]["decision"] == "pending"
    assert rows[2]["sha256"] == hashlib.sha256(make_jpeg(3)).hexdigest()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([path.name, manifest.name])
    assert not list((tmp_path / "out").glob(".*"))  # staging and temp files gone


def test_export_skips_a_row_without_bytes_instead_of_failing(server, tmp_path):
    client, metadata, files = server
    for seed in (1, 2):
        _, payload = upload_payload(seed=seed, capture=f"abcdabcdabcd{seed:04d}")
        assert post(client, "/v1/photos", payload).status_code == 201
    files.path_of(payload["binding"]["sha256"]).unlink()
    _, written, skipped = export_school(metadata, files, "10403", tmp_path / "out")
    assert (written, skipped) == (1, 1)


def test_a_database_from_before_versioning_is_adopted_by_migrate(tmp_path):
    """Servers deployed before `migrate` existed have photos and nonces but no schema_version."""
    import sqlite3

    from appliance.ingest.metadata import LATEST_VERSION, MIGRATIONS

    conn = sqlite3.connect(tmp_path / "ingest.db")
    for statement in MIGRATIONS[0][2]:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO photos VALUES ('" + "a" * 64 + "', 'b', 's', '10403', 'c', NULL, '{}', 1, 2, 3, 4,"
        " 'pending', NULL, NULL)"
    )
    conn.commit()
    conn.close()
    metadata = SqliteMetadata(tmp_path / "ingest.db")
    assert metadata.schema_version() == 0
    assert metadata.migrate() == list(range(1, LATEST_VERSION + 1))
    assert metadata.all_sha256() == ["a" * 64]
    assert metadata.migrate() == []
    metadata.check_schema()


def test_booth_marks_a_photo_conflict_refused_instead_of_retrying(tmp_path):
    """Booth B holds the very bytes booth A uploaded (a frozen camera frame): the server answers
    409 and B's uplink marks the photo refused with the reason, it does not retry forever."""
    from appliance.store.disk_guard import DiskGuard
    from appliance.store.photo_store import PhotoStore
    from appliance.uplink.config import UplinkSettings
    from appliance.uplink.worker import UplinkWorker

    photo = make_jpeg(42)
    with LiveServer(tmp_path / "srv", keys={OTHER_ID: OTHER_KEY}) as live:
        results = []
        booths = ((DEVICE_ID, DEVICE_KEY, "aaaa1111bbbb2222"), (OTHER_ID, OTHER_KEY, "cccc3333dddd4444"))
        for device, key, capture in booths:
            store = PhotoStore(tmp_path / device, disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))
            sha = store.commit_accepted("26031601", capture, "10403", photo, {}).sha256
            client = CollectionClient(live.url, device, key, timeout_s=5)
            UplinkWorker(store, client, device, UplinkSettings(server_url=live.url)).run_once()
            results.append(store.get(sha))
            store.close()
        assert results[0].upload_state == "uploaded"
        assert results[1].upload_state == "refused" and "409" in results[1].last_error
        assert live.metadata.get(results[0].sha256).capture_code == "aaaa1111bbbb2222"
