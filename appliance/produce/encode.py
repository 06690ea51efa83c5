"""The product file: baseline JPEG, JFIF at the preset's dpi, nothing else in the header.

Collectors reject progressive files, files with EXIF (a camera's GPS position is personal data) and
files outside their size window. Padding a file to reach the window is forbidden, so the quality is
searched instead: the highest quality (not below the floor) whose file still fits under the cap.
File size grows with quality, which is what makes a binary search valid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Encoded:
    data: bytes
    quality: int
    in_window: bool


def encode_jpeg(bgr: np.ndarray, quality: int, dpi: int = 300) -> bytes:
    """Baseline (sequential, SOF0) JPEG with a JFIF APP0 segment and no EXIF, ICC or thumbnail."""
    image = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), mode="RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, dpi=(dpi, dpi), progressive=False,
               optimize=True, subsampling="4:2:0")
    return buffer.getvalue()


def encode_in_window(bgr: np.ndarray, min_bytes: int, max_bytes: int, min_quality: int = 60,
                     max_quality: int = 95, dpi: int = 300) -> Encoded:
    """The highest quality in [min_quality, max_quality] whose file is at most max_bytes.

    `in_window` is False when even min_quality is too big or max_quality is still too small;
    the caller refuses such a product rather than padding or dropping below the quality floor.
    """
    cache: dict[int, bytes] = {}

    def size_at(quality: int) -> int:
        if quality not in cache:
            cache[quality] = encode_jpeg(bgr, quality, dpi)
        return len(cache[quality])

    low, high = min_quality, max_quality
    # a booth product usually fits at the top quality: one encoding instead of the search's seven
    # (whose answer it is too, file size growing with quality); else the search, as it always ran
    if size_at(high) <= max_bytes:
        data = cache[high]
        return Encoded(data, high, min_bytes <= len(data))
    if size_at(low) > max_bytes:
        return Encoded(cache[low], low, False)
    while low < high:  # invariant: size_at(low) <= max_bytes
        mid = (low + high + 1) // 2
        if size_at(mid) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    data = cache[low]
    return Encoded(data, low, min_bytes <= len(data) <= max_bytes)
