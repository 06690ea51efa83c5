"""Reading photos safely: every way a file can be unusable becomes one ImageError with a reason.

The booth and `appliance check` read files from operators and students (phone screenshots, camera
JPEGs, odd PNGs). A huge file must not exhaust memory, and a bad one must not stop a batch.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from appliance.errors import ImageError

# The formats a photo arrives in, by signature. OpenCV would also decode others (Radiance HDR, PFM,
# PxM, Sun raster, JPEG 2000, EXR, ...) without a size limit the booth controls: those are refused
# before OpenCV sees them, and these are decoded only after their header has been read and sized.
_FORMATS: tuple[tuple[str, bytes], ...] = (
    ("JPEG", b"\xff\xd8\xff"), ("PNG", b"\x89PNG\r\n\x1a\n"), ("BMP", b"BM"),
    ("TIFF", b"II*\x00"), ("TIFF", b"MM\x00*"),
)
# Formats recognised only to name them in the refusal.
_REFUSED_FORMATS: tuple[tuple[str, bytes], ...] = (
    ("Radiance HDR", b"#?RADIANCE"), ("Radiance HDR", b"#?RGBE"), ("GIF", b"GIF8"), ("OpenEXR", b"\x76\x2f\x31\x01"),
    ("JPEG 2000", b"\x00\x00\x00\x0cjP  "), ("JPEG 2000", b"\xff\x4f\xff\x51"), ("Sun raster", b"\x59\xa6\x6a\x95"),
    ("PFM", b"PF"), ("PFM", b"Pf"), *((f"PNM (P{n})", f"P{n}".encode()) for n in range(1, 8)),
)
SUPPORTED = "JPEG, PNG, WebP, BMP, TIFF"


# libjpeg decodes a JPEG at 1/2, 1/4 or 1/8 of its size in its inverse DCT, several times faster than
# decoding it whole: what a caller that analyses a reduced copy anyway (`reduce_to`) is given.
_REDUCED_JPEG = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


@dataclass(frozen=True)
class LoadedImage:
    bgr: np.ndarray
    grayscale: bool
    path: str
    # Source pixels per pixel of `bgr` (> 1 when a JPEG was decoded at a reduced size), so sizes
    # measured on `bgr` can be reported in the file's own pixels.
    scale: float = 1.0


def sniff_format(data: bytes) -> str | None:
    """The accepted format these bytes start with, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for name, signature in _FORMATS if data.startswith(signature)), None)


def _header_size(data: bytes, max_pixels: int) -> tuple[int, int] | None:
    """Width and height from the header without decoding pixels (None if PIL cannot read it)."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                return probe.size
    except Image.DecompressionBombError as exc:
        # PIL's own limit (twice MAX_IMAGE_PIXELS) struck first; its message carries the pixel count.
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        pil_limit = Image.MAX_IMAGE_PIXELS or max_pixels  # None only when PIL's check is off (it did strike)
        megapixels = int(declared.group(1)) / 1e6 if declared else pil_limit * 2 / 1e6
        limit = max_pixels / 1e6
        raise ImageError(
            f"图片太大：{megapixels:.0f} 百万像素（上限 {limit:.0f} 百万像素）"
            f" / image too large: {megapixels:.0f} megapixels (limit {limit:.0f} megapixels)"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error):
        return None


def is_grayscale(bgr: np.ndarray, tolerance: int = 6) -> bool:
    """A colour image whose channels agree everywhere carries no colour information."""
    if bgr.ndim == 2 or bgr.shape[2] == 1:
        return True
    small = bgr[:: max(1, bgr.shape[0] // 128), :: max(1, bgr.shape[1] // 128)].astype(np.int16)
    spread = np.abs(small[..., 0] - small[..., 1]) + np.abs(small[..., 1] - small[..., 2])
    return bool(np.percentile(spread, 99) <= tolerance)


def _reduction(kind: str, size: tuple[int, int], reduce_to: int | None) -> tuple[int, int]:
    """(denominator, imdecode flag): the smallest JPEG decode whose longest side stays >= reduce_to."""
    if kind == "JPEG" and reduce_to:
        for denominator, flag in _REDUCED_JPEG:
            if -(-max(size) // denominator) >= reduce_to:
                return denominator, flag
    return 1, cv2.IMREAD_COLOR


def decode_image(data: bytes, name: str = "<bytes>", max_pixels: int = 60_000_000,
                 reduce_to: int | None = None) -> LoadedImage:
    """The photo in `data`, checked and decoded. `reduce_to` (px) lets a JPEG be decoded at 1/2,
    1/4 or 1/8 of its size as long as its longest side stays at least that long: for a caller that
    analyses a copy of that size anyway (the engine's work size), never for one that crops pixels."""
    if not data:
        raise ImageError("空文件 / empty file")
    kind = sniff_format(data)
    if kind is None:
        refused = next((n for n, signature in _REFUSED_FORMATS if data.startswith(signature)), None)
        if refused is not None:
            raise ImageError(f"不支持的图片格式 {refused}（请用 {SUPPORTED}）"
                             f" / unsupported image format {refused} (use {SUPPORTED})")
        raise ImageError(f"不是图片（支持 {SUPPORTED}） / not an image (supported: {SUPPORTED})")
    size = _header_size(data, max_pixels)
    if size is None:
        raise ImageError(f"{kind} 图片数据损坏或无法识别 / image data is corrupt or in an unsupported format")
    if size[0] * size[1] > max_pixels:
        raise ImageError(
            f"图片太大：{size[0]}x{size[1]} 像素（上限 {max_pixels / 1e6:.0f} 百万像素）"
            f" / image too large: {size[0]}x{size[1]} pixels (limit {max_pixels / 1e6:.0f} megapixels)"
        )
    denominator, flag = _reduction(kind, size, reduce_to)
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if bgr is None:
        raise ImageError(f"{kind} 图片数据损坏 / image data is corrupt or in an unsupported format")
    if bgr.shape[0] * bgr.shape[1] * denominator * denominator > max_pixels:
        raise ImageError(f"图片太大：{bgr.shape[1]}x{bgr.shape[0]} 像素"
                         f" / image too large: {bgr.shape[1]}x{bgr.shape[0]} pixels")
    if min(bgr.shape[:2]) < 8:
        raise ImageError(f"图片太小，无法分析：{bgr.shape[1]}x{bgr.shape[0]} 像素"
                         f" / image too small to analyse: {bgr.shape[1]}x{bgr.shape[0]} pixels")
    # the header's size, against the decoded one's: EXIF orientation may have turned the picture
    scale = max(size) / max(bgr.shape[:2]) if denominator > 1 else 1.0
    return LoadedImage(bgr=bgr, grayscale=is_grayscale(bgr), path=name, scale=scale)


def load_image(path: str | Path, max_pixels: int = 60_000_000, max_bytes: int = 80_000_000,
               reduce_to: int | None = None) -> LoadedImage:
    path = Path(path)
    try:
        if path.is_dir():
            raise ImageError("这是文件夹，不是图片 / is a directory, not an image")
        size = path.stat().st_size
        if size > max_bytes:
            raise ImageError(f"文件太大：{size / 1e6:.0f} MB（上限 {max_bytes / 1e6:.0f} MB）"
                             f" / file too large: {size / 1e6:.0f} MB (limit {max_bytes / 1e6:.0f} MB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError("找不到文件 / file not found") from None
    except PermissionError:
        raise ImageError("没有读取权限 / permission denied") from None
    except OSError as exc:
        raise ImageError(f"无法读取文件 / cannot read file: {exc.strerror or exc}") from None
    return decode_image(data, str(path), max_pixels, reduce_to)
