"""The subject's screen: live preview, the one guidance message, countdown, review and receipt.

The page draws whatever the session's events say; the only requests it makes are the actions a
subject can take (start, accept, retake, cancel, and the demo's button). It shows the current
subject's own masked details and photo, nobody else's.
"""

from __future__ import annotations

import io
import re

import segno
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, url_for

from appliance.session.machine import WEB_ACTIONS
from appliance.store.errors import StoreError
from appliance.store.records import PhotoRecord
from appliance.web.deps import WebDeps
from appliance.web.live import MJPEG_MIMETYPE
from appliance.web.screen_access import screen_viewer

SHA256 = re.compile(r"^[0-9a-f]{64}$")
BUTTON_ACTIONS = ("press", "long_press")
UPLOAD_STATES = {
    "pending": ("等待上传", "waiting to upload"),
    "uploaded": ("已上传，等待审核", "uploaded, waiting for review"),
    "refused": ("服务器拒收，请联系工作人员", "refused by the server: ask the staff"),
}
REVIEW_STATES = {
    "pending": ("审核中", "in review"),
    "accepted": ("审核通过", "accepted"),
    "rejected": ("审核未通过，请联系工作人员", "rejected: ask the staff"),
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

    @bp.get("/status/<sha>")
    def status(sha: str) -> str:
        record = _record(sha)
        upload = UPLOAD_STATES.get(record.upload_state, (record.upload_state, record.upload_state))
        review = REVIEW_STATES.get(record.review_state, (record.review_state, record.review_state))
        return render_template("status.html", code=record.masked_capture_code, session=record.session_code,
                               upload=upload, review=review if record.upload_state == "uploaded" else None)

    @bp.get("/receipt.svg")
    def receipt_qr() -> Response:
        """The QR code of the receipt on screen, so the events never carry the photo's sha256."""
        sha = deps().hub.last_receipt_sha
        if sha is None:
            abort(404)
        return qr(sha)

    @bp.get("/qr/<sha>.svg")
    def qr(sha: str) -> Response:
        _record(sha)
        url = url_for("subject.status", sha=sha, _external=True)
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="svg", scale=5, border=2)
        return Response(buffer.getvalue(), mimetype="image/svg+xml")

    return bp


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

