"""The print sheet a collection company hands back: 8 x 1寸 and 4 x 2寸 on one 6-inch print.

6-inch paper is 6 x 4 in (1800 x 1200 px at 300 dpi). 1寸 is 25 x 35 mm and 2寸 35 x 49 mm; the
twelve prints fit only with two of the 1寸 turned sideways, so the layout is fixed here: the 2寸 in
a 2 x 2 block on the left, six 1寸 in a 3 x 2 block and two turned 1寸 below them on the right.
Cut marks sit in the gutters at every corner, on the lines of the print's edges.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

DPI = 300
PAPER_W, PAPER_H = 1800, 1200  # 6 x 4 in
ONE_INCH = (295, 413)  # 25 x 35 mm
TWO_INCH = (413, 579)  # 35 x 49 mm
GUTTER = 14  # white space between prints and at the paper's edge, px (1.2 mm)
MARK = 8  # cut-mark length, px
GAP_MARK = 2  # space between a print's edge and its mark


@dataclass(frozen=True)
class Slot:
    x: int
    y: int
    width: int
    height: int
    turned: bool = False  # the print is placed rotated by 90 degrees


def layout() -> list[Slot]:
    """Twelve slots on the paper: 4 x 2寸 on the left, 8 x 1寸 on the right, GUTTER apart."""
    one_w, one_h = ONE_INCH
    two_w, two_h = TWO_INCH
    g = GUTTER
    slots = [Slot(g + c * (two_w + g), g + r * (two_h + g), two_w, two_h) for r in range(2) for c in range(2)]
    right_x = 3 * g + 2 * two_w
    for r in range(2):
        slots += [Slot(right_x + c * (one_w + g), g + r * (one_h + g), one_w, one_h) for c in range(3)]
    turned_y = 3 * g + 2 * one_h
    slots += [Slot(right_x + c * (one_h + g), turned_y, one_h, one_w, turned=True) for c in range(2)]
    return slots


def _fit(photo_rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to cover the print size and trim the excess evenly: proportions are never distorted."""
    src_h, src_w = photo_rgb.shape[:2]
    scale = max(width / src_w, height / src_h)
    resized = cv2.resize(photo_rgb, (max(width, round(src_w * scale)), max(height, round(src_h * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    y0 = (resized.shape[0] - height) // 2
    x0 = (resized.shape[1] - width) // 2
    return resized[y0:y0 + height, x0:x0 + width]


def _cut_marks(sheet: np.ndarray, slot: Slot) -> None:
    corners = [(slot.x, slot.y), (slot.x + slot.width, slot.y), (slot.x, slot.y + slot.height),
               (slot.x + slot.width, slot.y + slot.height)]
    for cx, cy in corners:
        sx = -1 if cx == slot.x else 1
        sy = -1 if cy == slot.y else 1
        x_edge = cx - 1 if sx < 0 else cx
        y_edge = cy - 1 if sy < 0 else cy
        # a horizontal mark on the line of the horizontal edge, a vertical one on the vertical edge
        h0, h1 = sorted((x_edge + sx * GAP_MARK, x_edge + sx * (GAP_MARK + MARK)))
        v0, v1 = sorted((y_edge + sy * GAP_MARK, y_edge + sy * (GAP_MARK + MARK)))
        sheet[y_edge, max(h0, 0):max(h1, 0)] = 0
        sheet[max(v0, 0):max(v1, 0), x_edge] = 0


def build_sheet(photo_bgr: np.ndarray) -> np.ndarray:
    """The 1800 x 1200 RGB sheet (white paper, twelve prints, cut marks)."""
    rgb = cv2.cvtColor(photo_bgr, cv2.COLOR_BGR2RGB)
    sheet = np.full((PAPER_H, PAPER_W, 3), 255, np.uint8)
    for slot in layout():
        if slot.turned:
            print_rgb = cv2.rotate(_fit(rgb, slot.height, slot.width), cv2.ROTATE_90_COUNTERCLOCKWISE)
        else:
            print_rgb = _fit(rgb, slot.width, slot.height)
        sheet[slot.y:slot.y + slot.height, slot.x:slot.x + slot.width] = print_rgb
        _cut_marks(sheet, slot)
    return sheet


def sheet_files(sheet_rgb: np.ndarray, image_format: str) -> tuple[bytes, bytes]:
    """The sheet as an image file (PNG or JPEG, 300 dpi) and as a one-page PDF of 6 x 4 in."""
    image = Image.fromarray(sheet_rgb, mode="RGB")
    picture, pdf = io.BytesIO(), io.BytesIO()
    if image_format == "JPEG":
        image.save(picture, format="JPEG", quality=95, dpi=(DPI, DPI), subsampling="4:4:4")
    else:
        image.save(picture, format="PNG", dpi=(DPI, DPI))
    image.save(pdf, format="PDF", resolution=float(DPI))
    return picture.getvalue(), pdf.getvalue()
