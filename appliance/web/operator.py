"""The operator console: log-in, collection set-up, roster, queue, photo reports, health and settings.

Everything here is behind the log-in; personal data appears only masked (appliance/privacy.py),
and every change goes through validation before it reaches the running booth.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import time
from collections.abc import Mapping
from functools import wraps
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from appliance.binding.model import SESSION_CODE
from appliance.errors import ApplianceError
from appliance.session.chart import SessionState
from appliance.store.errors import StoreError
from appliance.store.records import PhotoRecord
from appliance.uplink.status_text import describe_uplink, explain_error, state_words
from appliance.web.console_settings import EDITABLE_FIELDS, current_value, parse_form
from appliance.web.deps import WebDeps
from appliance.web.health_text import health_rows
from appliance.web.passwords import PasswordCheckBusy
from appliance.web.photo_review import PhotoNotReadable, annotated_jpeg, failed_checks
from appliance.web.sessions import end_session, renew_session
from appliance.web.subject import SHA256

log = logging.getLogger(__name__)
_ROSTER_SUFFIXES = (".csv", ".xlsx", ".xls", ".ods")
_MAX_ROSTER_BYTES = 20_000_000
# What each override does, as the console confirms it.
OVERRIDE_ACTIONS = {
    "retry": ("已允许受检者再试一次活体检测", "The subject may try the live-person check once more"),
    "accept": ("已由操作员确认为本人现场拍摄，流程继续", "Accepted as live by the operator; the session continues"),
}
CSV_HEADERS = ["场次 session", "采集码 capture_code", "照片 sha256", "字节 bytes", "接收时间 accepted_at",
               "上传 upload", "审核 review", "原因 reason"]


def deps() -> WebDeps:
    return current_app.extensions["booth"]


def limiter() -> Any:
    return current_app.extensions["login_limiter"]


def login_required(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = session.get("operator")
        seen = float(session.get("seen", 0))
        if not user or time.time() - seen > deps().web.operator_idle_s:
            session.pop("operator", None)
            return redirect(url_for("operator.login"))
        session["seen"] = time.time()
        return view(*args, **kwargs)

    return wrapper


def operator_blueprint() -> Blueprint:
    bp = Blueprint("operator", __name__, url_prefix="/operator")

    @bp.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        d = deps()
        if not d.accounts.configured:
            return render_template("login.html", locked=True), 503
        if request.method == "GET":
            return render_template("login.html", locked=False)
        client = request.remote_addr or "unknown"
        # The attempt is counted (durably) before the password is checked: a burst sent at once
        # gets the limit's worth of checks, and the rest 429 without costing any memory.
        wait = limiter().reserve(client)
        if wait > 0:
            response = Response(render_template("login.html", locked=False, too_many=True,
                                                wait_minutes=max(1, -(-int(wait) // 60))), status=429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        username = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:256]
        try:
            ok = d.accounts.verify(username, password)
        except PasswordCheckBusy:
            limiter().release(client)  # never checked: it does not count against the client
            raise
        if not ok:
            log.warning("operator login failed from %s", client)
            return render_template("login.html", locked=False, failed=True), 401
        limiter().succeeded(client)
        session.clear()  # a fresh session (and CSRF token) after log-in: no fixation
        renew_session(session)
        session["operator"] = username
        session["seen"] = time.time()
        log.info("operator %s logged in", username)
        return redirect(url_for("operator.dashboard"))

    @bp.post("/logout")
    def logout() -> Any:
        end_session(session)  # server-side: every copy of the cookie stops working now
        return redirect(url_for("operator.login"))

    @bp.get("/", strict_slashes=False)
    @login_required
    def dashboard() -> str:
        d = deps()
        settings = d.console.current
        fields = [(f, current_value(settings, f.key)) for f in EDITABLE_FIELDS]
        recent = d.store.recent(30)
        shas = [r.sha256 for r in recent]
        reports = d.store.reports(shas)
        checks = {sha: failed_checks(reports.get(sha)) for sha in shas}
        snapshot = d.machine.snapshot()
        identity: Mapping[str, object] = snapshot.get("identity") or {}
        sessions: dict[str, int] = {}
        for record in recent:
            sessions[record.session_code] = sessions.get(record.session_code, 0) + 1
        uplink = describe_uplink(d.uplink.status() if d.uplink is not None else None)
        return render_template(
            "operator.html", run=d.run, fields=fields, summary=d.store.queue_summary(), recent=recent,
            sessions=sessions, feature_codes=" ".join(settings.codes.school_feature_codes),
            uplink=uplink, demo=d.demo, state=d.machine.state, states=SessionState, user=session.get("operator"),
            links=d.store.capture_links(shas), checks=checks, identity=identity,
            can_annotate=d.analyzer is not None, storage_problem=d.store.capture_problem(),
            explain_error=explain_error, state_words=state_words, liveness=snapshot.get("light_challenge"),
            overrides=d.audit.recent(5) if d.audit is not None else [],
        )

    @bp.post("/liveness/override")
    @login_required
    def liveness_override() -> Any:
        """The operator's decision on a subject the light challenge refused: one more try, or
        accepted as live. Audited (who, when, why, the cues) before it takes effect."""
        d = deps()
        action = request.form.get("action", "")
        reason = " ".join(request.form.get("reason", "").split())[:300]
        if action not in OVERRIDE_ACTIONS:
            flash("未知的操作 / Unknown action", "error")
            return render_dashboard_error()
        if not reason:
            flash("请写明原因（将记入审计记录） / Give a reason: it goes into the audit log", "error")
            return render_dashboard_error()
        operator = str(session.get("operator"))
        audit = d.audit
        if audit is None:  # create_app always makes one; an override is never taken unaudited
            flash("审计记录不可用，未执行 / The audit log is unavailable: nothing was changed", "error")
            return render_dashboard_error()

        def audited(entry: dict[str, Any]) -> None:
            audit.record(operator, action, str(entry.get("session", "")), reason, entry)

        refusal = d.machine.operator_override(action, operator, reason, audited)
        if refusal is not None:
            flash(f"{refusal[0]} / {refusal[1]}", "error")
            return render_dashboard_error()
        log.warning("operator %s overrode the live-person check (%s): %s", operator, action, reason)
        done = OVERRIDE_ACTIONS[action]
        flash(f"{done[0]} / {done[1]}", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/session")
    @login_required
    def set_session() -> Any:
        d = deps()
        code = request.form.get("session_code", "").strip()
        if not SESSION_CODE.match(code):
            flash("场次代码须为 1-32 位字母、数字、- 或 _ / Session code: 1-32 of letters, digits, - or _", "error")
            return render_dashboard_error()
        change = parse_form({"codes.school_feature_codes": request.form.get("feature_codes", "")})
        try:
            d.console.apply(change)
        except ApplianceError as exc:
            flash(str(exc), "error")
            return render_dashboard_error()
        d.run.session_code = code
        saved_run()
        flash(f"场次已设为 {code} / Session set to {code}", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/settings")
    @login_required
    def change_settings() -> Any:
        try:
            deps().console.apply(parse_form(request.form))
        except ApplianceError as exc:
            flash(f"未应用 / not applied: {exc}", "error")
            return render_dashboard_error()
        flash("设置已应用 / Settings applied", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/roster")
    @login_required
    def roster() -> Any:
        d = deps()
        upload = request.files.get("roster")
        suffix = Path(upload.filename or "").suffix.lower() if upload is not None else ""
        if upload is None or suffix not in _ROSTER_SUFFIXES:
            flash("请选择 CSV、XLSX、XLS 或 ODS 名单文件 / Choose a CSV, XLSX, XLS or ODS roster file", "error")
            return render_dashboard_error()
        with tempfile.TemporaryDirectory(prefix="roster-") as folder:
            # The operator's file name is never used as a path: only its suffix is kept.
            path = Path(folder) / f"roster{suffix}"
            data = upload.stream.read(_MAX_ROSTER_BYTES + 1)
            if len(data) > _MAX_ROSTER_BYTES:
                flash("名单文件过大 / Roster file too large", "error")
                return render_dashboard_error()
            path.write_bytes(data)
            try:
                result = d.import_roster(path)
            except ApplianceError as exc:
                flash(str(exc), "error")
                return render_dashboard_error()
        for line in result.report_lines()[:20]:
            flash(line, "ok" if not result.problems else "warn")
        if result.rows_accepted == 0:
            flash("名单中没有可用的行，当前名单未改变 / No usable rows: the current roster is unchanged", "error")
            return render_dashboard_error()
        if result.problems and d.run.roster is not None:
            # Some rows were bad: replacing a working roster with a shorter one needs a yes.
            d.run.pending_roster = result
            flash(f"新名单只有 {result.rows_accepted} 行可用（当前 {len(d.run.roster)} 行），确认替换吗？ / "
                  f"Only {result.rows_accepted} rows are usable (current roster: {len(d.run.roster)}): replace it?",
                  "warn")
            return redirect(url_for("operator.dashboard")), 303
        use_roster(result)
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/roster/confirm")
    @login_required
    def roster_confirm() -> Any:
        pending = deps().run.pending_roster
        if pending is None:
            flash("没有等待确认的名单 / No roster is waiting for confirmation", "error")
            return redirect(url_for("operator.dashboard")), 303
        use_roster(pending)
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/roster/discard")
    @login_required
    def roster_discard() -> Any:
        deps().run.pending_roster = None
        flash("已保留当前名单 / The current roster is kept", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/roster/clear")
    @login_required
    def roster_clear() -> Any:
        d = deps()
        d.run.roster, d.run.roster_source, d.run.pending_roster = None, "", None
        saved_run()
        log.info("operator %s cleared the roster", session.get("operator"))
        flash("名单已清除 / Roster cleared", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/retry/<sha>")
    @login_required
    def retry(sha: str) -> Any:
        d = deps()
        record = known_photo(sha)
        if record.upload_state != "pending":
            flash("只能重试等待上传的照片 / Only photos waiting to upload can be retried", "error")
            return redirect(url_for("operator.dashboard")), 303
        d.store.mark_retry(sha, "retry requested by the operator", 0.0)
        return upload_woken(f"已安排重试 {record.masked_capture_code} / Retry scheduled")

    @bp.post("/requeue/<sha>")
    @login_required
    def requeue(sha: str) -> Any:
        record = known_photo(sha)
        if not deps().store.requeue_rejected(sha):
            flash("只能重新排队被服务器拒绝且仍在本机的照片 / Only photos the server rejected, still held"
                  " here, can be queued again", "error")
            return redirect(url_for("operator.dashboard")), 303
        log.info("operator %s re-queued photo %s (%s)", session.get("operator"), sha[:12],
                 record.masked_capture_code)
        return upload_woken(f"已重新排队 {record.masked_capture_code} / Queued for upload again")

    @bp.get("/photo/<sha>/annotated.jpg")
    @login_required
    def annotated(sha: str) -> Response:
        d = deps()
        if not SHA256.match(sha) or d.analyzer is None:
            abort(404)
        try:
            data = annotated_jpeg(d.analyzer, d.store.read_photo(sha))
        except (StoreError, PhotoNotReadable):
            abort(404)
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @bp.get("/photo/<sha>.jpg")
    @login_required
    def photo(sha: str) -> Response:
        if not SHA256.match(sha):
            abort(404)
        try:
            data = deps().store.read_photo(sha)
        except StoreError:
            abort(404)
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @bp.post("/pairing")
    @login_required
    def pair_tablet() -> Any:
        """A pairing code for one tablet, shown on the booth's own display (not here)."""
        pairing = deps().pairing
        if pairing is None:  # create_app makes one when none is handed in
            abort(404)
        _, ttl = pairing.offer_code()
        log.info("operator %s asked for a tablet pairing code", session.get("operator"))
        flash(f"配对码已显示在拍照亭屏幕上（{int(ttl // 60)} 分钟内有效），请在平板上打开受检者屏幕并输入 / "
              f"The pairing code is on the booth's display for {int(ttl // 60)} minutes: open the subject "
              "screen on the tablet and type it", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.post("/unpair")
    @login_required
    def unpair_tablet() -> Any:
        pairing = deps().pairing
        if pairing is None:
            abort(404)
        pairing.unpair()
        log.info("operator %s unpaired the tablet", session.get("operator"))
        flash("平板已取消配对 / The tablet is unpaired", "ok")
        return redirect(url_for("operator.dashboard")), 303

    @bp.get("/photo/<sha>/sheet.pdf")
    @login_required
    def sheet(sha: str) -> Response:
        """The print sheet (8 x 1寸 + 4 x 2寸 on 6 x 4 in) of a stored photo, as a PDF to print."""
        from appliance.produce.sheet import build_sheet, sheet_files

        record = known_photo(sha)
        try:
            data = deps().store.read_photo(sha)
        except StoreError:
            abort(404)
        photo = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if photo is None:
            abort(404)
        _, pdf = sheet_files(build_sheet(photo), "PNG")
        name = f"sheet-{record.session_code}-{sha[:8]}.pdf"
        log.info("operator %s made the print sheet of photo %s", session.get("operator"), sha[:12])
        return Response(pdf, mimetype="application/pdf", headers={
            "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})

    @bp.get("/health")
    @login_required
    def health() -> str:
        # Shown without the booth's file paths (the journal keeps them).
        return render_template("health.html", rows=health_rows(deps().health()))

    @bp.get("/export.csv")
    @login_required
    def export() -> Response:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADERS)
        for r in deps().store.recent(10_000):
            writer.writerow([r.session_code, r.masked_capture_code, r.sha256, r.size_bytes,
                             time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.accepted_at)),
                             " ".join(state_words("upload", r.upload_state)),
                             " ".join(state_words("review", r.review_state)), r.review_reason or ""])
        # A BOM so that Excel on a Chinese Windows reads the UTF-8 file as UTF-8.
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=queue.csv"})

    return bp


def use_roster(result: Any) -> None:
    d = deps()
    d.run.roster, d.run.pending_roster = result.roster, None
    d.run.roster_source = f"{result.rows_accepted} 行 rows"
    saved_run()
    flash(f"名单已启用：{result.rows_accepted} 行 / Roster in use: {result.rows_accepted} rows", "ok")


def saved_run() -> None:
    """Record the session set-up and roster so a restart keeps them (logged, never fatal here)."""
    save = deps().save_run
    if save is None:
        return
    try:
        save()
    except OSError as exc:
        log.error("run state not saved: %s", exc)
        flash("场次设置未能保存到磁盘，重启后需重新设置 / The set-up could not be saved: redo it after a restart",
              "error")


def known_photo(sha: str) -> PhotoRecord:
    """The stored photo a console URL names; 404 for anything else (no probing with odd names)."""
    if not SHA256.match(sha):
        abort(404)
    record = deps().store.get(sha)
    if record is None:
        abort(404)
    return record


def upload_woken(message: str) -> Any:
    """After a queue change: wake the uplink so it does not wait out its back-off, and say so."""
    uplink = deps().uplink
    if uplink is not None:
        uplink.notify()
    flash(message, "ok")
    return redirect(url_for("operator.dashboard")), 303


def render_dashboard_error() -> Any:
    """A refused change answers 400 with the console and the reason, so nothing looks applied."""
    response = current_app.view_functions["operator.dashboard"]()
    return response, 400

