"""Who may see the subject screen: the booth's own display, and at most one paired tablet.

The screen shows the current student's live picture, their produced photo and their masked
details, and its buttons act on their session; on a Wi-Fi shared with every phone it must not
answer just anyone who finds the address. The booth's own display (Chromium in the kiosk) connects
over loopback and is always allowed. One other device, a tablet at the booth, may be paired: the
operator asks for a code in the console, the code appears on the booth's display, and whoever
types it on the tablet within a few minutes gets a device cookie. A new pairing replaces the old
tablet. Only a hash of the device token is stored (write-then-rename under the data folder), so a
paired tablet stays paired across restarts and a copy of the data folder pairs nothing.

A few pages stay public: the status page a student opens from the receipt's QR code (it needs the
photo's 64-hex id, which only that student was shown, and shows only masked data), the pairing
form, static files and the health probe.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

from appliance.store.durable_files import atomic_write

log = logging.getLogger(__name__)

DEVICE_COOKIE = "booth_device"
PAIRED_FILE = "paired-screen.json"
CODE_DIGITS = 6
# Wrong codes tried against one pairing code before it is withdrawn (whoever the guesser is).
MAX_CODE_GUESSES = 10
# Endpoints any device may open; everything else on the screen needs the kiosk or the tablet.
PUBLIC_ENDPOINTS = {"static", "subject.healthz", "subject.status", "subject.qr", "pairing.pair", "console_elsewhere"}


class ScreenPairing:
    """The one paired tablet (a token hash on disk) and the pairing code currently offered."""

    def __init__(self, path: Path | None, code_ttl_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._path = path
        self._ttl = code_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._code: str | None = None
        self._code_expires = 0.0
        self._guesses = 0
        self._paired_hash: str | None = None
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        if path is not None and path.exists():
            try:
                self._paired_hash = str(json.loads(path.read_text(encoding="utf-8"))["device_sha256"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("screen pairing: %s unreadable (%s): no tablet is paired", path, exc)

    @staticmethod
    def _hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def paired(self) -> bool:
        with self._lock:
            return self._paired_hash is not None

    def offer_code(self) -> tuple[str, float]:
        """A fresh code for the booth's display; returns it and its lifetime in seconds."""
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        with self._lock:
            self._code, self._code_expires, self._guesses = code, self._clock() + self._ttl, 0
        self._announce({"kind": "pairing", "code": code, "expires_in_s": int(self._ttl)})
        return code, self._ttl

    def withdraw_code(self) -> None:
        with self._lock:
            self._code = None
        self._announce({"kind": "pairing", "code": None})

    def pair(self, code: str) -> str | None:
        """The device token for the right code (once); None otherwise."""
        with self._lock:
            if self._code is None or self._clock() > self._code_expires:
                self._code = None
                return None
            if not hmac.compare_digest(code.strip().encode(), self._code.encode()):
                self._guesses += 1
                if self._guesses >= MAX_CODE_GUESSES:
                    self._code = None
                return None
            token = secrets.token_urlsafe(32)
            self._paired_hash = self._hash(token)
            self._code = None
            self._persist()
        self._announce({"kind": "pairing", "code": None, "paired": True})
        log.info("screen pairing: a tablet was paired (any earlier one is unpaired)")
        return token

    def is_paired_device(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            stored = self._paired_hash
        return stored is not None and hmac.compare_digest(self._hash(token), stored)

    def unpair(self) -> None:
        with self._lock:
            self._paired_hash = None
            self._persist()

    def _persist(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self._path, json.dumps({"device_sha256": self._paired_hash}).encode())

    def _announce(self, message: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(message)


def is_kiosk(address: str | None, kiosk_addresses: Iterable[str]) -> bool:
    """The booth's own display: the configured loopback addresses, compared as addresses."""
    if not address:
        return False
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed == ipaddress.ip_address(allowed) for allowed in kiosk_addresses)


def screen_viewer(app: Flask) -> str | None:
    """'kiosk', 'tablet' or None (anybody else) for the current request."""
    deps = app.extensions["booth"]
    if is_kiosk(request.remote_addr, deps.web.kiosk_addresses):
        return "kiosk"
    pairing: ScreenPairing | None = app.extensions.get("screen_pairing")
    if pairing is not None and pairing.is_paired_device(request.cookies.get(DEVICE_COOKIE)):
        return "tablet"
    return None


def install_screen_guard(app: Flask, pairing: ScreenPairing) -> None:
    """Refuse the subject screen to devices that are neither the kiosk nor the paired tablet."""
    app.extensions["screen_pairing"] = pairing

    @app.before_request
    def guard() -> Any:
        endpoint = request.endpoint or ""
        if not endpoint or endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("operator."):
            return None  # unknown paths answer 404; the console has its own log-in
        if screen_viewer(current_app) is not None:
            return None
        if request.method == "GET" and endpoint == "subject.screen":
            return redirect(url_for("pairing.pair"))
        abort(403)

    app.register_blueprint(pairing_blueprint())


def pairing_blueprint() -> Blueprint:
    bp = Blueprint("pairing", __name__)

    @bp.route("/pair", methods=["GET", "POST"])
    def pair() -> Any:
        pairing: ScreenPairing = current_app.extensions["screen_pairing"]
        if request.method == "GET":
            return render_template("pair.html", failed=False)
        limiter = current_app.extensions["login_limiter"]
        client = "pair:" + (request.remote_addr or "unknown")
        wait = limiter.reserve(client)
        if wait > 0:
            page = render_template("pair.html", failed=False, too_many=True)
            return page, 429, {"Retry-After": str(int(wait) + 1)}
        token = pairing.pair(request.form.get("code", "")[:16])
        if token is None:
            return render_template("pair.html", failed=True), 401
        limiter.succeeded(client)
        response = redirect(url_for("subject.screen"), code=303)
        response.set_cookie(DEVICE_COOKIE, token, max_age=365 * 86400, httponly=True, samesite="Strict", path="/")
        return response

    return bp
