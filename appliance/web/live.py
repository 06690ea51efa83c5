"""Pushing the session to browsers: server-sent events and the MJPEG live preview.

Each connected screen gets its own small queue fed by the session's event bus; a slow or vanished
browser only loses its own oldest events (the newest state always wins), and never slows the
session, which publishes on the analyser's thread. What goes to a browser is the browser's view
of an event: no photo sha256 (the receipt's QR code is served by the booth, which remembers it) and
no file path. Each preview frame is JPEG-encoded once, whoever watches, and both kinds of stream
are capped: each holds one of the web server's worker threads for as long as it is open.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np

from appliance.session.chart import SessionState
from appliance.session.events import TRANSITION, SessionEvent
from appliance.web.security import strip_paths

_QUEUE_SIZE = 64
_KEEPALIVE_S = 15.0
# An unchanged preview frame is sent again this often, so a viewer that left is noticed (the write
# fails) and its worker thread freed, even while the camera delivers nothing new.
_PREVIEW_REPEAT_S = 1.0
_CLOSED = {"kind": "_closed"}
_BOUNDARY = "frame"
_PHOTO_ID_CHARS = 12
_PATH_KEYS = {"photo", "path", "photo_path", "file", "folder"}
RECEIPT_QR_PATH = "/receipt.svg"


class StreamsFull(Exception):
    """Every slot of this kind of stream is taken."""


class StreamSlots:
    """At most `limit` streams at once; the next one is refused (HTTP 503) rather than queued."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open = 0
        self._lock = threading.Lock()

    @property
    def open(self) -> int:
        with self._lock:
            return self._open

    def hold(self, stream: Iterator[Any]) -> SlotStream:
        """`stream` holding one slot until it ends or is closed; StreamsFull when none is free."""
        with self._lock:
            if self._open >= self._limit:
                stream.close() if hasattr(stream, "close") else None
                raise StreamsFull()
            self._open += 1
        return SlotStream(stream, self._release)

    def _release(self) -> None:
        with self._lock:
            self._open -= 1


class SlotStream:
    """A response body that gives its slot back when the server closes it, started or not."""

    def __init__(self, inner: Iterator[Any], release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> SlotStream:
        return self

    def __next__(self) -> Any:
        return next(self._inner)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
        release, self._release = self._release, None
        if release is not None:
            release()


def browser_view(value: Any) -> Any:
    """An event as a browser may see it: sha256 -> a short photo id, no file paths anywhere."""
    if isinstance(value, dict):
        clean: dict[str, Any] = {}
        for key, item in value.items():
            if key in _PATH_KEYS:
                continue
            if key == "sha256" and isinstance(item, str):
                clean["photo_id"] = item[:_PHOTO_ID_CHARS]
                clean["qr"] = RECEIPT_QR_PATH
                continue
            clean[key] = browser_view(item)
        return clean
    if isinstance(value, list | tuple):
        return [browser_view(item) for item in value]
    if isinstance(value, str):
        return strip_paths(value)
    return value


def _receipt_sha(message: dict[str, Any]) -> str | None:
    receipt = (message.get("payload") or {}).get("receipt") if isinstance(message.get("payload"), dict) else None
    sha = receipt.get("sha256") if isinstance(receipt, dict) else None
    return sha if isinstance(sha, str) else None


class EventHub:
    """Fans the session's events out to every open event stream (at most `max_streams` at once)."""

    def __init__(self, max_streams: int = 8) -> None:
        self._clients: set[queue.Queue[dict[str, Any]]] = set()
        self._lock = threading.Lock()
        self.slots = StreamSlots(max_streams)
        self.last_receipt_sha: str | None = None  # for the receipt's QR code on the booth's screen
        self._closed = threading.Event()

    def open(self) -> None:
        self._closed.clear()

    def close(self) -> None:
        """End every open stream now (the server is stopping: no worker may wait out its stream)."""
        self._closed.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.put_nowait(_CLOSED)
            except queue.Full:
                with contextlib.suppress(queue.Empty, queue.Full):
                    client.get_nowait()
                    client.put_nowait(_CLOSED)

    def publish(self, event: SessionEvent) -> None:
        message = event.to_dict()
        sha = _receipt_sha(message)
        if sha is not None:
            self.last_receipt_sha = sha
        elif event.kind == TRANSITION and event.target in (SessionState.IDLE, SessionState.SCANNING):
            self.last_receipt_sha = None
        self.send(message)

    def send(self, message: dict[str, Any]) -> None:
        message = browser_view(message)
        if self._closed.is_set():
            return
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.put_nowait(message)
            except queue.Full:
                try:
                    client.get_nowait()
                    client.put_nowait(message)
                except (queue.Empty, queue.Full):
                    pass

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)

    def stream(self, first: dict[str, Any], max_s: float, clock: Callable[[], float] = time.monotonic
               ) -> Iterator[str]:
        """SSE text: the current snapshot first, then events as they happen, until `max_s`.

        Raises StreamsFull (before anything is sent) when `max_streams` are already open.
        """
        return self.slots.hold(self._stream(browser_view(first), max_s, clock))

    def _stream(self, first: dict[str, Any], max_s: float, clock: Callable[[], float]) -> Iterator[str]:
        client: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=_QUEUE_SIZE)
        with self._lock:
            self._clients.add(client)
        try:
            yield format_sse("snapshot", first)
            deadline = clock() + max_s
            while clock() < deadline and not self._closed.is_set():
                try:
                    message = client.get(timeout=_KEEPALIVE_S)
                except queue.Empty:
                    yield ": keep-alive\n\n"
                    continue
                if message is _CLOSED:
                    return
                yield format_sse(str(message.get("kind", "message")), message)
        finally:
            with self._lock:
                self._clients.discard(client)


def format_sse(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def jpeg(image: np.ndarray, quality: int) -> bytes | None:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buffer.tobytes() if ok else None


class PreviewEncoder:
    """The newest guidance frame as one multipart part, encoded once for every viewer.

    Viewers poll `latest_part()`; the first to see a new frame encodes it, the others get the same
    bytes. At most `max_viewers` streams run at once (`slots`).
    """

    def __init__(self, latest: Callable[[], Any], quality: int, max_viewers: int) -> None:
        self._latest = latest
        self._quality = quality
        self._lock = threading.Lock()
        self._image: Any = None
        self._part: bytes | None = None
        self.encoded = 0  # frames encoded so far (for tests and measurements)
        self.slots = StreamSlots(max_viewers)
        self._closed = threading.Event()

    def open(self) -> None:
        self._closed.clear()

    def close(self) -> None:
        """End every open preview stream within one frame period."""
        self._closed.set()

    def latest_part(self) -> bytes | None:
        try:
            frame = self._latest()
        except Exception:
            frame = None  # the camera is reopening; the screen says so through the events
        image = getattr(frame, "lores", frame)  # a camera Frame, or a bare picture
        if image is None:
            return None
        with self._lock:
            if image is not self._image:
                data = jpeg(image, self._quality)
                self.encoded += 1
                self._image = image
                self._part = None if data is None else (
                    f"--{_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
                ).encode() + data + b"\r\n"
            return self._part

    def stream(self, fps: float, max_s: float, clock: Callable[[], float] = time.monotonic) -> Iterator[bytes]:
        """multipart/x-mixed-replace parts, at most `fps` per second; StreamsFull when capped."""
        return self.slots.hold(self._stream(fps, max_s, clock))

    def _stream(self, fps: float, max_s: float, clock: Callable[[], float]) -> Iterator[bytes]:
        period = 1.0 / fps
        deadline = clock() + max_s
        previous: bytes | None = None
        sent_at = 0.0
        while clock() < deadline and not self._closed.is_set():
            started = clock()
            part = self.latest_part()
            if part is not None and (part is not previous or started - sent_at >= _PREVIEW_REPEAT_S):
                previous, sent_at = part, started
                yield part
            self._closed.wait(max(period - (clock() - started), 0.01))


MJPEG_MIMETYPE = f"multipart/x-mixed-replace; boundary={_BOUNDARY}"
