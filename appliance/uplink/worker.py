"""The uplink worker: a background thread that drains the store's upload queue.

The live screen never waits for it: committing a photo only wakes the thread (an Event), and the
thread talks to the store through short transactions. Uploads are idempotent by sha256 on the
server, so "did that request arrive?" never needs an answer - a retry is always safe. Waiting uses
Event.wait (a monotonic clock), so a wall-clock jump cannot stall or spin the loop.
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import SettingsError
from appliance.store.errors import StoreError
from appliance.store.photo_store import PhotoStore
from appliance.store.records import PhotoRecord, UploadItem
from appliance.uplink.backoff import backoff_delay
from appliance.uplink.client import CollectionClient, Response, TransientUplinkError
from appliance.uplink.config import UplinkSettings
from appliance.uplink.heartbeat import HEARTBEAT_PATH, BoothProbes, heartbeat_payload
from appliance.uplink.signing import read_key_file

log = logging.getLogger(__name__)

UPLOAD_PATH = "/v1/photos"
REVIEWS_PATH = "/v1/reviews/query"
# Answers that mean "this photo will never be taken as it is": retrying cannot help (409: the same
# bytes are stored for another student).
_PERMANENT = {400, 409, 413, 415, 422}
_IDLE_WAIT_S = 5.0
_PURGE_EVERY_S = 600.0


@dataclass(frozen=True)
class UplinkStatus:
    running: bool
    last_success_at: float | None
    last_error: str | None
    uploads: int
    last_heartbeat_at: float | None = None  # wall-clock time the server last took a heartbeat


class UplinkWorker:
    def __init__(
        self,
        store: PhotoStore,
        client: CollectionClient,
        device_id: str,
        settings: UplinkSettings,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        probes: BoothProbes | None = None,
    ):
        self._store = store
        self._client = client
        self._device_id = device_id
        self._settings = settings
        self._rng = rng or random.Random()
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_success: float | None = None
        self._last_error: str | None = None
        self._uploads = 0
        self._next_review_poll = 0.0
        self._next_purge = 0.0
        self._probes = probes
        self._next_heartbeat = 0.0
        self._last_heartbeat: float | None = None

    # --- control (called from other threads; never blocks on the network) -----------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def notify(self, _record: PhotoRecord | None = None) -> None:
        """Store listener: a new photo was accepted, look at the queue now."""
        self._wake.set()

    def status(self) -> UplinkStatus:
        return UplinkStatus(self._thread is not None, self._last_success, self._last_error, self._uploads,
                            self._last_heartbeat)

    # --- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except StoreError as exc:  # a broken photo file must not kill the thread
                self._last_error = str(exc)
                log.error("uplink: %s", exc)
                worked = False
            except Exception:
                log.exception("uplink: unexpected error; retrying")
                worked = False
            if not worked:
                self._wake.wait(self._idle_wait())
                self._wake.clear()

    def run_once(self) -> bool:
        """One pass: upload what is due, pull reviews when their time came; True if it uploaded."""
        settings = self._settings
        items = self._store.due_uploads(self._clock(), settings.batch_size, settings.backoff_max_s)
        for item in items:
            if self._stop.is_set():
                break
            self._upload(item)
        now = time.monotonic()
        if now >= self._next_review_poll:
            self._next_review_poll = now + self._settings.review_poll_s
            self._pull_reviews()
        if now >= self._next_purge:
            self._next_purge = now + _PURGE_EVERY_S
            self._store.purge_expired()
        if self._probes is not None and settings.heartbeat_s > 0 and now >= self._next_heartbeat:
            self._next_heartbeat = now + settings.heartbeat_s
            self._send_heartbeat()
        return bool(items)

    def _send_heartbeat(self) -> None:
        """Best effort: a missed heartbeat only makes the booth look silent for one period."""
        if self._probes is None:
            return
        payload = heartbeat_payload(self._store, self._probes, self._last_error)
        try:
            answer = self._client.post_json(HEARTBEAT_PATH, payload)
        except TransientUplinkError as exc:
            log.info("uplink: heartbeat not sent: %s", exc)
            return
        if answer.status != 200:
            log.info("uplink: heartbeat refused: %s", _error_text(answer))
            return
        self._last_heartbeat = self._clock()

    def _idle_wait(self) -> float:
        wait = _IDLE_WAIT_S
        next_due = self._store.next_due_at()
        if next_due is not None:
            wait = min(wait, max(0.0, next_due - self._clock()))
        wait = min(wait, max(0.0, self._next_review_poll - time.monotonic()))
        return max(wait, 0.01)

    def _upload(self, item: UploadItem) -> None:
        try:
            photo = self._store.read_photo(item.sha256)
        except StoreError as exc:
            self._store.mark_refused(item.sha256, str(exc))
            raise
        payload: dict[str, Any] = {
            "binding": {**item.binding, "device_id": self._device_id},
            "report": item.report,
            "photo_jpeg_base64": base64.b64encode(photo).decode("ascii"),
        }
        if item.personal:
            payload["personal"] = item.personal
        try:
            answer = self._client.post_json(UPLOAD_PATH, payload)
        except TransientUplinkError as exc:
            self._retry(item, str(exc))
            return
        if answer.status in (200, 201):
            self._store.mark_uploaded(item.sha256, self._clock())
            self._record_review(item.sha256, answer.body)
            self._last_success = self._clock()
            self._last_error = None
            self._uploads += 1
        elif answer.status in _PERMANENT:
            reason = _error_text(answer)
            self._store.mark_refused(item.sha256, reason)
            self._last_error = reason
            log.error("uplink: server refused photo %s: %s", item.sha256[:12], reason)
        else:
            self._retry(item, _error_text(answer))

    def _retry(self, item: UploadItem, error: str) -> None:
        settings = self._settings
        delay = backoff_delay(item.attempts, settings.backoff_base_s, settings.backoff_max_s, self._rng)
        self._store.mark_retry(item.sha256, error, self._clock() + delay)
        self._last_error = error
        log.info("uplink: photo %s not sent (%s); retry in %.1fs", item.sha256[:12], error, delay)

    def _pull_reviews(self) -> None:
        pending = self._store.awaiting_review()
        if not pending:
            return
        try:
            answer = self._client.post_json(REVIEWS_PATH, {"sha256": pending})
        except TransientUplinkError as exc:
            self._last_error = str(exc)
            return
        if answer.status != 200:
            self._last_error = _error_text(answer)
            return
        for review in answer.body.get("reviews", []):
            if isinstance(review, dict) and review.get("sha256") in pending:
                self._record_review(review["sha256"], review)

    def _record_review(self, sha256: str, body: dict[str, Any]) -> None:
        state = body.get("review_state") or body.get("state")
        if state in ("accepted", "rejected"):
            reason = body.get("reason") if isinstance(body.get("reason"), str) else None
            self._store.record_review(sha256, state, reason, self._clock())


def _error_text(answer: Response) -> str:
    """`HTTP <status> <error code>: <server's message>`; the console words it (uplink/status_text.py)."""
    code = answer.body.get("error")
    message = answer.body.get("message")
    text = f"HTTP {answer.status}"
    if isinstance(code, str) and code:
        text += f" {code}"
    if isinstance(message, str) and message:
        text += f": {message}"
    return text[:500]


def uplink_from_settings(
    store: PhotoStore, device_id: str, settings: UplinkSettings, clock: Callable[[], float] = time.time,
    data_dir: Path | None = None,
) -> UplinkWorker | None:
    """The worker wired to the store's listener, or None when no server is configured (the console
    then shows "uplink not configured"; nothing pretends to upload)."""
    if not settings.server_url:
        return None
    if settings.device_key_file is None:
        raise SettingsError("uplink.device_key_file: required when uplink.server_url is set")
    client = CollectionClient(
        settings.server_url,
        device_id,
        read_key_file(settings.device_key_file),
        timeout_s=settings.timeout_s,
        ca_file=settings.ca_file,
        clock=clock,
    )
    worker = UplinkWorker(store, client, device_id, settings, clock=clock, probes=BoothProbes(data_dir))
    store.add_listener(worker.notify)
    return worker
