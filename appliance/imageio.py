"""Reading photos safely: every way a file can be unusable becomes one ImageError with a reason.

The booth and `appliance check` read files from operators and students (phone screenshots, camera
JPEGs, odd PNGs). A huge file must not exhaust memory, and a bad one must not stop a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from appliance.errors import ImageError

IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class LoadedImage:
    bgr: np.ndarray
    grayscale: bool
    path: str


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header without decoding pixels (None if PIL cannot tell)."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            return probe.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def is_grayscale(bgr: np.ndarray, tolerance: int = 6) -> bool:
    """A colour image whose channels agree everywhere carries no colour information."""
    if bgr.ndim == 2 or bgr.shape[2] == 1:
        return True
    small = bgr[:: max(1, bgr.shape[0] // 128), :: max(1, bgr.shape[1] // 128)].astype(np.int16)
    spread = np.abs(small[..., 0] - small[..., 1]) + np.abs(small[..., 1] - small[..., 2])
    return bool(np.percentile(spread, 99) <= tolerance)


def decode_image(data: bytes, name: str = "<bytes>", max_pixels: int = 60_000_000) -> LoadedImage:
    if not data:
        raise ImageError("empty file")
    size = _header_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise ImageError(
            f"image too large: {size[0]}x{size[1]} pixels (limit {max_pixels / 1e6:.0f} megapixels)"
        )
    array = np.frombuffer(data, dtype=np.uint8)
    bgr = cv2.imdecode(array, cv2.IMREAD_COLOR)
    if bgr is None:
        looks_like_image = size is not None or data.startswith(IMAGE_SIGNATURES)
        kind = "image data is corrupt or in an unsupported format" if looks_like_image else "not an image"
        raise ImageError(kind)
    if bgr.shape[0] * bgr.shape[1] > max_pixels:
        raise ImageError(f"image too large: {bgr.shape[1]}x{bgr.shape[0]} pixels")
    if min(bgr.shape[:2]) < 8:
        raise ImageError(f"image too small to analyse: {bgr.shape[1]}x{bgr.shape[0]} pixels")
    return LoadedImage(bgr=bgr, grayscale=is_grayscale(bgr), path=name)


def load_image(path: str | Path, max_pixels: int = 60_000_000, max_bytes: int = 80_000_000) -> LoadedImage:
    path = Path(path)
    try:
        if path.is_dir():
            raise ImageError("is a directory, not an image")
        size = path.stat().st_size
        if size > max_bytes:
            raise ImageError(f"file too large: {size / 1e6:.0f} MB (limit {max_bytes / 1e6:.0f} MB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError("file not found") from None
    except PermissionError:
        raise ImageError("permission denied") from None
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from None
    return decode_image(data, str(path), max_pixels)
