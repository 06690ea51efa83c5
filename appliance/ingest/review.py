"""The reviewer's side of the collection server (`appliance serve-ingest review`): list the photos
waiting for a decision, show one photo's checks, decide with a reason from a fixed list.

A collection unit that still wants its 24-48 h human review runs it here instead of writing its
own signed client. The reasons are the photo rules of SPEC.md section 3, so the booth's operator
sees the same words the checks use; a free-text note may follow.
"""

from __future__ import annotations

from typing import Any

from appliance.errors import ApplianceError
from appliance.ingest.metadata import Metadata, ServerPhoto
from appliance.privacy import mask_code

REASONS: dict[str, str] = {
    "ok": "合格 / meets the rules",
    "pose": "头部未摆正 / head turned, tilted or lowered",
    "eyes": "眼睛未自然睁开或未看镜头 / eyes not open or not looking at the lens",
    "expression": "露齿或表情不自然 / teeth showing or expression not neutral",
    "headwear": "佩戴帽子或头饰 / hat, cap or head ornament",
    "hair_ears": "头发遮挡眉眼或耳朵未露出 / hair over brows or eyes, ears not visible",
    "glasses": "眼镜反光、有色镜片或镜框遮眼 / lens glare, tinted lenses or frames over the eyes",
    "jewellery": "佩戴耳环、项链等饰品 / earrings, necklace or other jewellery",
    "lighting": "光照不均、阴阳脸或曝光不当 / uneven light, half-lit face or wrong exposure",
    "sharpness": "照片模糊 / photo not sharp",
    "clothing": "服装与背景相近或不得体 / clothes like the background or not suitable",
    "background": "背景不符合要求 / background not as required",
    "not_live": "翻拍照片或屏幕 / a photo of a photo or a screen",
    "wrong_person": "照片与考生不符 / not the student of this capture code",
    "other": "其他（见备注） / other (see note)",
}


class ReviewError(ApplianceError):
    pass


def reason_text(code: str, note: str | None) -> str:
    if code not in REASONS:
        raise ReviewError(f"review: unknown reason {code!r}; one of: {', '.join(REASONS)}")
    if code == "other" and not (note and note.strip()):
        raise ReviewError("review: reason 'other' needs a --note saying what is wrong")
    text = REASONS[code]
    return f"{text}: {note.strip()[:300]}" if note and note.strip() else text


def decide(metadata: Metadata, sha256: str, state: str, code: str, note: str | None, now: float) -> str:
    """Record the decision; returns the reason text stored (and reported back to the booth)."""
    if state not in ("accepted", "rejected"):
        raise ReviewError("review: the decision is accepted or rejected")
    if state == "rejected" and code == "ok":
        raise ReviewError("review: a rejection needs the rule the photo breaks (not 'ok')")
    text = reason_text(code, note)
    if not metadata.set_review(sha256, state, text, now):
        raise ReviewError(f"review: no photo {sha256[:12]}… on this server")
    return text


def summary_row(photo: ServerPhoto) -> dict[str, Any]:
    """What a list shows: codes masked, no name (the photo itself is opened on purpose, one at a time)."""
    return {
        "sha256": photo.sha256, "school_code": photo.school_code, "capture_code": mask_code(photo.capture_code),
        "device_id": photo.device_id, "received_at": photo.received_at, "verdict": photo.report.get("verdict"),
    }


def check_lines(report: dict[str, Any]) -> list[str]:
    """The booth's checks as sent in its report: id, family, measured value, the limit applied,
    pass/fail and the guidance of the failed ones."""
    lines = []
    for check in report.get("checks") or []:
        if not isinstance(check, dict):
            continue
        mark = "ok" if check.get("passed") else "XX"
        line = (f"  {mark} {check.get('family', ''):<10} {check.get('id', ''):<22}"
                f" {_fmt(check.get('value')):>8} (limit {_fmt(check.get('threshold'))})")
        if not check.get("passed"):
            line += f"  {check.get('message_zh', '')} / {check.get('message_en', '')}"
        lines.append(line)
    return lines or ["  (the booth sent no checks)"]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)[:20]
