"""What the operator sees of one stored photo: its failed checks and a picture of why.

The annotated picture is made on request from the committed photo and handed straight to the
browser: it shows a face, so it is never cached or written anywhere, and it costs one engine pass
(shared with the live session) only when an operator asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from appliance.errors import ApplianceError
from appliance.inference.annotate import draw_annotation

_ANNOTATED_QUALITY = 85


class PhotoNotReadable(ApplianceError):
    """The stored bytes do not decode as an image."""


@dataclass(frozen=True)
class FailedCheck:
    id: str
    message_zh: str
    message_en: str
    advisory: bool  # shown but not blocking (the demo's advisory checks)


def failed_checks(report: dict[str, Any] | None) -> list[FailedCheck]:
    """The failed checks of a stored report, in the engine's priority order."""
    if not report:
        return []
    advisory = set(report.get("advisory") or ())
    failed = []
    for check in report.get("checks") or ():
        if isinstance(check, dict) and check.get("passed") is False:
            check_id = str(check.get("id", "?"))
            failed.append(FailedCheck(check_id, str(check.get("message_zh", "")), str(check.get("message_en", "")),
                                      check_id in advisory))
    return failed


def annotated_jpeg(analyzer: Any, jpeg_bytes: bytes) -> bytes:
    """The committed photo analysed as a product, with landmarks, guides and failures drawn on it."""
    bgr = cv2.imdecode(np.frombuffer(jpeg_bytes, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise PhotoNotReadable("the stored photo cannot be decoded")
    report = analyzer.check(bgr, product=True)
    ok, encoded = cv2.imencode(".jpg", draw_annotation(report), [cv2.IMWRITE_JPEG_QUALITY, _ANNOTATED_QUALITY])
    if not ok:
        raise PhotoNotReadable("the annotated picture cannot be encoded")
    return encoded.tobytes()
