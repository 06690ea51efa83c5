"""What protects both screens: security headers, a CSRF token on every POST, and a login limiter.

The booth's Wi-Fi is shared with every student's phone, so the console is treated as exposed: a
page can be framed by nothing, scripts and styles come only from the booth itself, a form posted
from elsewhere is refused, and password guessing is slowed to a handful of tries per window.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask, Response, abort, request, session

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csrf_token() -> str:
    """The session's token, made on first use; templates put it into every form."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def _check_csrf() -> None:
    if request.method != "POST":
        return
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), given):
        abort(400, description="csrf")


def _add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/operator"):
        response.headers["Cache-Control"] = "no-store"
    return response


def install_security(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.after_request(_add_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


class LoginLimiter:
    """Failed logins per client address in a sliding window; past the limit, answers are 429."""

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self._max = max_failures
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        now = self._clock()
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] > self._window:
            times.popleft()
        return times

    def blocked_for(self, client: str) -> float:
        """Seconds until the client may try again; 0 when it may try now."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self._max:
                return 0.0
            return max(self._window - (self._clock() - times[0]), 1.0)

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self._clock())
            if len(self._failures) > 10_000:  # bounded memory against address spraying
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
