"""A float32 buffer that a still's enlarged person mask is resized into, lent to one analysis at a time.

The person mask of a 12 MP still, enlarged from the reduced copy's, is a 48 MB float32 array.
Resizing into a fresh one costs several times the resize itself: every page of a new allocation is
faulted in and zeroed by the kernel on first write. The booth produces one photo after another, and
an analysis's enlarged mask is dropped with it, so the next still's mask can be written into the same
pages. The values are cv2.resize's own (it writes into the lent buffer), so nothing it measures changes.
"""

from __future__ import annotations

import sys
import threading

import cv2
import numpy as np

# References to the buffer when nobody else holds it: the canvas's attribute and getrefcount's argument.
_UNHELD = 2


class MaskCanvas:
    """Lends its buffer to the next enlarged mask once no array made from the previous loan is alive.

    Every numpy view of the buffer (however it was sliced, reshaped or passed on) keeps a reference
    to the buffer itself, so its reference count says whether any analysis, or anything taken from
    one, still reads it; while one does, a mask gets an array of its own.
    """

    def __init__(self) -> None:
        self._buffer: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def lent(self) -> bool:
        """Whether an array made from the buffer is still alive (its next mask would get its own)."""
        with self._lock:
            return self._buffer is not None and sys.getrefcount(self._buffer) > _UNHELD

    def enlarge(self, mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR) for a float32 HxW mask, written into
        the lent buffer when it is free."""
        width, height = size
        if mask.dtype != np.float32 or mask.ndim != 2:
            return cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
        with self._lock:
            if self._buffer is not None and sys.getrefcount(self._buffer) > _UNHELD:
                return cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
            if self._buffer is None or self._buffer.size < width * height:
                self._buffer = np.empty(width * height, np.float32)
            lent = self._buffer[:width * height].reshape(height, width)
            out = cv2.resize(mask, size, dst=lent, interpolation=cv2.INTER_LINEAR)
        if out is not lent:  # OpenCV chose an array of its own: the values are the same either way
            return out
        return lent
