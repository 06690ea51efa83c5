"""Pushing the session to browsers: server-sent events and the MJPEG live preview.

Each connected screen gets its own small queue fed by the session's event bus; a slow or vanished
browser only loses its own oldest events (the newest state always wins), and never slows the
session, which publishes on the analyser's thread.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np

from appliance.session.events import SessionEvent

_QUEUE_SIZE = 64
_KEEPALIVE_S = 15.0
_BOUNDARY = "frame"


class EventHub:
    """Fans the session's events out to every open event stream."""

    def __init__(self) -> None:
        self._clients: set[queue.Queue[dict[str, Any]]] = set()
        self._lock = threading.Lock()

    def publish(self, event: SessionEvent) -> None:
        self.send(event.to_dict())

    def send(self, message: dict[str, Any]) -> None:
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
        """SSE text: the current snapshot first, then events as they happen, until `max_s`."""
        client: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=_QUEUE_SIZE)
        with self._lock:
            self._clients.add(client)
        try:
            yield format_sse("snapshot", first)
            deadline = clock() + max_s
            while clock() < deadline:
                try:
                    message = client.get(timeout=_KEEPALIVE_S)
                except queue.Empty:
                    yield ": keep-alive\n\n"
                    continue
                yield format_sse(str(message.get("kind", "message")), message)
        finally:
            with self._lock:
                self._clients.discard(client)


def format_sse(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def jpeg(image: np.ndarray, quality: int) -> bytes | None:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buffer.tobytes() if ok else None


def mjpeg_stream(latest: Callable[[], Any], fps: float, quality: int, max_s: float,
                 clock: Callable[[], float] = time.monotonic) -> Iterator[bytes]:
    """multipart/x-mixed-replace parts of the newest guidance frame, at most `fps` per second."""
    period = 1.0 / fps
    deadline = clock() + max_s
    previous: Any = None
    while clock() < deadline:
        started = clock()
        try:
            frame = latest()
        except Exception:
            frame = None  # the camera is reopening; the screen says so through the events
        image = getattr(frame, "image", frame)
        if image is not None and image is not previous:
            previous = image
            data = jpeg(image, quality)
            if data is not None:
                yield (f"--{_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
                       ).encode() + data + b"\r\n"
        time.sleep(max(period - (clock() - started), 0.01))


MJPEG_MIMETYPE = f"multipart/x-mixed-replace; boundary={_BOUNDARY}"
