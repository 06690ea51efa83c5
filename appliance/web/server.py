"""The Flask app factory and the threaded server that runs it inside the booth process.

`create_app` gets everything injected (WebDeps) so tests build it around fakes; `build_web_server`
is the composition root's helper that wires it to the booth's real parts.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, make_server

from appliance.binding.roster import import_roster
from appliance.booth_ports import QrCodeReader
from appliance.settings import Settings
from appliance.system.settings_recovery import LoadedSettings, inspect_settings
from appliance.web.console_settings import ConsoleSettings
from appliance.web.deps import WebDeps
from appliance.web.live import EventHub
from appliance.web.operator import operator_blueprint
from appliance.web.passwords import OperatorAccounts
from appliance.web.security import LoginLimiter, install_security
from appliance.web.status_links import StatusLinks
from appliance.web.subject import subject_blueprint

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: ("请求无效或已过期，请刷新页面后重试", "The request was invalid or expired: reload the page and retry"),
    401: ("需要登录", "Log-in required"),
    403: ("没有权限", "Not allowed"),
    404: ("找不到该页面", "Page not found"),
    405: ("不支持此操作", "Method not allowed"),
    413: ("文件过大", "File too large"),
    429: ("尝试次数过多，请稍后再试", "Too many attempts: try again later"),
}
_RING_PUSH_S = 0.2


def create_app(deps: WebDeps, secret_key: bytes | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="booth_session",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=deps.web.operator_idle_s),
        MAX_CONTENT_LENGTH=25_000_000,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
    )
    app.extensions["booth"] = deps
    app.extensions["login_limiter"] = LoginLimiter(deps.web.login_max_failures, deps.web.login_window_s)
    install_security(app)
    app.register_blueprint(subject_blueprint())
    app.register_blueprint(operator_blueprint())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        zh, en = ERROR_TEXT.get(code, ("出错了", "Something went wrong"))
        return render_template("error.html", code=code, zh=zh, en=en), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        # Logged with its traceback for the operator's journal; the browser gets one line only.
        log.exception("web: unexpected error")
        return render_template("error.html", code=500, zh="内部错误，请联系工作人员",
                               en="Internal error: ask the staff"), 500

    return app


class WebServer:
    """Runs the app on its own threads; `port` is known after start (port 0 picks a free one)."""

    def __init__(self, app: Flask, host: str, port: int, hub: EventHub, ring: Any = None) -> None:
        self.app = app
        self.host = host
        self.port_hint = port
        self._hub = hub
        self._ring = ring
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    @property
    def port(self) -> int:
        return self._server.server_port if self._server is not None else self.port_hint

    def start(self) -> None:
        self._server = make_server(self.host, self.port_hint, self.app, threaded=True)
        self._server.daemon_threads = True
        self.port_hint = self._server.server_port
        self._stop.clear()
        self._threads = [threading.Thread(target=self._server.serve_forever, name="web", daemon=True)]
        if self._ring is not None:
            self._threads.append(threading.Thread(target=self._push_ring, name="web-ring", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5.0)
        self._threads = []

    def _push_ring(self) -> None:
        """The demo's virtual ring drawn on the screen: pushed, only while a screen is connected."""
        previous = None
        while not self._stop.wait(_RING_PUSH_S):
            if self._hub.client_count == 0:
                continue
            snapshot = self._ring.snapshot()
            if snapshot != previous:
                previous = snapshot
                self._hub.send({"kind": "ring", **snapshot})


def _run_saver(parts: dict[str, Any]) -> Any:
    run, state = parts["run"], parts.get("run_state")
    if state is None:
        return None
    return lambda: state.save(run.session_code, run.roster, run.roster_source)


def build_web_server(settings: Settings, parts: dict[str, Any], *, demo: bool, data_dir: Path,
                     operator_password: str | None = None, settings_file: Path | None = None) -> WebServer:
    from appliance.app import build_binder  # the composition root owns how a binder is built
    from appliance.doctor import inputs_from_settings, run_checks

    if operator_password is not None:
        accounts = OperatorAccounts.in_memory("operator", operator_password)
    else:
        accounts = OperatorAccounts.in_data_dir(data_dir)
    console = ConsoleSettings(settings, data_dir)
    analyzer, reader = parts["analyzer"], parts["reader"]

    def apply(updated: Settings) -> None:
        analyzer.settings = updated.checks
        if parts.get("producer") is not None:
            parts["producer"].settings = updated
        if isinstance(reader, QrCodeReader):
            reader.replace_binder(build_binder(updated, parts["store"]))

    console.on_change(apply)

    def health() -> list[Any]:
        # The settings in force, but the file's own state: a broken file stays reported while the
        # booth runs on its last-good copy.
        inspected = inspect_settings(settings_file)
        loaded = LoadedSettings(console.current, inspected.source, inspected.problem)
        return run_checks(inputs_from_settings(loaded, demo=demo))

    hub = EventHub()
    parts["bus"].subscribe(hub.publish)
    ring = parts.get("ring")
    button = parts.get("button")
    deps = WebDeps(
        web=settings.web, machine=parts["machine"], hub=hub, latest_frame=parts["frames"].latest_lores,
        store=parts["store"], run=parts["run"], accounts=accounts, console=console, health=health,
        import_roster=lambda path: import_roster(path, settings.codes.max_roster_rows),
        button=button if hasattr(button, "press") else None,
        ring=ring if hasattr(ring, "snapshot") else None,
        uplink=parts.get("uplink"), demo=demo, advisory=tuple(sorted(getattr(parts.get("guide"), "advisory", ()))),
        analyzer=analyzer, status_links=StatusLinks.in_data_dir(data_dir),
        login_allowed=reader.login_allowed if isinstance(reader, QrCodeReader) else None,
        save_run=_run_saver(parts),
    )
    return WebServer(create_app(deps), settings.web.host, settings.web.port, hub, deps.ring)


