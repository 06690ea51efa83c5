"""The student's own status page: opened only with the receipt's token, worded by phase, updated
after the review, with the student's photo to download while the booth keeps it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno

from appliance.testing.web_fakes import CAPTURE_CODE, make_deps
from appliance.web.server import create_app
from appliance.web.status_links import StatusLinks, public_base


@pytest.fixture()
def booth(tmp_path: Path):
    deps, machine, _ = make_deps(tmp_path)
    app = create_app(deps, secret_key=b"k" * 32)
    sha = deps.store.recent(1)[0].sha256
    return app.test_client(), deps, machine, sha


def test_sha256_alone_or_a_wrong_token_opens_nothing(booth) -> None:
    client, _deps, _, sha = booth
    assert client.get(f"/status/{sha}").status_code == 404
    assert client.get(f"/status/{sha}/{'0' * 32}").status_code == 404
    other = StatusLinks(b"another booth's secret").token(sha)
    assert client.get(f"/status/{sha}/{other}").status_code == 404
    assert client.get(f"/status/{sha}/{other}/photo.jpg").status_code == 404


def test_status_follows_upload_and_review_and_offers_the_photo(booth) -> None:
    client, deps, _, sha = booth
    url = f"/status/{sha}/{deps.status_links.token(sha)}"
    page = client.get(url).get_data(as_text=True)
    assert "采集中" in page and CAPTURE_CODE not in page
    deps.store.mark_uploaded(sha, 1.0)
    assert "待审核" in client.get(url).get_data(as_text=True)
    deps.store.record_review(sha, "rejected", "背景不均匀 / uneven background", 2.0)
    page = client.get(url).get_data(as_text=True)
    assert "未通过" in page and "背景不均匀" in page and "重新拍摄" in page
    deps.store.record_review(sha, "accepted", None, 3.0)
    page = client.get(url).get_data(as_text=True)
    assert "通过" in page and "未通过" not in page
    photo = client.get(re.search(r'id="download" href="([^"]+)"', page).group(1))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (640, 480)
    assert photo.headers["Cache-Control"] == "no-store"


def test_qr_only_for_the_receipt_on_screen_and_never_loopback(booth) -> None:
    client, deps, machine, sha = booth
    assert client.get(f"/qr/{sha}.svg").status_code == 404  # not on screen: no token handed out
    machine.receipt = {"sha256": sha}
    machine.state = "done"
    # Default host 127.0.0.1: a phone could not open it, so there is no QR (the screen says so).
    assert client.get(f"/qr/{sha}.svg").status_code == 404
    deps.web = deps.web.model_copy(update={"public_url": "http://192.168.4.1:8080/"})
    qr = client.get(f"/qr/{sha}.svg")
    assert qr.status_code == 200 and b"<svg" in qr.data
    expected = f"http://192.168.4.1:8080/status/{sha}/{deps.status_links.token(sha)}"
    buffer = io.BytesIO()
    segno.make(expected, error="m").save(buffer, kind="svg", scale=5, border=2)
    assert qr.data == buffer.getvalue(), "the QR encodes the LAN status URL with the token"


def test_public_base_never_answers_loopback() -> None:
    assert public_base("", "127.0.0.1", 8080) is None
    assert public_base("", "localhost", 8080) is None
    assert public_base("", "192.168.4.1", 8080) == "http://192.168.4.1:8080"
    assert public_base("https://booth-7.example.edu/", "127.0.0.1", 8080) == "https://booth-7.example.edu"
    lan = public_base("", "0.0.0.0", 8080)
    assert lan is None or not lan.startswith("http://127.")


def test_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    first = StatusLinks.in_data_dir(tmp_path).token("a" * 64)
    assert StatusLinks.in_data_dir(tmp_path).token("a" * 64) == first
    assert (tmp_path / "status-link.key").stat().st_mode & 0o077 == 0
