"""The whole delivery, as a booth and a collection server live it: the real `appliance run --demo`
process and the real `appliance serve-ingest` process, for a plain and a reference code. The
committed photo must arrive byte for byte with its binding, and the review decision must come
back to the booth's queue and to the student's status page."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from appliance.uplink.client import CollectionClient
from appliance.web.status_links import StatusLinks

REPO = Path(__file__).resolve().parents[2]
BOOTH_ID, REVIEWER_ID = "booth-e2e", "review-desk-1"


pytestmark = [pytest.mark.subprocess]


def _start(args: list[str], ready: str, log: Path) -> tuple[subprocess.Popen, str]:
    """Start a process and wait for its stdout line matching `ready`; the rest goes to `log`."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "appliance", *args], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=log.open("wb"), text=True)
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.search(ready, line)
        if found:
            return process, found.group(1)
    process.kill()
    raise AssertionError(f"{args[0]} did not start: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class Screen:
    """The subject's screen as a browser sees it: cookie, CSRF token, actions, the state stream."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.get("/").decode()
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=30) as answer:
            return answer.read()

    def act(self, name: str) -> None:
        request = urllib.request.Request(self.base + "/action/" + name, data=b"", method="POST",
                                         headers={"X-CSRF-Token": self.token})
        with self.opener.open(request, timeout=30) as answer:
            assert answer.status == 200

    def snapshot(self) -> dict:
        with self.opener.open(self.base + "/events", timeout=30) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    return json.loads(line[5:])
        raise AssertionError("no snapshot on /events")


def _walk_session(screen: Screen, timeout_s: float = 180.0) -> dict:
    """Start, confirm the identity, accept the photo; the receipt of the committed photo."""
    screen.act("start")
    deadline = time.monotonic() + timeout_s
    identity_seen = None
    while time.monotonic() < deadline:
        snap = screen.snapshot()
        state = snap["state"]
        if state == "confirming":
            identity_seen = snap.get("identity")
            screen.act("accept")
        elif state == "reviewing":
            screen.act("accept")
        elif state == "done":
            return {**snap["receipt"], "identity": identity_seen}
        elif state in ("idle", "failsafe"):
            raise AssertionError(f"session ended in {state}")
        time.sleep(0.2)
    raise AssertionError(f"no receipt within {timeout_s} s (state {state})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, timeout_s: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture()
def server(tmp_path: Path):
    booth_key, reviewer_key = secrets.token_hex(32), secrets.token_hex(32)
    (tmp_path / "keys.toml").write_text(f'"{BOOTH_ID}" = "{booth_key}"\n"{REVIEWER_ID}" = "{reviewer_key}"\n')
    (tmp_path / "ingest.toml").write_text(
        f'data_dir = "{tmp_path / "srv"}"\nkeys_file = "{tmp_path / "keys.toml"}"\n'
        f'reviewer_ids = ["{REVIEWER_ID}"]\nhost = "127.0.0.1"\nport = 0\n'
    )
    process, url = _start(["serve-ingest", "--config", str(tmp_path / "ingest.toml")],
                          r"listening on (http://127\.0\.0\.1:\d+)", tmp_path / "ingest.log")
    try:
        yield url, booth_key, bytes.fromhex(reviewer_key)
    finally:
        _stop(process)


@pytest.mark.parametrize(("code_format", "decision"), [("plain", "rejected"), ("reference", "accepted")])
def test_booth_delivers_to_serve_ingest_and_the_review_comes_back(server, tmp_path: Path, code_format: str,
                                                                  decision: str) -> None:
    url, booth_key, reviewer_key = server
    (tmp_path / "device.key").write_text(booth_key)
    data = tmp_path / "booth"
    (tmp_path / "booth.toml").write_text(
        f'[device]\ndevice_id = "{BOOTH_ID}"\n'
        f'[uplink]\nserver_url = "{url}"\ndevice_key_file = "{tmp_path / "device.key"}"\n'
        'review_poll_s = 0.5\nbackoff_base_s = 0.2\nbackoff_max_s = 2.0\n'
    )
    booth, screen_url = _start(
        ["--settings", str(tmp_path / "booth.toml"), "run", "--demo", "--demo-code", code_format,
         "--data", str(data), "--port", str(_free_port()), "--console-port", str(_free_port())],
        r"booth screen: (http://127\.0\.0\.1:\d+)/", tmp_path / "booth.log")
    try:
        screen = Screen(screen_url)
        receipt = _walk_session(screen)
        # The screen's receipt names the photo by a short id only (no sha256, no file path reach a
        # browser); the committed file in the booth's store is the one that id starts.
        assert "sha256" not in receipt and "photo" not in receipt, receipt
        stored = sorted((data / "store" / "photos").glob(f"{receipt['photo_id']}*.jpg"))
        assert len(stored) == 1, stored
        sha = stored[0].stem
        committed = stored[0].read_bytes()

        # The photo arrives on the server byte for byte, with its binding.
        server_copy = tmp_path / "srv" / "photos" / sha[:2] / f"{sha}.jpg"
        # The server writes the file before it commits the row, so the row is what is waited for.
        def committed_row():
            with sqlite3.connect(tmp_path / "srv" / "ingest.db") as db:
                return db.execute("SELECT device_id, session_code, school_code, capture_code, personal_json"
                                  " FROM photos WHERE sha256 = ?", (sha,)).fetchone()

        row = _wait(lambda: server_copy.exists() and committed_row(), what="the photo and its row on the server")
        assert server_copy.read_bytes() == committed
        device_id, session_code, school_code, capture_code, personal = row
        assert (device_id, session_code, school_code) == (BOOTH_ID, "26031601", "10403")
        assert re.fullmatch(r"[0-9a-f]{16}", capture_code)
        assert receipt["capture_code"] == capture_code[:4] + "*" * 8 + capture_code[-4:]
        if code_format == "plain":
            assert personal is None, "a plain code carries no personal fields"
        else:
            fields = json.loads(personal)
            assert set(fields) == {"name", "student_number", "id_number"} and all(fields.values())
            masked = receipt["identity"]["name"]
            assert masked[0] == fields["name"][0] and "*" in masked, "identity confirmed masked"

        # The student's page, opened with the receipt's token: 待审核 once on the server.
        status = f"/status/{sha}/{StatusLinks.in_data_dir(data).token(sha)}"
        _wait(lambda: "待审核" in screen.get(status).decode(), what="待审核")

        # The reviewer decides on the server; the booth pulls it and the student sees it.
        reason = "背景有阴影，请重拍 / shadow on the background: retake" if decision == "rejected" else None
        reviewer = CollectionClient(url, REVIEWER_ID, reviewer_key)
        answer = reviewer.post_json("/v1/reviews/decide", {"sha256": sha, "state": decision, "reason": reason})
        assert answer.status == 200, answer.body
        word = "未通过" if decision == "rejected" else "通过"

        def decided() -> str | None:
            page = screen.get(status).decode()
            return page if word in page and "待审核" not in page else None

        page = _wait(decided, what=f"{word} on the status page")
        if decision == "rejected":
            assert "背景有阴影" in page and "重新拍摄" in page
        else:
            assert "未通过" not in page
            assert screen.get(re.search(r'id="download" href="([^"]+)"', page).group(1)) == committed
    finally:
        _stop(booth)
