"""Reading QR codes off camera frames of a phone screen.

Two decoders are available: zxing-cpp (fast, reads tilted and small codes) and zbar through pyzbar
(different binarization, sometimes reads what zxing misses under glare). `scan_qr` runs a short,
ordered list of passes and stops at the first that finds a code, so a clean frame costs one pass and
only hard frames pay for the retries. Which passes are in the default list was chosen by
scripts/bench_qr.py: each stays only because it raised the decode rate on the synthetic booth frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import zxingcpp

from appliance.errors import ImageError

Engine = Literal["combined", "combined-zbar", "zxing", "pyzbar"]
ENGINES: tuple[Engine, ...] = ("combined", "combined-zbar", "zxing", "pyzbar")


@dataclass(frozen=True)
class QrResult:
    """One decoded code: its text, the pass that read it, and its corners in the input frame."""

    text: str
    engine: str
    corners: tuple[tuple[float, float], ...] = ()


class ScannerUnavailableError(ImageError):
    """The configured QR engine cannot run on this machine."""


def _gray(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.size == 0 or image.ndim not in (2, 3):
        raise ImageError("QR scan: the frame is empty or not an image array")
    if image.dtype != np.uint8:
        raise ImageError(f"QR scan: expected an 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.shape[2] == 1:
        return image[..., 0]
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _zxing(gray: np.ndarray, binarizer: zxingcpp.Binarizer, scale: float, tag: str) -> list[QrResult]:
    results = zxingcpp.read_barcodes(
        gray,
        # The binding converts one BarcodeFormat to BarcodeFormats itself; its stub names only the latter.
        formats=zxingcpp.BarcodeFormat.QRCode,  # type: ignore[arg-type]
        try_rotate=False,  # QR finder patterns are found at any angle; this flag is for 1D codes
        try_downscale=True,
        try_invert=False,
        binarizer=binarizer,
    )
    found = []
    for result in results:
        if not result.valid:
            continue
        pos = result.position
        points = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
        corners = tuple((p.x / scale, p.y / scale) for p in points)
        found.append(QrResult(text=result.text, engine=tag, corners=corners))
    return found


def _zbar_decoder() -> Callable[[np.ndarray], list]:
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # OSError: the libzbar0 shared library is missing
        raise ScannerUnavailableError(
            f"QR scan: the pyzbar engine needs pyzbar and libzbar0 ({exc}); "
            "install them or set codes.scanner = \"zxing\""
        ) from None
    return lambda gray: pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])


def _zbar(gray: np.ndarray, scale: float, tag: str) -> list[QrResult]:
    found = []
    for symbol in _zbar_decoder()(gray):
        try:
            text = symbol.data.decode("utf-8")
        except UnicodeDecodeError:
            text = symbol.data.decode("gb18030", errors="replace")
        corners = tuple((p.x / scale, p.y / scale) for p in symbol.polygon)
        found.append(QrResult(text=text, engine=tag, corners=corners))
    return found


def _upscaled(gray: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _smoothed(gray: np.ndarray) -> np.ndarray:
    """A light blur removes the screen-pixel moire that breaks the binarizer's local thresholds."""
    return cv2.GaussianBlur(gray, (0, 0), 1.0)


Pass = Callable[[np.ndarray], list[QrResult]]

_ZXING_PASSES: dict[str, Pass] = {
    "zxing": lambda g: _zxing(g, zxingcpp.Binarizer.LocalAverage, 1.0, "zxing"),
    "zxing-smooth": lambda g: _zxing(_smoothed(g), zxingcpp.Binarizer.LocalAverage, 1.0, "zxing-smooth"),
    "zxing-global": lambda g: _zxing(g, zxingcpp.Binarizer.GlobalHistogram, 1.0, "zxing-global"),
    "zxing-x2": lambda g: _zxing(_upscaled(g, 2.0), zxingcpp.Binarizer.LocalAverage, 2.0, "zxing-x2"),
}
_ZBAR_PASSES: dict[str, Pass] = {
    "pyzbar": lambda g: _zbar(g, 1.0, "pyzbar"),
    "pyzbar-x2": lambda g: _zbar(_upscaled(g, 2.0), 2.0, "pyzbar-x2"),
}
ALL_PASSES: dict[str, Pass] = {**_ZXING_PASSES, **_ZBAR_PASSES}

# Measured by scripts/bench_qr.py (180 frames 1280x720, seed 7): plain zxing reads 96.7% (76.7% with
# --hard), mostly missing 2.5-3 px modules; a 2x upscale recovers most of them and a moire-smoothing
# pass a few more: 99.4% (93.9% hard) at p50 1.9 ms. zbar added nothing on the booth set and 1% on
# the hard set but costs ~18 ms on every frame without a code, so it is left out of the default;
# "combined-zbar" keeps it as a last resort.
PASS_ORDER: dict[Engine, tuple[str, ...]] = {
    "combined": ("zxing", "zxing-x2", "zxing-smooth"),
    "combined-zbar": ("zxing", "zxing-x2", "zxing-smooth", "pyzbar"),
    "zxing": ("zxing",),
    "pyzbar": ("pyzbar",),
}


def ensure_engine_available(engine: Engine) -> None:
    """Fail at start-up, not on the first student, when the engine's libraries are missing."""
    if engine not in PASS_ORDER:
        raise ValueError(f"unknown QR engine {engine!r}; use one of {', '.join(ENGINES)}")
    if any(name.startswith("pyzbar") for name in PASS_ORDER[engine]):
        _zbar_decoder()


def scan_with_passes(image_bgr: np.ndarray, passes: Sequence[str]) -> list[QrResult]:
    """Run the named passes in order and return the first non-empty result (for the benchmark)."""
    gray = _gray(image_bgr)
    if any(name.startswith("pyzbar") for name in passes):
        _zbar_decoder()
    for name in passes:
        found = ALL_PASSES[name](gray)
        if found:
            return _unique(found)
    return []


def _unique(results: list[QrResult]) -> list[QrResult]:
    seen: set[str] = set()
    kept = []
    for result in results:
        if result.text not in seen:
            seen.add(result.text)
            kept.append(result)
    return kept


def scan_qr(image_bgr: np.ndarray, engine: Engine = "combined") -> list[QrResult]:
    """Every QR code readable in a BGR (or grayscale) frame; an empty list when there is none.

    Raises ImageError for something that is not an 8-bit image, and ScannerUnavailableError when the
    chosen engine needs zbar and it is not installed (never a silent switch to another engine).
    """
    if engine not in PASS_ORDER:
        raise ValueError(f"unknown QR engine {engine!r}; use one of {', '.join(ENGINES)}")
    return scan_with_passes(image_bgr, PASS_ORDER[engine])
