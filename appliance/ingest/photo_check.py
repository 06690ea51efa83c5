"""Is an upload really a JPEG photo? Decoded, not just its first and last two bytes looked at.

A 4-byte `FFD8FFD9` or an HTML page wrapped in JPEG markers has the right start and end; only a
full decode tells a photo from a polyglot. The pixel count is read from the header first, so a
small file that claims a huge image is refused before any memory is spent on it.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 25_000_000  # far above the 480x640 standard photo; a bound, not a rule of the product
MIN_SIDE = 8


def jpeg_problem(data: bytes) -> str | None:
    """None for a complete, decodable JPEG; otherwise what is wrong with it (for the refusal)."""
    if not (data.startswith(b"\xff\xd8") and data.rstrip(b"\0").endswith(b"\xff\xd9")):
        return "the photo is not a complete JPEG (start or end marker missing)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return f"the photo is {width}x{height} pixels, more than {MAX_PIXELS}"
                if min(width, height) < MIN_SIDE:
                    return f"the photo is {width}x{height} pixels, too small to be a photo"
                # Every entropy-coded block is still decoded, but at 1/8 scale: a worker's memory
                # per check stays small whatever size the header claims.
                image.draft(image.mode, (max(width // 8, 1), max(height // 8, 1)))
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        return f"the photo cannot be decoded as a JPEG ({type(exc).__name__})"
    return None
