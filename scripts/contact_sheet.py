"""Sources and their products side by side, with the crown, eye-line and face-width guides drawn.

A person judges a batch at a glance: each tile is the source (scaled to the tile height) and the
product with the preset's allowed bands shaded (crown, eye line), the measured crown, eye line and
cheek-to-cheek width drawn, and the verdict or refusal written under it. The sheet shows people's
photos, so it is written only into out/ (git-ignored) or somewhere outside the repository.

    .venv/bin/python scripts/contact_sheet.py OUT.png [IMAGES...]
        default images: a few booth-like stills from ../shared/faces
    .venv/bin/python scripts/contact_sheet.py --portraits out/cfd_sheet.png
        the CFD studio portraits (photos people bring), produced as files; prints the tally
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from appliance.app import build_analyzer
from appliance.produce.config import PhotoSpec
from appliance.produce.photo import produce_photo
from appliance.produce.verify import product_geometry
from appliance.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent

TILE_H = 320
CAPTION_H = 28
COLUMNS = 4


def default_images() -> list[Path]:
    faces = ROOT.parent / "shared" / "faces"
    picks = sorted((faces / "a_good_frontal").glob("dpf_*")) + sorted((faces / "c_mouth_open_teeth").glob("dpf_img1*"))
    return [*picks, faces / "c_mouth_open_teeth" / "frec_biden2.jpg", faces / "a_good_frontal" / "hivi_test0.jpg"]


def portrait_images() -> list[Path]:
    """The CFD studio portraits among the good frontal photos (head and shoulders, close crop)."""
    return sorted(p for p in (ROOT.parent / "shared" / "faces" / "a_good_frontal").glob("*")
                  if "cfd" in p.name.lower())


def allowed_output(path: Path) -> bool:
    """Inside the repository only out/ may hold pictures of people (it is git-ignored)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(ROOT):
        return True
    return resolved.is_relative_to(ROOT / "out")


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


def tile_for(path: Path, analyzer, settings, kind: str) -> tuple[np.ndarray, str]:
    spec = settings.produce.spec()
    source = cv2.imread(str(path))
    result = produce_photo(analyzer, source, settings, kind=kind)
    left = cv2.resize(source, (round(source.shape[1] * TILE_H / source.shape[0]), TILE_H),
                      interpolation=cv2.INTER_AREA)
    if result.image is not None and result.report is not None:
        right = draw_guides(result.image, spec, result.report.analysis)
    else:
        right = np.full((spec.height, spec.width, 3), 60, np.uint8)
        if result.image is not None:
            right = (result.image * 0.5).astype(np.uint8)
    right = cv2.resize(right, (round(right.shape[1] * TILE_H / right.shape[0]), TILE_H),
                       interpolation=cv2.INTER_AREA)
    tile = np.hstack([left, np.full((TILE_H, 6, 3), 255, np.uint8), right])
    caption = np.full((CAPTION_H, tile.shape[1], 3), 255, np.uint8)
    outcome = "PASS" if result.ok else result.code
    text = f"{path.stem[:22]}: " + ("PASS" if result.ok else f"{result.code}: {result.reason_en}")
    colour = (0, 120, 0) if result.ok else (0, 0, 200)
    cv2.putText(caption, text[:60], (4, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    return np.vstack([tile, caption]), outcome


def grid(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    width = max(t.shape[1] for t in tiles) + 10
    height = tiles[0].shape[0] + 10
    rows = -(-len(tiles) // columns)
    sheet = np.full((rows * height, columns * width, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        y, x = (i // columns) * height, (i % columns) * width
        sheet[y:y + tile.shape[0], x:x + tile.shape[1]] = tile
    return sheet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--portraits", action="store_true",
                        help="the CFD studio portraits of ../shared/faces, produced as brought files")
    parser.add_argument("--columns", type=int, default=COLUMNS)
    args = parser.parse_args()
    if not allowed_output(args.output):
        print(f"contact_sheet: {args.output} is inside the repository: write pictures of people "
              "under out/ (git-ignored) or outside it", file=sys.stderr)
        return 2
    chosen = args.images or (portrait_images() if args.portraits else default_images())
    images = [p for p in chosen if p.exists()]
    if not images:
        print("contact_sheet: no images (../shared/faces is absent; name some)", file=sys.stderr)
        return 2
    settings = load_settings()
    analyzer = build_analyzer(settings)
    kind = "file" if args.portraits else "camera"
    tiles, outcomes = [], Counter()
    for number, path in enumerate(images, 1):
        tile, outcome = tile_for(path, analyzer, settings, kind)
        tiles.append(tile)
        outcomes[outcome] += 1
        print(f"[{number}/{len(images)}] {path.name}: {outcome}", file=sys.stderr, flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.output), grid(tiles, max(1, args.columns)))
    tally = ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
    print(f"contact sheet: {args.output} ({len(tiles)} sources; {tally})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
