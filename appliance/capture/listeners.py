"""Fan-out of device events to subscribers, so devices never call the session directly.

A failing subscriber is logged and skipped: one buggy screen must not stop the button or the camera
from reaching the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Listeners(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[T], object]] = []

    def add(self, callback: Callable[[T], object]) -> None:
        with self._lock:
            self._callbacks.append(callback)

    def remove(self, callback: Callable[[T], object]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def emit(self, event: T) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("listener %r failed on %r", callback, event)
