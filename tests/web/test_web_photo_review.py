"""The console's photo review: stored check reports, retake marks, the annotated picture (made on
demand, behind the log-in, never written to disk) and re-queueing a photo the server rejected."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.testing.uplink_fixtures import make_jpeg
from appliance.testing.web_fakes import CAPTURE_CODE, PASSWORD, make_deps
from appliance.web.photo_review import failed_checks
from appliance.web.server import create_app

FAILED_REPORT = {
    "verdict": "pass",
    "advisory": ["expression_smile"],
    "checks": [
        {"id": "face_count", "passed": True, "message_zh": "通过", "message_en": "OK"},
        {"id": "expression_smile", "passed": False, "message_zh": "请不要露齿笑", "message_en": "Please do not smile"},
        {"id": "light_balance", "passed": False, "message_zh": "脸部光线不均匀", "message_en": "Uneven light"},
    ],
}


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture()
def console(tmp_path: Path):
    deps, machine, _ = make_deps(tmp_path)
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    token = token_of(client.get("/operator/login").get_data(as_text=True))
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    token = token_of(client.get("/operator").get_data(as_text=True))
    return client, token, deps, machine


def test_failed_checks_keep_order_and_mark_advisory_ones() -> None:
    failed = failed_checks(FAILED_REPORT)
    assert [(c.id, c.advisory) for c in failed] == [("expression_smile", True), ("light_balance", False)]
    assert failed_checks(None) == [] and failed_checks({"refusal": "no_face"}) == []


def test_console_shows_each_photos_failed_checks_and_retake_marks(console) -> None:
    client, _, deps, _ = console
    first = deps.store.recent(1)[0].sha256
    retake = deps.store.commit_accepted("26031601", CAPTURE_CODE, "10403", make_jpeg(5), FAILED_REPORT).sha256
    page = client.get("/operator").get_data(as_text=True)
    assert "脸部光线不均匀" in page and "Uneven light" in page and "advisory" in page
    assert "全部通过" in page  # the first photo's report has no failed check
    rows = {sha: page[page.index(f'alt="{sha[:8]}"'):] for sha in (first, retake)}
    assert "superseded" in rows[first].split("</tr>")[0]
    assert "retake" in rows[retake].split("</tr>")[0] and "superseded" not in rows[retake].split("</tr>")[0]
    assert CAPTURE_CODE not in page


def test_console_asks_about_a_retake_for_the_student_at_the_booth(console) -> None:
    client, _, _, machine = console
    assert "Already captured" not in client.get("/operator").get_data(as_text=True)
    machine.snapshot = lambda: {"state": "confirming", "identity": {
        "capture_code": "c8ba********edca", "already_captured_at": "2026-03-16 09:30", "prior_confirmed": "no"}}
    page = client.get("/operator").get_data(as_text=True)
    assert "Already captured at 2026-03-16 09:30 - retake?" in page and "要重拍吗" in page


def test_rejected_photo_can_be_queued_again_with_csrf_only(console) -> None:
    client, token, deps, _ = console
    sha = deps.store.recent(1)[0].sha256
    assert client.post(f"/operator/requeue/{sha}", data={"csrf_token": token}).status_code == 303
    assert deps.store.get(sha).upload_state == "pending" and "Queue again" not in client.get("/operator").get_data(
        as_text=True)
    deps.store.mark_uploaded(sha, 10.0)
    deps.store.record_review(sha, "rejected", "background not uniform", 11.0)
    assert "Queue again" in client.get("/operator").get_data(as_text=True)
    assert client.post(f"/operator/requeue/{sha}", data={}).status_code == 400  # no CSRF token
    assert deps.store.get(sha).review_state == "rejected"
    assert client.post(f"/operator/requeue/{sha}", data={"csrf_token": token}).status_code == 303
    record = deps.store.get(sha)
    assert (record.upload_state, record.review_state) == ("pending", "pending")
    assert client.post("/operator/requeue/" + "f" * 64, data={"csrf_token": token}).status_code == 404


def test_annotation_and_requeue_need_the_login(tmp_path: Path) -> None:
    deps, _, _ = make_deps(tmp_path)
    deps.analyzer = object()
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    sha = deps.store.recent(1)[0].sha256
    response = client.get(f"/operator/photo/{sha}/annotated.jpg")
    assert response.status_code == 302 and "/operator/login" in response.headers["Location"]
    token = token_of(client.get("/operator/login").get_data(as_text=True))
    response = client.post(f"/operator/requeue/{sha}", data={"csrf_token": token})
    assert response.status_code == 302 and "/operator/login" in response.headers["Location"]


def test_without_an_engine_there_is_no_annotated_picture(console) -> None:
    client, _, deps, _ = console
    sha = deps.store.recent(1)[0].sha256
    assert "annotated.jpg" not in client.get("/operator").get_data(as_text=True)
    assert client.get(f"/operator/photo/{sha}/annotated.jpg").status_code == 404


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_annotated_picture_of_a_committed_photo_is_made_on_demand(console, analyzer, faces_dir, tmp_path) -> None:
    client, _, deps, _ = console
    face = cv2.imread(str(sorted((faces_dir / "a_good_frontal").glob("*.jpg"))[0]))
    assert face is not None
    jpeg = cv2.imencode(".jpg", face)[1].tobytes()
    sha = deps.store.commit_accepted("26031601", "0123456789abcdef", "10403", jpeg, {"verdict": "pass"}).sha256
    deps.analyzer = analyzer
    assert f"/operator/photo/{sha}/annotated.jpg" in client.get("/operator").get_data(as_text=True)
    before = files_under(tmp_path)
    response = client.get(f"/operator/photo/{sha}/annotated.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "no-store"
    picture = cv2.imdecode(np.frombuffer(response.data, np.uint8), cv2.IMREAD_COLOR).astype(int)
    scale = min(1.0, 900 / max(face.shape[:2]))
    assert abs(picture.shape[1] - face.shape[1] * scale) <= 1
    panel = picture.shape[0] - round(face.shape[0] * scale)
    assert panel >= 30  # the verdict panel sits above the photo
    assert abs(np.median(picture[:panel, -20:]) - 32) <= 6  # its dark background
    plain = cv2.resize(face, (picture.shape[1], picture.shape[0] - panel), interpolation=cv2.INTER_AREA)
    assert np.abs(picture[panel:] - plain.astype(int)).max() > 100  # landmarks and guides drawn on it
    assert files_under(tmp_path) == before  # nothing cached or written
    assert client.get("/operator/photo/" + "e" * 64 + "/annotated.jpg").status_code == 404
