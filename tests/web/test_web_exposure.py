"""The booth's web server probed over real sockets on loopback, as a device on the shared Wi-Fi.

The booth's own display (the kiosk) connects from 127.0.0.1; a phone on the Wi-Fi is played by a
client whose source address is 127.0.0.2 (still loopback, but not one of the kiosk addresses).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from appliance.capture.camera.base import Frame
from appliance.session.events import SessionEvent
from appliance.testing.web_fakes import PASSWORD, make_deps
from appliance.web import passwords
from appliance.web.listeners import Listener, ListenerLimits
from appliance.web.live import PreviewEncoder, browser_view
from appliance.web.screen_access import DEVICE_COOKIE, ScreenPairing
from appliance.web.server import create_app
from appliance.web.tls import ensure_certificate

KIOSK = "127.0.0.1"
PHONE = "127.0.0.2"
LIMITS = ListenerLimits(threads=8, timeout_s=2.0, queue=16)


def request(port: int, method: str, path: str, *, source: str = PHONE, headers: dict[str, str] | None = None,
            body: str | None = None, tls: bool = False, read: int | None = None) -> tuple[int, dict[str, str], bytes]:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=10, source_address=(source, 0), context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        all_headers = dict(headers or {})
        if body is not None:
            all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read(read) if read is not None else response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def cookie_of(headers: dict[str, str], name: str) -> str | None:
    match = re.search(rf"{re.escape(name)}=([^;]+)", headers.get("set-cookie", ""))
    return match.group(1) if match else None


@pytest.fixture()
def screen(tmp_path: Path):
    deps, machine, _ = make_deps(tmp_path)
    frame = Frame(np.full((240, 180, 3), 128, np.uint8))
    deps.latest_frame = lambda: frame
    deps.machine.preview = lambda: b"\xff\xd8 the current student's photo \xff\xd9"
    deps.pairing = ScreenPairing(tmp_path / "paired.json", 300.0)
    app = create_app(deps, console=False)
    listener = Listener("screen", app, "127.0.0.1", 0, LIMITS)
    listener.start()
    try:
        yield listener.port, deps, machine
    finally:
        deps.hub.close()
        deps.preview.close()
        listener.stop()


def test_a_phone_on_the_wifi_gets_nothing_of_the_current_student(screen) -> None:
    port, deps, machine = screen
    status, headers, _ = request(port, "GET", "/")
    assert status == 302 and headers["location"].endswith("/pair")
    for path in ("/review.jpg", "/preview.mjpg", "/events"):
        status, _, body = request(port, "GET", path, read=200)
        assert status == 403, path
        assert b"the current student's photo" not in body
    # The kiosk's page carries a CSRF token; even with it a phone cannot act on the session.
    status, headers, page = request(port, "GET", "/", source=KIOSK)
    assert status == 200
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    cookie = headers["set-cookie"].split(";")[0]
    status, _, _ = request(port, "POST", "/action/cancel", headers={"X-CSRF-Token": token, "Cookie": cookie})
    assert status == 403 and machine.actions == []
    status, _, _ = request(port, "POST", "/action/cancel", source=KIOSK,
                           headers={"X-CSRF-Token": token, "Cookie": cookie})
    assert status == 200 and machine.actions == ["cancel"]
    status, _, body = request(port, "GET", "/review.jpg", source=KIOSK)
    assert status == 200 and b"the current student's photo" in body
    # The console is not on the screen's port at all: at most a pointer to its own listener.
    deps.console_url = "https://192.168.4.1:8443/operator/"
    status, headers, body = request(port, "GET", "/operator/login", source=KIOSK)
    assert status == 302 and headers["location"] == deps.console_url and b"csrf" not in body
    deps.console_url = ""
    assert request(port, "GET", "/operator/export.csv")[0] == 404


def test_one_tablet_pairs_with_the_code_on_the_booths_display(screen) -> None:
    port, deps, _ = screen
    shown: list[dict[str, Any]] = []
    deps.pairing.listeners.append(shown.append)
    status, headers, page = request(port, "GET", "/pair")
    assert status == 200
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form_cookie = headers["set-cookie"].split(";")[0]

    def pair(code: str) -> tuple[int, dict[str, str]]:
        status, headers, _ = request(port, "POST", "/pair", headers={"Cookie": form_cookie},
                                     body=f"csrf_token={token}&code={code}")
        return status, headers

    assert pair("123456")[0] == 401  # no code offered yet
    code, _ = deps.pairing.offer_code()
    assert shown[-1] == {"kind": "pairing", "code": code, "expires_in_s": 300}
    status, headers = pair(code)
    assert status == 303
    device = cookie_of(headers, DEVICE_COOKIE)
    assert device and "httponly" in headers["set-cookie"].lower()
    assert pair(code)[0] == 401  # used once
    tablet = {"Cookie": f"{DEVICE_COOKIE}={device}"}
    assert request(port, "GET", "/review.jpg", headers=tablet)[0] == 200
    assert request(port, "GET", "/events", headers=tablet, read=50)[0] == 200
    # The pairing is on disk: a restarted booth still knows the tablet; a second tablet replaces it.
    assert ScreenPairing(deps.pairing._path).is_paired_device(device)
    code, _ = deps.pairing.offer_code()
    second = cookie_of(pair(code)[1], DEVICE_COOKIE)
    assert second and second != device
    assert request(port, "GET", "/review.jpg", headers=tablet)[0] == 403
    assert request(port, "GET", "/review.jpg", headers={"Cookie": f"{DEVICE_COOKIE}={second}"})[0] == 200


def test_pairing_codes_cannot_be_guessed(screen) -> None:
    port, deps, _ = screen
    code, _ = deps.pairing.offer_code()
    _, headers, page = request(port, "GET", "/pair")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    cookie = headers["set-cookie"].split(";")[0]
    statuses = []
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(deps.web.login_max_failures + 2):
        statuses.append(request(port, "POST", "/pair", headers={"Cookie": cookie},
                                body=f"csrf_token={token}&code={wrong}")[0])
    assert statuses[:deps.web.login_max_failures] == [401] * deps.web.login_max_failures
    assert set(statuses[deps.web.login_max_failures:]) == {429}
    # Even the right code now waits: the guesser's address is locked out for the window.
    assert request(port, "POST", "/pair", headers={"Cookie": cookie},
                   body=f"csrf_token={token}&code={code}")[0] == 429


def test_events_carry_no_sha256_and_no_file_path(screen, tmp_path: Path) -> None:
    port, deps, _ = screen
    sha = deps.store.recent(1)[0].sha256
    photo = str(deps.store.photo_path(sha))
    received: list[bytes] = []

    def listen() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(KIOSK, 0))
        conn.request("GET", "/events")
        response = conn.getresponse()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = response.fp.readline()
            received.append(line)
            if b"committed" in line or not line:
                break
        conn.close()

    listener = threading.Thread(target=listen)
    listener.start()
    deadline = time.monotonic() + 5
    while deps.hub.client_count == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    receipt = {"session": "26031601", "capture_code": "c8ba********edca", "photo": photo, "sha256": sha,
               "verdict": "pass", "bytes": 1234}
    deps.hub.publish(SessionEvent("transition", "committed", "committing", "done", "run-1", 1, 0.0,
                                  {"receipt": receipt}))
    deps.hub.publish(SessionEvent("notice", "store_failed", "done", "done", "run-1", 2, 0.0,
                                  {"message_en": f"cannot write {photo}"}))
    listener.join(timeout=15)
    text = b"".join(received).decode()
    assert "committed" in text
    assert sha not in text and photo not in text and str(tmp_path) not in text and "store/" not in text
    assert sha[:12] in text and "/receipt.svg" in text
    # A QR only for the receipt on screen, and only where a phone can reach the status page (issue J).
    assert request(port, "GET", "/receipt.svg", source=KIOSK)[0] == 404
    deps.machine.receipt = receipt
    deps.web = deps.web.model_copy(update={"public_url": "http://192.0.2.10:8080"})
    status, _, svg = request(port, "GET", "/receipt.svg", source=KIOSK)
    assert status == 200 and b"<svg" in svg
    assert request(port, "GET", "/receipt.svg")[0] == 403


def test_preview_is_encoded_once_for_every_viewer_and_viewers_are_capped(screen) -> None:
    port, deps, _ = screen
    encoder: PreviewEncoder = deps.preview
    limit = deps.web.max_preview_viewers
    streams = [encoder.stream(fps=30, max_s=0.5) for _ in range(limit)]
    for stream in streams:
        assert next(stream).startswith(b"--frame")
    assert encoder.encoded == 1  # one frame, one encode, `limit` viewers
    status, headers, _ = request(port, "GET", "/preview.mjpg", source=KIOSK)
    assert status == 503 and int(headers["retry-after"]) > 0
    for stream in streams:
        stream.close()
    assert encoder.slots.open == 0
    status, _, body = request(port, "GET", "/preview.mjpg", source=KIOSK, read=64)
    assert status == 200 and body.startswith(b"--frame")


def test_slow_header_sockets_do_not_make_a_thread_each(screen) -> None:
    port, *_ = screen
    before = threading.active_count()
    sockets = []
    try:
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: booth\r\n")  # the header never ends
            sockets.append(sock)
        time.sleep(0.5)
        grown = threading.active_count() - before
        assert grown <= 4, f"{grown} new threads for {len(sockets)} half-open sockets"
    finally:
        for sock in sockets:
            sock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz", source=KIOSK)[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail("the screen did not answer again after the half-open sockets closed")


@pytest.fixture()
def console(tmp_path: Path):
    deps, _, _ = make_deps(tmp_path)
    cert = ensure_certificate(tmp_path / "data")
    app = create_app(deps, screen=False, secure_cookies=True)
    listener = Listener("console", app, "127.0.0.1", 0, LIMITS, tls=(cert.cert_path, cert.key_path))
    listener.start()
    try:
        yield listener.port, deps, cert, tmp_path
    finally:
        listener.stop()


def console_login_form(port: int) -> tuple[str, str]:
    status, headers, page = request(port, "GET", "/operator/login", tls=True)
    assert status == 200
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    return token, headers["set-cookie"].split(";")[0]


def test_console_speaks_tls_with_the_fingerprint_on_the_booths_display(console) -> None:
    port, _, cert, tmp_path = console
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    served = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    assert served == cert.fingerprint.replace(":", "")
    assert ensure_certificate(tmp_path / "data").fingerprint == cert.fingerprint  # made once, kept
    assert (cert.key_path.stat().st_mode & 0o077) == 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as plain:
        plain.sendall(b"GET /operator/login HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = plain.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert b"csrf_token" not in answer  # no console in clear text
    _, headers, _ = request(port, "GET", "/operator/login", tls=True)
    set_cookie = headers["set-cookie"]
    assert set_cookie.startswith("__Host-booth_console=")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert request(port, "GET", "/review.jpg", tls=True, source=KIOSK)[0] == 404  # no screen here
    assert request(port, "GET", "/events", tls=True, source=KIOSK)[0] == 404


def test_forty_wrong_passwords_at_once_get_five_checks(console, monkeypatch) -> None:
    port, deps, *_ = console
    running = 0
    most = 0
    checked = 0
    lock = threading.Lock()
    real_check = passwords.check_password_hash

    def counting_check(stored: str, password: str) -> bool:
        nonlocal running, most, checked
        with lock:
            running += 1
            checked += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # long enough for the burst to overlap
            return real_check(stored, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(passwords, "check_password_hash", counting_check)
    token, cookie = console_login_form(port)

    def attempt(i: int) -> int:
        body = f"csrf_token={token}&username=operator&password=wrong+guess+{i}"
        return request(port, "POST", "/operator/login", tls=True, headers={"Cookie": cookie}, body=body)[0]

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    limit = deps.web.login_max_failures
    # The limit's worth of attempts are reserved; on a loaded machine one of them may find both check
    # slots taken for longer than the wait and be told to come back (429) instead of queueing.
    assert 1 <= checked <= limit
    assert statuses.count(401) == checked and statuses.count(429) == 40 - checked, statuses
    assert most <= passwords.MAX_CONCURRENT_CHECKS


def test_logout_ends_the_session_for_every_copy_of_the_cookie(console) -> None:
    port, *_ = console
    token, cookie = console_login_form(port)
    status, headers, _ = request(port, "POST", "/operator/login", tls=True, headers={"Cookie": cookie},
                                 body=f"csrf_token={token}&username=operator&password={PASSWORD.replace(' ', '+')}")
    assert status == 302
    logged_in = headers["set-cookie"].split(";")[0]
    assert logged_in != cookie  # a new id at log-in: the pre-login cookie opens nothing
    assert request(port, "GET", "/operator/", tls=True, headers={"Cookie": cookie})[0] == 302
    copied = {"Cookie": logged_in}
    status, _, page = request(port, "GET", "/operator/", tls=True, headers=copied)
    assert status == 200
    assert request(port, "GET", "/operator/export.csv", tls=True, headers=copied)[0] == 200
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    assert request(port, "POST", "/operator/logout", tls=True, headers=copied, body=f"csrf_token={token}")[0] == 302
    for path in ("/operator/", "/operator/export.csv"):
        status, headers, body = request(port, "GET", path, tls=True, headers=copied)
        assert status == 302 and headers["location"].endswith("/operator/login"), path
        assert b"session" not in body


def test_no_event_sent_to_a_browser_names_an_absolute_path(tmp_path: Path) -> None:
    event = SessionEvent("notice", "camera_lost", "guiding", "guiding", "run-1", 3, 0.0,
                         {"message_en": f"cannot open {tmp_path}/dev/video0", "detail": json.dumps({"x": 1})})
    text = json.dumps(browser_view(event.to_dict()))
    assert str(tmp_path) not in text and "video0" in text
