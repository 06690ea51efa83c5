"""The web screens' protections: log-in, rate limit, CSRF, headers, traversal, masking, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from appliance.testing.web_fakes import CAPTURE_CODE, ID_NUMBER, PASSWORD, STUDENT_NAME, make_deps
from appliance.web.server import create_app


@pytest.fixture()
def booth(tmp_path: Path):
    deps, machine, applied = make_deps(tmp_path)
    app = create_app(deps, secret_key=b"k" * 32)
    return app, deps, machine, applied


def csrf(client: FlaskClient, path: str = "/operator/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def login(client: FlaskClient, password: str = PASSWORD, token: str | None = None):
    token = csrf(client) if token is None else token
    return client.post("/operator/login", data={"username": "operator", "password": password, "csrf_token": token})


def test_every_response_carries_the_security_headers(booth) -> None:
    app, *_ = booth
    client = app.test_client()
    for path in ("/", "/healthz", "/operator/login", "/operator", "/no/such/page", "/static/booth.css"):
        response = client.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "no-referrer", path


def test_login_needs_the_right_password_and_opens_the_console(booth) -> None:
    app, *_ = booth
    client = app.test_client()
    assert client.get("/operator").status_code == 302
    assert login(client, "wrong password!").status_code == 401
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].rstrip("/").endswith("/operator")
    page = client.get("/operator")
    assert page.status_code == 200
    assert "上传队列" in page.get_data(as_text=True)


def test_console_shows_only_masked_personal_data(booth) -> None:
    app, *_ = booth
    client = app.test_client()
    login(client)
    text = client.get("/operator").get_data(as_text=True)
    text += client.get("/operator/export.csv").get_data(as_text=True)
    assert CAPTURE_CODE not in text
    assert STUDENT_NAME not in text and ID_NUMBER not in text
    assert "c8ba********edca" in text


def test_repeated_failed_logins_are_answered_429(booth) -> None:
    app, deps, *_ = booth
    client = app.test_client()
    token = csrf(client)
    for _ in range(deps.web.login_max_failures):
        assert login(client, "not the password", token).status_code == 401
    blocked = login(client, PASSWORD, token)  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert client.get("/operator").status_code == 302


def test_posts_without_the_csrf_token_are_refused(booth) -> None:
    app, deps, machine, applied = booth
    client = app.test_client()
    no_token = client.post("/operator/login", data={"username": "operator", "password": PASSWORD})
    assert no_token.status_code == 400
    login(client)
    before = deps.console.current.checks.pose.max_yaw_deg
    refused = client.post("/operator/settings", data={"checks.pose.max_yaw_deg": "10"})
    forged = client.post("/operator/settings", data={"checks.pose.max_yaw_deg": "10", "csrf_token": "forged"})
    assert refused.status_code == 400 and forged.status_code == 400
    assert deps.console.current.checks.pose.max_yaw_deg == before and not applied
    assert client.post("/action/start").status_code == 400
    assert machine.actions == []


def test_subject_actions_work_with_the_pages_token(booth) -> None:
    app, _, machine, _ = booth
    client = app.test_client()
    token = csrf(client, "/")
    assert client.post("/action/start", headers={"X-CSRF-Token": token}).status_code == 200
    assert client.post("/action/explode", headers={"X-CSRF-Token": token}).status_code == 404
    assert client.post("/action/press", headers={"X-CSRF-Token": token}).status_code == 404  # no demo button
    assert machine.actions == ["start"]


def test_settings_are_validated_before_they_apply(booth) -> None:
    app, deps, _, applied = booth
    client = app.test_client()
    login(client)
    token = csrf(client, "/operator")
    bad = client.post("/operator/settings", data={"checks.pose.max_yaw_deg": "99", "csrf_token": token})
    assert bad.status_code == 400
    assert "最大左右转头角度 (°) 须在 1 到 30 之间（输入 99.0）" in bad.get_data(as_text=True)
    junk = client.post("/operator/settings", data={"checks.pose.max_yaw_deg": "ten", "csrf_token": token})
    unknown = client.post("/operator/settings", data={"device.device_id": "x", "csrf_token": token})
    assert junk.status_code == 400 and unknown.status_code == 400
    assert deps.console.current.checks.pose.max_yaw_deg == 8.0 and not applied
    good = client.post("/operator/settings", data={"checks.pose.max_yaw_deg": "7", "csrf_token": token})
    assert good.status_code == 303
    assert deps.console.current.checks.pose.max_yaw_deg == 7.0
    assert applied and applied[-1].checks.pose.max_yaw_deg == 7.0
    bad_session = client.post("/operator/session", data={"session_code": "../x", "csrf_token": token})
    assert bad_session.status_code == 400 and deps.run.session_code == "26031601"


def test_paths_cannot_leave_their_folders(booth) -> None:
    app, *_ = booth
    client = app.test_client()
    login(client)
    for path in ("/static/../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
                 "/operator/photo/..%2f..%2fstore.db.jpg", "/status/..%2fstore.db", "/qr/..%2f..%2fx.svg",
                 "/operator/photo/" + "0" * 64 + ".jpg"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"root:" not in response.data and b"SQLite" not in response.data


def test_errors_never_show_a_stack_trace(booth) -> None:
    app, _, machine, _ = booth
    client = app.test_client()
    token = csrf(client, "/")
    machine.fail_with = RuntimeError("secret internal detail")
    response = client.post("/action/start", headers={"X-CSRF-Token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "secret internal detail" not in body
    assert "内部错误" in body


def test_console_stays_locked_without_an_operator_password(tmp_path: Path) -> None:
    deps, *_ = make_deps(tmp_path, password=None)
    client = create_app(deps).test_client()
    response = client.get("/operator/login")
    assert response.status_code == 503
    assert "appliance operator passwd" in response.get_data(as_text=True)


def test_status_page_and_qr_show_the_photo_state_masked(booth) -> None:
    app, deps, *_ = booth
    client = app.test_client()
    sha = deps.store.recent(1)[0].sha256
    token = deps.status_links.token(sha)
    page = client.get(f"/status/{sha}/{token}").get_data(as_text=True)
    assert "c8ba********edca" in page and CAPTURE_CODE not in page and "采集中" in page


def test_logout_revokes_a_cookie_copied_before_it(booth) -> None:
    app, *_ = booth
    client = app.test_client()
    login(client)
    page = client.get("/operator/")
    assert page.status_code == 200
    copied = page.request.headers["Cookie"]  # what someone who saw the request would replay
    token = csrf(client, "/operator")
    assert client.post("/operator/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    for pair in copied.split("; "):
        name, _, value = pair.partition("=")
        thief.set_cookie(name, value)
    for path in ("/operator/", "/operator/export.csv"):
        response = thief.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/operator/login"), path


def test_console_sessions_end_when_idle_and_after_the_absolute_limit() -> None:
    from appliance.web.sessions import SessionStore

    now = [1000.0]
    store = SessionStore(idle_s=60, absolute_s=300, clock=lambda: now[0])
    sid = store.save(None, {"operator": "operator"})
    now[0] += 59
    assert store.load(sid) == {"operator": "operator"}
    now[0] += 61
    assert store.load(sid) is None  # idle for 61 s
    sid = store.save(None, {"operator": "operator"})
    for _ in range(10):  # busy, never idle, but the absolute limit still ends it
        now[0] += 40
        store.load(sid)
    assert store.load(sid) is None


def test_login_limiter_remembers_attempts_across_a_restart(tmp_path: Path) -> None:
    from appliance.web.security import LoginLimiter

    path = tmp_path / "login-attempts.sqlite3"
    limiter = LoginLimiter(5, 300.0, path)
    for _ in range(5):
        assert limiter.reserve("192.168.4.20") == 0.0
    assert limiter.reserve("192.168.4.20") > 0
    limiter.close()  # systemd restarts the booth (after a crash or an out-of-memory kill)
    again = LoginLimiter(5, 300.0, path)
    assert again.blocked_for("192.168.4.20") > 0
    assert again.reserve("192.168.4.21") == 0.0
    again.succeeded("192.168.4.20")
    assert LoginLimiter(5, 300.0, path).blocked_for("192.168.4.20") == 0.0


def test_the_screen_answers_only_the_booths_own_display(booth) -> None:
    app, _, machine, _ = booth
    kiosk = app.test_client()
    token = csrf(kiosk, "/")
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = "192.168.4.20"
    for cookie in ("booth_screen", "booth_console"):
        if kiosk.get_cookie(cookie) is not None:
            phone.set_cookie(cookie, kiosk.get_cookie(cookie).value)
    assert phone.get("/").status_code == 302
    for path in ("/review.jpg", "/preview.mjpg", "/events"):
        assert phone.get(path).status_code == 403, path
    assert phone.post("/action/cancel", headers={"X-CSRF-Token": token}).status_code == 403
    assert machine.actions == []
    assert phone.get("/healthz").status_code == 200


def test_web_settings_refuse_listeners_that_would_collide_or_starve() -> None:
    from pydantic import ValidationError

    from appliance.web.config import WebSettings

    for bad in ({"console_port": 8080}, {"kiosk_addresses": ["localhost"]},
                {"screen_threads": 8, "max_preview_viewers": 4, "max_event_streams": 6}):
        with pytest.raises(ValidationError):
            WebSettings(**bad)
