"""Server-side web sessions: the cookie is only a random id, the session lives in the booth.

A signed cookie that holds the session itself stays valid until it expires, whatever the server
does: a copy taken before logout still opens the console. Here logout deletes the record, so every
copy of the cookie stops working at once; a session also ends after `idle_s` without a request and
`absolute_s` after it began, however busy. Records are kept in memory only: a restart logs
everybody out, which is the safe direction. The number of records is bounded (the log-in page
makes one for its CSRF token), the oldest anonymous one going first.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

AUTH_KEY = "operator"  # the session key that marks a logged-in session (kept when evicting)


@dataclass
class _Record:
    data: dict[str, Any]
    created: float
    seen: float


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def on_update(_self: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.modified = False
        self.renew = False  # a new id at the end of this request (log-in: no session fixation)
        self.revoke = False  # delete the record and the cookie (log-out)


class SessionStore:
    def __init__(self, idle_s: float, absolute_s: float, max_sessions: int = 512,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self._max = max_sessions
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(sid: str) -> str:
        # Only a hash of the id is held, so a memory dump of the record table opens no session.
        return hashlib.sha256(sid.encode()).hexdigest()

    def load(self, sid: str) -> dict[str, Any] | None:
        now = self._clock()
        with self._lock:
            key = self._key(sid)
            record = self._records.get(key)
            if record is None:
                return None
            if now - record.seen > self.idle_s or now - record.created > self.absolute_s:
                del self._records[key]
                return None
            record.seen = now
            self._records.move_to_end(key)
            return dict(record.data)

    def save(self, sid: str | None, data: dict[str, Any]) -> str:
        """Store `data` under `sid` (a new id when None); returns the id."""
        now = self._clock()
        with self._lock:
            if sid is None or self._key(sid) not in self._records:
                sid = secrets.token_urlsafe(32)
                self._records[self._key(sid)] = _Record(dict(data), now, now)
                self._evict()
            else:
                record = self._records[self._key(sid)]
                record.data = dict(data)
                record.seen = now
                self._records.move_to_end(self._key(sid))
            return sid

    def revoke(self, sid: str | None) -> None:
        if sid is None:
            return
        with self._lock:
            self._records.pop(self._key(sid), None)

    def revoke_all(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def _evict(self) -> None:
        while len(self._records) > self._max:
            victim = next((k for k, r in self._records.items() if AUTH_KEY not in r.data), None)
            self._records.pop(victim if victim is not None else next(iter(self._records)))


class ServerSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore, cookie_name: str, secure: bool = False) -> None:
        self.store = store
        self.cookie_name = cookie_name
        self.secure = secure

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.cookie_name)
        data = self.store.load(sid) if sid else None
        if data is None:
            return ServerSession()
        return ServerSession(data, sid)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.revoke:
            self.store.revoke(session.sid)
            response.delete_cookie(self.cookie_name, path="/", secure=self.secure, httponly=True, samesite="Strict")
            return
        if session.renew:
            self.store.revoke(session.sid)
            session.sid = None
        if not session and session.sid is None:
            return  # nothing worth a record
        if session.sid is not None and not session.modified and not session.renew:
            return  # load() already refreshed the idle clock
        sid = self.store.save(session.sid, dict(session))
        if sid != session.sid:
            response.set_cookie(self.cookie_name, sid, path="/", httponly=True, secure=self.secure, samesite="Strict")
        response.vary.add("Cookie")


def renew_session(session: Any) -> None:
    """After log-in: the same data under a fresh id; the id the browser had before stops working."""
    if isinstance(session, ServerSession):
        session.renew = True


def end_session(session: Any) -> None:
    """Log-out: the record is deleted, so every copy of the cookie is refused from now on."""
    session.clear()
    if isinstance(session, ServerSession):
        session.revoke = True
