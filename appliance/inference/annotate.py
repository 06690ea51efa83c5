"""A picture of why: landmarks, face boxes, the crop guides and the failed checks drawn on the photo,
with the area each failed appearance check judged outlined in red."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.geometry import FRAMING_PRESET, OUT_H, OUT_W, target_crop
from appliance.inference.checks.glasses import GLASSES_GLARE, GLASSES_REFLECTION, GLASSES_TINT, lens_box, lens_geometry
from appliance.inference.checks.headwear import NO_HEADWEAR, crown_box
from appliance.inference.checks.occlusion import EARS_VISIBLE, HAIR_OVER_BROWS, brow_band_box, ear_boxes
from appliance.inference.checks.sharpness import FINE_DETAIL, SHARPNESS, face_box
from appliance.inference.engine import Report

log = logging.getLogger(__name__)

GREEN, RED, YELLOW, CYAN = (60, 200, 60), (40, 40, 230), (0, 220, 255), (220, 200, 0)


Box = tuple[float, float, float, float]


def _lens_boxes(analysis: Analysis) -> list[Box]:
    return [lens_box(centre, width) for centre, width in lens_geometry(analysis)]


def _face_boxes(analysis: Analysis) -> list[Box]:
    x0, y0, x1, y1 = face_box(analysis)
    return [(float(x0), float(y0), float(x1), float(y1))]


# The area a failed check judged, by check id, in the analysis' image pixels.
JUDGED_AREAS: dict[str, Callable[[Analysis], list[Box]]] = {
    NO_HEADWEAR.id: lambda a: [crown_box(a)],
    HAIR_OVER_BROWS.id: lambda a: [brow_band_box(a)],
    EARS_VISIBLE.id: lambda a: [beside for beside, _ in ear_boxes(a)],
    GLASSES_TINT.id: _lens_boxes,
    GLASSES_REFLECTION.id: _lens_boxes,
    GLASSES_GLARE.id: _lens_boxes,
    SHARPNESS.id: _face_boxes,
    FINE_DETAIL.id: _face_boxes,
}


def draw_annotation(report: Report) -> np.ndarray:
    analysis = report.analysis
    canvas = analysis.bgr.copy()
    scale = 900 / max(canvas.shape[:2])
    if scale < 1:
        canvas = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    else:
        scale = 1.0
    thick = max(1, round(canvas.shape[0] / 400))
    for index, face in enumerate(analysis.faces):
        x0, y0, x1, y1 = (face.box * scale).astype(int)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), GREEN if index == 0 else RED, thick)
    if analysis.mesh is not None:
        for x, y, _ in analysis.mesh.points * scale:
            cv2.circle(canvas, (int(x), int(y)), max(1, thick // 2), CYAN, -1)
        if analysis.eyes is not None:
            for eye in analysis.eyes:
                centre = (eye.iris[0] * scale).astype(int)
                radius = max(2, int(eye.iris_radius * scale))
                cv2.circle(canvas, (int(centre[0]), int(centre[1])), radius, YELLOW, thick)
        if not analysis.live:
            crop = target_crop(analysis)
            x0, y0 = crop.x0 * scale, crop.y0 * scale
            w, h = crop.width * scale, crop.height * scale
            cv2.rectangle(canvas, (int(x0), int(y0)), (int(x0 + w), int(y0 + h)), YELLOW, thick)
            # the preset's crown and eye-line targets, and its target face width
            for y_out, colour in ((FRAMING_PRESET.crown_y.target, GREEN), (FRAMING_PRESET.eye_y.target, YELLOW)):
                y = int(y0 + y_out / OUT_H * h)
                cv2.line(canvas, (int(x0), y), (int(x0 + w), y), colour, thick)
            cx = int(x0 + w / 2)
            half = int(FRAMING_PRESET.face_width.target / 2 / OUT_W * w)
            width_y = int(y0 + 300 / OUT_H * h)
            cv2.line(canvas, (cx - half, width_y), (cx + half, width_y), CYAN, thick)
    failed = [c for c in report.checks if not c.passed]
    if analysis.mesh is not None:
        for check in failed:
            for x0, y0, x1, y1 in JUDGED_AREAS.get(check.id, lambda _a: [])(analysis):
                cv2.rectangle(canvas, (int(x0 * scale), int(y0 * scale)), (int(x1 * scale), int(y1 * scale)), RED,
                              thick)
    verdict_zh = "通过" if not failed else "不通过"
    lines = [(f"结果 {verdict_zh} / verdict: {report.verdict.upper()}", GREEN if not failed else RED)]
    for check in failed:
        value = "-" if check.value is None else f"{check.value:.3g}"
        lines.append((f"{check.id} = {value} (限值 limit {check.threshold}): {check.message_zh} / {check.message_en}",
                      (230, 230, 230)))
    return np.vstack([text_panel(lines, canvas.shape[1]), canvas])


# Fonts with Chinese glyphs, in the order tried (scripts/setup.sh and install-pi.sh install WenQuanYi).
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def cjk_font(size: int) -> Any:
    """A Pillow font that draws Chinese, or None when none is installed (the panel is then English)."""
    from PIL import ImageFont

    for path in CJK_FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return None


def text_panel(lines: list[tuple[str, tuple[int, int, int]]], width: int) -> np.ndarray:
    """The dark header of an annotation: one line per entry (BGR colour), Chinese and English."""
    from PIL import Image, ImageDraw

    font = cjk_font(15)
    height = 22 * len(lines) + 8
    if font is None:
        log.warning("annotate: no Chinese font installed (fonts-wqy-microhei): the panel is English only")
        panel = np.full((height, width, 3), 32, np.uint8)
        for row, (text, colour) in enumerate(lines):
            english = text.split(" / ", 1)[-1] if " / " in text else text
            cv2.putText(panel, english.encode("ascii", "replace").decode()[:110], (8, 18 + 22 * row),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
        return panel
    image = Image.new("RGB", (width, height), (32, 32, 32))
    draw = ImageDraw.Draw(image)
    for row, (text, colour) in enumerate(lines):
        shown = text
        while shown and draw.textlength(shown, font=font) > width - 16:
            shown = shown[:-1]
        draw.text((8, 4 + 22 * row), shown, font=font, fill=(colour[2], colour[1], colour[0]))
    return np.asarray(image)[:, :, ::-1].copy()


def write_annotation(path: Path, report: Report) -> Path:
    path = Path(path)
    image = draw_annotation(report)
    ok, encoded = cv2.imencode(path.suffix or ".png", image)
    if not ok:
        raise OSError(f"cannot encode {path}")
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(encoded.tobytes())
    os.replace(tmp, path)
    return path
