"""The subject's screen: live preview, the one guidance message, countdown, review and receipt.

The page draws whatever the session's events say; the only requests it makes are the actions a
subject can take (start, accept, retake, cancel, and the demo's button). It shows the current
subject's own masked details and photo, nobody else's.
"""

from __future__ import annotations

import io
import re
from typing import Any

import segno
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for

from appliance.session.machine import WEB_ACTIONS
from appliance.store.errors import StoreError
from appliance.store.records import PhotoRecord
from appliance.web.deps import WebDeps
from appliance.web.live import MJPEG_MIMETYPE
from appliance.web.screen_access import screen_viewer
from appliance.web.security import LoginLimiter
from appliance.web.status_links import public_base

SHA256 = re.compile(r"^[0-9a-f]{64}$")
BUTTON_ACTIONS = ("press", "long_press")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
STUDENT_PHASES = {
    "capturing": {
        "zh": "采集中", "en": "Being collected",
        "detail_zh": "照片已拍好，正在上传到采集单位",
        "detail_en": "Your photo is taken and on its way to the collection unit",
        "todo_zh": "无需操作，稍后再打开本页查看", "todo_en": "Nothing to do: open this page again later",
    },
    "refused": {
        "zh": "采集中", "en": "Being collected",
        "detail_zh": "照片上传遇到问题，需要工作人员处理", "detail_en": "The upload needs the staff's attention",
        "todo_zh": "请联系采集点工作人员", "todo_en": "Ask the staff at the booth",
    },
    "review": {
        "zh": "待审核", "en": "Awaiting review",
        "detail_zh": "采集单位已收到照片，正在审核",
        "detail_en": "The collection unit has your photo and is reviewing it",
        "todo_zh": "无需操作，审核后本页会更新", "todo_en": "Nothing to do: this page updates after the review",
    },
    "accepted": {
        "zh": "通过", "en": "Accepted",
        "detail_zh": "照片已通过审核", "detail_en": "Your photo passed the review",
        "todo_zh": "无需再拍照", "todo_en": "Nothing more to do",
    },
    "rejected": {
        "zh": "未通过", "en": "Not accepted",
        "detail_zh": "照片未通过审核", "detail_en": "Your photo did not pass the review",
        "todo_zh": "请带上图像采集码回到采集点重新拍摄，或联系工作人员",
        "todo_en": "Come back to the booth with your capture code to retake it, or ask the staff",
    },
}


def deps() -> WebDeps:
    return current_app.extensions["booth"]


def subject_blueprint() -> Blueprint:
    bp = Blueprint("subject", __name__)

    @bp.get("/")
    def screen() -> str:
        d = deps()
        # The booth's own display shows where the console is and its certificate's fingerprint.
        kiosk = screen_viewer(current_app) == "kiosk"
        return render_template("subject.html", demo=d.demo, has_ring=d.ring is not None,
                               has_button=d.button is not None,
                               console_url=d.console_url if kiosk else "",
                               console_fingerprint=d.console_fingerprint if kiosk else "")

    @bp.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @bp.get("/events")
    def events() -> Response:
        d = deps()
        first = {"kind": "snapshot", **d.machine.snapshot(), "demo": d.demo, "advisory": list(d.advisory)}
        if d.ring is not None:
            first["ring"] = d.ring.snapshot()
        stream = d.hub.stream(first, d.web.stream_max_s)
        return Response(stream, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @bp.get("/preview.mjpg")
    def preview() -> Response:
        d = deps()
        if d.preview is None:  # create_app makes one when none is handed in
            abort(404)
        stream = d.preview.stream(d.web.preview_fps, d.web.stream_max_s)
        return Response(stream, mimetype=MJPEG_MIMETYPE, headers={"Cache-Control": "no-store"})

    @bp.get("/review.jpg")
    def review() -> Response:
        data = deps().machine.preview()
        if data is None:
            abort(404)
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @bp.post("/action/<name>")
    def action(name: str) -> Response:
        d = deps()
        if name in BUTTON_ACTIONS:
            if d.button is None:
                abort(404)
            getattr(d.button, name)()
        elif name in WEB_ACTIONS:
            d.machine.web_action(name)
        else:
            abort(404)
        return jsonify({"state": d.machine.state})

    @bp.get("/login-student")
    def login_offered() -> Response:
        d = deps()
        return jsonify({"allowed": bool(d.login_allowed is not None and d.login_allowed())})

    @bp.post("/login-student")
    def login_student() -> Any:
        d = deps()
        if d.login_allowed is None or not d.login_allowed():
            return _login_refused(403, "本场次不支持学号登录，请使用图像采集码",
                                  "Login by student number is not offered here: use your capture code")
        client = request.remote_addr or "unknown"
        limiter = current_app.extensions.setdefault(
            "student_login_limiter", LoginLimiter(d.web.login_max_failures, d.web.login_window_s))
        wait = limiter.blocked_for(client)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            response = _login_refused(429, f"尝试次数过多，请约 {minutes} 分钟后再试或联系工作人员",
                                      f"Too many tries: wait about {minutes} min or ask the staff")
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        body = request.get_json(silent=True) or request.form
        number = str(body.get("student_number", ""))[:32]
        id_number = str(body.get("id_number", ""))[:32]
        refused = d.machine.student_login(number, id_number)
        if refused is not None:
            limiter.failed(client)
            return _login_refused(400, refused.reason_zh, refused.reason_en)
        limiter.succeeded(client)
        return jsonify({"ok": True, "state": d.machine.state})

    @bp.get("/status/<sha>/<token>")
    def status(sha: str, token: str) -> str:
        record = _record_for(sha, token)
        phase = student_phase(record)
        return render_template("status.html", code=record.masked_capture_code, session=record.session_code,
                               phase=phase, reason=record.review_reason if record.review_state == "rejected" else "",
                               photo_url=None if record.file_purged else url_for(
                                   "subject.own_photo", sha=sha, token=token))

    @bp.get("/status/<sha>/<token>/photo.jpg")
    def own_photo(sha: str, token: str) -> Response:
        record = _record_for(sha, token)
        if record.file_purged:
            abort(404)
        try:
            data = deps().store.read_photo(sha)
        except StoreError:
            abort(404)
        name = f"photo-{record.session_code}-{sha[:8]}.jpg"
        return Response(data, mimetype="image/jpeg", headers={
            "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})

    @bp.get("/receipt.svg")
    def receipt_qr() -> Response:
        """The QR code of the receipt on screen, so the events never carry the photo's sha256."""
        sha = deps().hub.last_receipt_sha
        if sha is None:
            abort(404)
        return qr(sha)

    @bp.get("/qr/<sha>.svg")
    def qr(sha: str) -> Response:
        d = deps()
        receipt = d.machine.snapshot().get("receipt")
        # Only the receipt on screen has a QR: its token must not be handed to anyone with a sha256.
        if not SHA256.match(sha) or receipt is None or receipt.get("sha256") != sha or d.status_links is None:
            abort(404)
        url = status_url(sha)
        if url is None:
            abort(404)
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="svg", scale=5, border=2)
        return Response(buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})

    return bp


def _login_refused(status: int, zh: str, en: str) -> Response:
    response = jsonify({"ok": False, "message_zh": zh, "message_en": en})
    response.status_code = status
    return response


def status_url(sha: str) -> str | None:
    """The status page's address for a phone on the booth's network, or None if there is none."""
    d = deps()
    port = int(request.environ.get("SERVER_PORT") or d.web.port)
    base = public_base(d.web.public_url, d.web.host, port)
    if base is None or d.status_links is None:
        return None
    return f"{base}/status/{sha}/{d.status_links.token(sha)}"


def student_phase(record: PhotoRecord) -> dict[str, str]:
    """采集中 / 待审核 / 通过 / 未通过, with what it means and what the student can do."""
    if record.upload_state != "uploaded":
        key = "refused" if record.upload_state == "refused" else "capturing"
    else:
        key = {"accepted": "accepted", "rejected": "rejected"}.get(record.review_state, "review")
    return {"key": key, **STUDENT_PHASES[key]}


def _record_for(sha: str, token: str) -> PhotoRecord:
    """The photo a status link names, only with its token; one 404 for every wrong link."""
    links = deps().status_links
    if links is None or not SHA256.match(sha) or not TOKEN.match(token) or not links.valid(sha, token):
        abort(404)
    return _record(sha)


def _record(sha: str) -> PhotoRecord:
    if not SHA256.match(sha):
        abort(404)
    try:
        record = deps().store.get(sha)
    except StoreError:
        abort(404)
    if record is None:
        abort(404)
    return record

