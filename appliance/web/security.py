"""What protects both screens: security headers, a CSRF token on every POST, and a login limiter.

The booth's Wi-Fi is shared with every student's phone, so the console is treated as exposed: a
page can be framed by nothing, scripts and styles come only from the booth itself, a form posted
from elsewhere is refused, and password guessing is slowed to a handful of tries per window.
"""

from __future__ import annotations

import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, get_flashed_messages, request, session

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


# An absolute POSIX path inside free text (an error message, a health detail): only its last part
# is kept. A URL's path is not matched (it follows a host name or a port).
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])/((?:[^\s/'\"<>]+/)+)([^\s/'\"<>:,;)]*)")


def strip_paths(text: str) -> str:
    """Text with every absolute file path reduced to its file name: nothing sent to a browser says
    where the booth keeps its data (a path is a map for whoever probes next)."""
    return _ABSOLUTE_PATH.sub(_last_part, text) if "/" in text else text


def _last_part(match: re.Match[str]) -> str:
    return match.group(2) or match.group(1).rstrip("/").rsplit("/", 1)[-1] + "/"


def _flashed_without_paths(with_categories: bool = False, category_filter: Any = ()) -> list[Any]:
    messages = get_flashed_messages(with_categories=with_categories, category_filter=category_filter)
    # (category, message) pairs when asked with categories, else the messages alone
    return [(item[0], strip_paths(str(item[1]))) if isinstance(item, tuple) else strip_paths(str(item))
            for item in messages]


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
    app.jinja_env.globals["get_flashed_messages"] = _flashed_without_paths


def durable_database(path: Path | None) -> sqlite3.Connection:
    """A small SQLite file under the data dir (in memory without a path) that keeps every commit
    through a power cut: WAL, synchronous=FULL, autocommit, shared by the web threads."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path) if path is not None else ":memory:", check_same_thread=False,
                         isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


class LoginLimiter:
    """Password attempts per client address in a sliding window; past the limit, answers are 429.

    An attempt is reserved (and committed to disk) *before* the password is checked, so forty
    guesses sent at once cost five checks, not forty; a correct password clears the client's
    record. The record lives in SQLite under the data folder with `synchronous=FULL`: a booth that
    systemd restarts (after a crash, or an attacker's out-of-memory kill) still remembers the
    guesses. Wall-clock times are stored because a monotonic clock restarts with the process;
    times further ahead than the window (a clock set back, no RTC) are forgotten rather than
    locking a client out for years.
    """

    def __init__(self, max_failures: int, window_s: float, path: Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._max = max_failures
        self._window = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._db = durable_database(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS attempts (client TEXT NOT NULL, at REAL NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS attempts_client ON attempts (client, at)")

    def _forget_old(self, now: float) -> None:
        self._db.execute("DELETE FROM attempts WHERE at < ? OR at > ?", (now - self._window, now + self._window))

    def _wait(self, client: str, now: float) -> float:
        count, oldest = self._db.execute(
            "SELECT COUNT(*), MIN(at) FROM attempts WHERE client = ?", (client,)).fetchone()
        if count < self._max:
            return 0.0
        return max(self._window - (now - oldest), 1.0)

    def _check(self, client: str, take: bool) -> float:
        with self._lock:
            now = self._clock()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._forget_old(now)
                wait = self._wait(client, now)
                if take and wait == 0.0:
                    self._db.execute("INSERT INTO attempts (client, at) VALUES (?, ?)", (client, now))
            finally:
                self._db.execute("COMMIT")
            return wait

    def blocked_for(self, client: str) -> float:
        """Seconds until the client may try again; 0 when it may try now."""
        return self._check(client, take=False)

    def reserve(self, client: str) -> float:
        """Count one attempt before it is made: 0 when it may go ahead, else seconds to wait."""
        return self._check(client, take=True)

    def release(self, client: str) -> None:
        """Give back the newest reservation: the attempt was never checked (the checker was busy)."""
        with self._lock:
            self._db.execute("DELETE FROM attempts WHERE rowid = (SELECT MAX(rowid) FROM attempts WHERE client = ?)",
                             (client,))

    def failed(self, client: str) -> None:
        """An attempt that was not reserved first (kept for callers that count after the fact)."""
        with self._lock:
            self._db.execute("INSERT INTO attempts (client, at) VALUES (?, ?)", (client, self._clock()))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM attempts WHERE client = ?", (client,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
