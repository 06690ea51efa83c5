"""A picture of why: landmarks, face boxes, the crop guides and the failed checks drawn on the photo,
with the area each failed appearance check judged outlined in red."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.geometry import OUT_H, OUT_W, target_crop
from appliance.inference.checks.glasses import lens_box, lens_geometry
from appliance.inference.checks.headwear import crown_box
from appliance.inference.checks.occlusion import brow_band_box, ear_boxes
from appliance.inference.checks.sharpness import face_box
from appliance.inference.engine import Report

GREEN, RED, YELLOW, CYAN = (60, 200, 60), (40, 40, 230), (0, 220, 255), (220, 200, 0)


Box = tuple[float, float, float, float]


def _lens_boxes(analysis: Analysis) -> list[Box]:
    return [lens_box(centre, width) for centre, width in lens_geometry(analysis)]


def _face_boxes(analysis: Analysis) -> list[Box]:
    x0, y0, x1, y1 = face_box(analysis)
    return [(float(x0), float(y0), float(x1), float(y1))]


# The area a failed check judged, by check id, in the analysis' image pixels.
JUDGED_AREAS: dict[str, Callable[[Analysis], list[Box]]] = {
    "no_headwear": lambda a: [crown_box(a)],
    "hair_over_brows": lambda a: [brow_band_box(a)],
    "ears_visible": lambda a: [beside for beside, _ in ear_boxes(a)],
    "glasses_tint": _lens_boxes,
    "glasses_reflection": _lens_boxes,
    "glasses_glare": _lens_boxes,
    "sharpness": _face_boxes,
    "fine_detail": _face_boxes,
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
            for y_out, colour in ((80, GREEN), (250, YELLOW)):
                y = int(y0 + y_out / OUT_H * h)
                cv2.line(canvas, (int(x0), y), (int(x0 + w), y), colour, thick)
            cx = int(x0 + w / 2)
            half = int(120 / OUT_W * w)
            width_y = int(y0 + 300 / OUT_H * h)
            cv2.line(canvas, (cx - half, width_y), (cx + half, width_y), CYAN, thick)
    failed = [c for c in report.checks if not c.passed]
    if analysis.mesh is not None:
        for check in failed:
            for x0, y0, x1, y1 in JUDGED_AREAS.get(check.id, lambda _a: [])(analysis):
                cv2.rectangle(canvas, (int(x0 * scale), int(y0 * scale)), (int(x1 * scale), int(y1 * scale)), RED,
                              thick)
    header = 22 * (len(failed) + 1) + 8
    panel = np.full((header, canvas.shape[1], 3), 32, np.uint8)
    verdict = f"verdict: {report.verdict.upper()}"
    cv2.putText(panel, verdict, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, GREEN if not failed else RED, 1, cv2.LINE_AA)
    for row, check in enumerate(failed, start=1):
        value = "-" if check.value is None else f"{check.value:.3g}"
        text = f"{check.family}/{check.id} = {value} (limit {check.threshold}): {check.message_en}"
        cv2.putText(panel, text[:110], (8, 20 + 22 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (230, 230, 230), 1,
                    cv2.LINE_AA)
    return np.vstack([panel, canvas])


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
