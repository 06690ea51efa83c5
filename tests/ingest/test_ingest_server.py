import json
import zipfile

import pytest

from appliance.ingest.export import export_school
from appliance.testing.ingest_requests import NOW, post, upload_payload
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, REVIEWER_ID, REVIEWER_KEY, make_jpeg
from appliance.uplink.signing import HEADER_NONCE, HEADER_SERVER_TIME, signed_headers


def test_upload_is_stored_once_and_review_flows_back(server, tmp_path):
    client, metadata, files = server
    photo, payload = upload_payload()
    first = post(client, "/v1/photos", payload)
    assert first.status_code == 201, first.json
    assert first.headers[HEADER_SERVER_TIME].startswith("18000000")
    second = post(client, "/v1/photos", payload)
    assert second.status_code == 200 and second.json["status"] == "duplicate"
    sha = payload["binding"]["sha256"]
    assert metadata.all_sha256() == [sha] and files.read(sha) == photo

    decision = {"sha256": sha, "state": "rejected", "reason": "露齿"}
    assert post(client, "/v1/reviews/decide", decision).status_code == 403
    decided = post(client, "/v1/reviews/decide", decision, device=REVIEWER_ID, key=REVIEWER_KEY)
    assert decided.status_code == 200
    answer = post(client, "/v1/reviews/query", {"sha256": [sha, "0" * 64]})
    assert answer.json == {"reviews": [{"sha256": sha, "state": "rejected", "reason": "露齿"}]}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda h: h.pop("X-Signature"), 401, "unsigned"),
        (lambda h: h.update({"X-Signature": "0" * 64}), 401, "bad_signature"),
        (lambda h: h.update({"X-Device-Id": "stranger"}), 401, "bad_signature"),
        (lambda h: h.update({"X-Timestamp": str(int(NOW) - 3600)}), 401, "clock_skew"),
        (lambda h: h.update({"X-Nonce": "not-hex"}), 401, "bad_nonce"),
    ],
)
def test_bad_signatures_are_refused(server, change, status, code):
    client, metadata, _ = server
    _, payload = upload_payload()
    body = json.dumps(payload).encode()
    headers = signed_headers(DEVICE_ID, DEVICE_KEY, "POST", "/v1/photos", body, NOW)
    change(headers)
    answer = client.post("/v1/photos", data=body, headers=headers, content_type="application/json")
    assert (answer.status_code, answer.json["error"]) == (status, code)
    assert metadata.all_sha256() == []


def test_replayed_request_is_refused(server):
    client, _, _ = server
    _, payload = upload_payload()
    body = json.dumps(payload).encode()
    headers = signed_headers(DEVICE_ID, DEVICE_KEY, "POST", "/v1/photos", body, NOW)
    first = client.post("/v1/photos", data=body, headers=headers, content_type="application/json")
    assert first.status_code == 201
    again = client.post("/v1/photos", data=body, headers=headers, content_type="application/json")
    assert (again.status_code, again.json["error"]) == (401, "replayed")
    assert HEADER_NONCE in headers


def test_malformed_oversized_and_wrong_type_are_refused(server):
    client, metadata, _ = server
    assert post(client, "/v1/photos", None, body=b"{not json").json["error"] == "malformed_json"
    assert post(client, "/v1/photos", None, body=b"{not json").status_code == 400
    assert post(client, "/v1/photos", None, body=b"x" * 300_000).status_code == 413
    assert post(client, "/v1/photos", {}, content_type="text/plain").status_code == 415
    assert post(client, "/v1/photos", {"binding": {}}).status_code == 422
    _, payload = upload_payload()
    payload["binding"]["sha256"] = "1" * 64
    assert post(client, "/v1/photos", payload).json["error"] == "sha256_mismatch"
    _, payload = upload_payload(device="booth-other")
    assert post(client, "/v1/photos", payload).status_code == 403
    assert metadata.all_sha256() == []


def test_export_names_files_by_school_rules(server, tmp_path):
    client, metadata, files = server
    for seed, capture in ((1, "aaaa1111bbbb2222"), (2, "cccc3333dddd4444"), (3, "aaaa1111bbbb2222")):
        _, payload = upload_payload(seed=seed, capture=capture)
        payload["binding"]["accepted_at"] = NOW + seed
        assert post(client, "/v1/photos", payload).status_code == 201
    _, other = upload_payload(seed=4, school="10001")
    post(client, "/v1/photos", other)
    path, written, skipped = export_school(metadata, files, "10403", tmp_path / "out")
    assert (written, skipped) == (2, 0)
    assert path.name.startswith("10403_") and path.suffix == ".zip"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["aaaa1111bbbb2222.jpg", "cccc3333dddd4444.jpg"]
        assert archive.read("aaaa1111bbbb2222.jpg") == make_jpeg(3)  # the later retake wins
    by_number, _, _ = export_school(metadata, files, "10403", tmp_path / "out2", "student_number")
    with zipfile.ZipFile(by_number) as archive:
        assert sorted(archive.namelist()) == ["S00001.jpg", "S00002.jpg", "S00003.jpg"]
