"""The Flask app factory and the two listeners that serve it inside the booth process.

The subject screen (plain HTTP, for the booth's own display and at most one paired tablet) and the
operator console (TLS with the booth's own certificate, server-side sessions, `Secure` cookies)
are two apps on two sockets, so nothing of the console is reachable over the screen's port and the
console's cookie never travels in clear text. `create_app` gets everything injected (WebDeps) so
tests build it around fakes, either half or both; `build_web_server` is the composition root's
helper that wires both to the booth's real parts.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, redirect, render_template
from werkzeug.exceptions import HTTPException

from appliance.binding.collection_run import CollectionRun
from appliance.binding.roster import import_roster
from appliance.session.events import SessionEvent
from appliance.settings import Settings
from appliance.system.settings_recovery import LoadedSettings, inspect_settings
from appliance.web.audit import AUDIT_FILE, OperatorAudit
from appliance.web.console_settings import ConsoleSettings
from appliance.web.deps import (
    PhotoAnalyzer,
    PhotoQueue,
    ScreenButton,
    ScreenRing,
    SessionControl,
    UplinkView,
    WebDeps,
)
from appliance.web.listeners import Listener, ListenerLimits
from appliance.web.live import EventHub, PreviewEncoder, StreamsFull
from appliance.web.operator import operator_blueprint
from appliance.web.passwords import OperatorAccounts, PasswordCheckBusy
from appliance.web.screen_access import PAIRED_FILE, ScreenPairing, install_screen_guard
from appliance.web.security import LoginLimiter, install_security
from appliance.web.sessions import ServerSessionInterface, SessionStore
from appliance.web.status_links import StatusLinks, lan_address
from appliance.web.subject import subject_blueprint
from appliance.web.tls import ensure_certificate

if TYPE_CHECKING:
    from appliance.capture.camera.base import Frame
    from appliance.doctor import CheckResult

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
LOGIN_ATTEMPTS_FILE = "login-attempts.sqlite3"
SCREEN_COOKIE = "booth_screen"
CONSOLE_COOKIE = "booth_console"
DEFAULT_LIMITS = ListenerLimits(threads=16, timeout_s=10.0, queue=32)


def create_app(deps: WebDeps, secret_key: bytes | None = None, *, screen: bool = True, console: bool = True,
               secure_cookies: bool = False) -> Flask:
    """The subject screen, the operator console, or (tests) both on one app.

    Wherever the console is, sessions are server-side (revocable, idle and absolute timeouts); the
    screen alone keeps Flask's signed cookie, which holds only its CSRF token and never expires
    under a kiosk that stays on one page for days.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_bytes(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME=SCREEN_COOKIE,
        SESSION_COOKIE_SECURE=secure_cookies,
        MAX_CONTENT_LENGTH=25_000_000,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
    )
    web = deps.web
    if deps.login_limiter is None:
        deps.login_limiter = LoginLimiter(web.login_max_failures, web.login_window_s)
    if deps.pairing is None:
        deps.pairing = ScreenPairing(None, web.pairing_code_ttl_s)
    if deps.preview is None:
        deps.preview = PreviewEncoder(deps.latest_frame, web.preview_jpeg_quality, web.max_preview_viewers)
    app.extensions["booth"] = deps
    app.extensions["login_limiter"] = deps.login_limiter
    if deps.audit is None:
        deps.audit = OperatorAudit()
    app.extensions["audit"] = deps.audit
    if console:
        sessions = SessionStore(web.operator_idle_s, web.operator_session_max_s)
        app.extensions["sessions"] = sessions
        # "__Host-": the browser accepts it only from a secure origin, for this host, on every path.
        cookie = f"__Host-{CONSOLE_COOKIE}" if secure_cookies else CONSOLE_COOKIE
        app.session_interface = ServerSessionInterface(sessions, cookie, secure=secure_cookies)
    install_security(app)
    if screen:
        app.register_blueprint(subject_blueprint())
        install_screen_guard(app, deps.pairing)
    if console:
        app.register_blueprint(operator_blueprint())
    elif screen:
        @app.get("/operator", endpoint="console_elsewhere", defaults={"rest": ""})
        @app.get("/operator/<path:rest>", endpoint="console_elsewhere")
        def console_elsewhere(rest: str) -> Any:
            """An old bookmark of the console on the screen's port: only a pointer to the real one."""
            if not deps.console_url:
                abort(404)
            return redirect(deps.console_url, code=302)

    @app.errorhandler(StreamsFull)
    def streams_full(_exc: StreamsFull) -> Any:
        zh, en = "观看的屏幕过多，请稍后再试", "Too many screens are watching: try again later"
        return render_template("error.html", code=503, zh=zh, en=en), 503, {"Retry-After": "5"}

    @app.errorhandler(PasswordCheckBusy)
    def checks_busy(_exc: PasswordCheckBusy) -> Any:
        zh, en = ERROR_TEXT[429]
        return render_template("error.html", code=429, zh=zh, en=en), 429, {"Retry-After": "2"}

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
    """The booth's listeners (screen first, then the console) and the demo's ring pusher."""

    def __init__(self, app: Flask, host: str, port: int, hub: EventHub, ring: ScreenRing | None = None, *,
                 limits: ListenerLimits | None = None, console: Listener | None = None, fingerprint: str = "",
                 preview: PreviewEncoder | None = None) -> None:
        self.screen = Listener("subject screen", app, host, port, limits or DEFAULT_LIMITS)
        self.screen_app = app
        # The console's app where there is one (log-in and the operator pages), else the screen's.
        self.app = console.app if console is not None else app
        self._preview = preview
        self.console = console
        self.fingerprint = fingerprint
        self._hub = hub
        self._ring = ring
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    @property
    def host(self) -> str:
        return self.screen.host

    @property
    def port(self) -> int:
        return self.screen.port

    port_hint = port

    @property
    def screen_url(self) -> str:
        return f"http://{_url_host(self.screen.host)}:{self.screen.port}/"

    @property
    def console_url(self) -> str:
        if self.console is None:
            return ""
        return f"https://{_url_host(self.console.host)}:{self.console.port}/operator/"

    def start(self) -> None:
        self._stop.clear()
        self._hub.open()
        if self._preview is not None:
            self._preview.open()
        self.screen.start()
        if self.console is not None:
            try:
                self.console.start()
            except Exception:
                self.screen.stop()
                raise
        if self._ring is not None:
            self._threads = [threading.Thread(target=self._push_ring, args=(self._ring,), name="web-ring",
                                              daemon=True)]
            self._threads[0].start()

    def stop(self) -> None:
        self._stop.set()
        # Open streams end first: the listeners wait for their workers, and a stream is a worker.
        self._hub.close()
        if self._preview is not None:
            self._preview.close()
        if self.console is not None:
            self.console.stop()
        self.screen.stop()
        for thread in self._threads:
            thread.join(timeout=5.0)
        self._threads = []

    def _push_ring(self, ring: ScreenRing) -> None:
        """The demo's virtual ring drawn on the screen: pushed, only while a screen is connected."""
        previous = None
        while not self._stop.wait(_RING_PUSH_S):
            if self._hub.client_count == 0:
                continue
            snapshot = ring.snapshot()
            if snapshot != previous:
                previous = snapshot
                self._hub.send({"kind": "ring", **snapshot})


def _url_host(host: str) -> str:
    """An address a browser on this machine can open (every-address binds answer on loopback)."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def build_web_server(
    settings: Settings,
    *,
    machine: SessionControl,
    latest_frame: Callable[[], Frame | None],
    store: PhotoQueue,
    run: CollectionRun,
    subscribe: Callable[[Callable[[SessionEvent], None]], Any],
    reconfigure: Callable[[Settings], None],
    demo: bool,
    data_dir: Path,
    analyzer: PhotoAnalyzer | None = None,
    button: ScreenButton | None = None,
    ring: ScreenRing | None = None,
    uplink: UplinkView | None = None,
    advisory: tuple[str, ...] = (),
    login_allowed: Callable[[], bool] | None = None,
    save_run: Callable[[], None] | None = None,
    operator_password: str | None = None,
    settings_file: Path | None = None,
) -> WebServer:
    """Both listeners around the booth's parts. `subscribe` puts a listener on the session's event
    bus; `reconfigure` is the composition root's answer to the console's validated changes (it
    knows which parts take new settings and how a binder is rebuilt)."""
    from appliance.doctor import inputs_from_settings, run_checks

    if operator_password is not None:
        accounts = OperatorAccounts.in_memory("operator", operator_password)
    else:
        accounts = OperatorAccounts.in_data_dir(data_dir)
    console = ConsoleSettings(settings, data_dir)
    console.on_change(reconfigure)

    def health() -> list[CheckResult]:
        # The settings in force, but the file's own state: a broken file stays reported while the
        # booth runs on its last-good copy.
        inspected = inspect_settings(settings_file)
        loaded = LoadedSettings(console.current, inspected.source, inspected.problem)
        return run_checks(inputs_from_settings(loaded, demo=demo))

    web = settings.web
    certificate = ensure_certificate(data_dir)
    hub = EventHub(web.max_event_streams)
    subscribe(hub.publish)
    pairing = ScreenPairing(data_dir / PAIRED_FILE, web.pairing_code_ttl_s)
    pairing.listeners.append(hub.send)
    deps = WebDeps(
        web=settings.web, machine=machine, hub=hub, latest_frame=latest_frame,
        store=store, run=run, accounts=accounts, console=console, health=health,
        import_roster=lambda path: import_roster(path, settings.codes.max_roster_rows),
        button=button, ring=ring, uplink=uplink, demo=demo, advisory=advisory,
        analyzer=analyzer, status_links=StatusLinks.in_data_dir(data_dir),
        login_limiter=LoginLimiter(web.login_max_failures, web.login_window_s, data_dir / LOGIN_ATTEMPTS_FILE),
        audit=OperatorAudit(data_dir / AUDIT_FILE),
        pairing=pairing, console_fingerprint=certificate.fingerprint,
        login_allowed=login_allowed, save_run=save_run,
    )
    limits = ListenerLimits(web.screen_threads, web.request_timeout_s, web.screen_threads * 2)
    console_limits = ListenerLimits(web.console_threads, web.request_timeout_s, web.console_threads * 2)
    console_app = create_app(deps, screen=False, secure_cookies=True)
    console_listener = Listener("operator console", console_app, web.console_host, web.console_port,
                                console_limits, tls=(certificate.cert_path, certificate.key_path))
    server = WebServer(create_app(deps, console=False), web.host, web.port, hub, deps.ring, limits=limits,
                       console=console_listener, fingerprint=certificate.fingerprint, preview=deps.preview)
    # The booth's display names the address an operator's laptop on the Wi-Fi can open.
    bound_to_all = web.console_host in ("0.0.0.0", "::", "")
    deps.console_url = (f"https://{lan_address() or '127.0.0.1'}:{web.console_port}/operator/" if bound_to_all
                        else server.console_url)
    return server


