"""Sources and their products side by side, with the crown, eye-line and face-width guides drawn.

A person judges a batch at a glance: each row is the source (scaled to the row height) and the
product with the preset's allowed bands shaded (crown, eye line), the measured crown, eye line and
cheek-to-cheek width drawn, and the verdict or refusal written under it.

    .venv/bin/python scripts/contact_sheet.py OUT.png [IMAGES...]   (default: ../shared/faces/a_good_frontal
                                                                       and the large c_ images)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appliance.app import build_analyzer  # noqa: E402
from appliance.produce.config import PhotoSpec  # noqa: E402
from appliance.produce.photo import produce_photo  # noqa: E402
from appliance.produce.verify import product_geometry  # noqa: E402
from appliance.settings import load_settings  # noqa: E402

ROW_H = 640
CAPTION_H = 40


def default_images() -> list[Path]:
    faces = ROOT.parent / "shared" / "faces"
    picks = sorted((faces / "a_good_frontal").glob("dpf_*")) + sorted((faces / "c_mouth_open_teeth").glob("dpf_img1*"))
    return [*picks, faces / "c_mouth_open_teeth" / "frec_biden2.jpg", faces / "a_good_frontal" / "hivi_test0.jpg"]


def draw_guides(product: np.ndarray, spec: PhotoSpec, analysis) -> np.ndarray:
    canvas = product.copy()
    overlay = canvas.copy()
    for band, colour in ((spec.crown_y, (0, 200, 255)), (spec.eye_y, (0, 255, 0))):
        cv2.rectangle(overlay, (0, int(band.low)), (spec.width, int(band.high)), colour, -1)
    cv2.addWeighted(overlay, 0.18, canvas, 0.82, 0, canvas)
    centre = spec.width // 2
    cv2.line(canvas, (centre, 0), (centre, spec.height), (255, 255, 255), 1)
    geo = product_geometry(analysis)
    if geo is not None:
        cv2.line(canvas, (0, round(geo.crown_y)), (spec.width, round(geo.crown_y)), (0, 140, 255), 2)
        cv2.line(canvas, (0, round(geo.eye_y)), (spec.width, round(geo.eye_y)), (0, 200, 0), 2)
        half = geo.face_width / 2
        y = round(geo.eye_y + 60)
        cv2.line(canvas, (round(geo.centre_x - half), y), (round(geo.centre_x + half), y), (255, 0, 255), 2)
        for x in (geo.centre_x - half, geo.centre_x + half):
            cv2.line(canvas, (round(x), y - 10), (round(x), y + 10), (255, 0, 255), 2)
        cv2.putText(canvas, f"crown {geo.crown_y:.0f} eye {geo.eye_y:.0f} face {geo.face_width:.0f}",
                    (6, spec.height - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def row_for(path: Path, analyzer, settings) -> np.ndarray:
    spec = settings.produce.spec()
    source = cv2.imread(str(path))
    result = produce_photo(analyzer, source, settings)
    left = cv2.resize(source, (round(source.shape[1] * ROW_H / source.shape[0]), ROW_H),
                      interpolation=cv2.INTER_AREA)
    if result.image is not None and result.report is not None:
        right = draw_guides(result.image, spec, result.report.analysis)
    else:
        right = np.full((spec.height, spec.width, 3), 60, np.uint8)
        if result.image is not None:
            right = (result.image * 0.5).astype(np.uint8)
    right = cv2.resize(right, (round(right.shape[1] * ROW_H / right.shape[0]), ROW_H))
    row = np.hstack([left, np.full((ROW_H, 8, 3), 255, np.uint8), right])
    caption = np.full((CAPTION_H, row.shape[1], 3), 255, np.uint8)
    text = f"{path.name}: " + ("PASS" if result.ok else f"{result.code}: {result.reason_en}")
    cv2.putText(caption, text[:110], (6, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([row, caption])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("images", nargs="*", type=Path)
    args = parser.parse_args()
    images = args.images or [p for p in default_images() if p.exists()]
    if not images:
        print("contact_sheet: no images (../shared/faces is absent; name some)", file=sys.stderr)
        return 2
    settings = load_settings()
    analyzer = build_analyzer(settings)
    rows = [row_for(p, analyzer, settings) for p in images]
    width = max(r.shape[1] for r in rows)
    rows = [np.hstack([r, np.full((r.shape[0], width - r.shape[1], 3), 255, np.uint8)]) for r in rows]
    cv2.imwrite(str(args.output), np.vstack(rows))
    print(f"contact sheet: {args.output} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
