"""How the sharpness family's fine-detail measure separates sharp faces from enlarged or blurred
ones, on photos whose faces are large enough to be reduced to the judging width.

Every photo with a face at least --min-face px wide is reduced to the measure's judging width
(the "native" row), and the same face is also made from a smaller copy enlarged back (linear or
cubic, with and without JPEG), or blurred. The table gives the measure's spread per variant and
the share of faces the configured limit would refuse. Spoofed photos (recaptures) are left out:
they are not live faces.

    .venv/bin/python scripts/sharpness_study.py [FOLDER] [--min-face 180]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from appliance.app import build_analyzer
from appliance.errors import ImageError
from appliance.imageio import load_image
from appliance.inference.checks.sharpness import DETAIL_WIDTH, detail_within, face_box
from appliance.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent

SKIP_FOLDERS = {"h_blur_lowres", "j_spoof_recapture"}  # already blurred or not live
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def jpeg(gray: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def variants(crop: np.ndarray, face_width: float) -> dict[str, np.ndarray]:
    scale = DETAIL_WIDTH / face_width
    native = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    size = (native.shape[1], native.shape[0])
    out = {"native": native, "native, JPEG q50": jpeg(native, 50)}
    for source in (40, 50, 60, 70):
        small = cv2.resize(crop, None, fx=source / face_width, fy=source / face_width, interpolation=cv2.INTER_AREA)
        for name, interpolation in (("linear", cv2.INTER_LINEAR), ("cubic", cv2.INTER_CUBIC)):
            enlarged = cv2.resize(small, size, interpolation=interpolation)
            out[f"from {source} px, {name}"] = enlarged
            out[f"from {source} px, {name}, JPEG q80"] = jpeg(enlarged, 80)
    for sigma in (0.8, 1.2):
        out[f"blurred sigma {sigma}"] = cv2.GaussianBlur(native, (0, 0), sigma)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument("--min-face", type=float, default=180.0, help="smallest face width (px) to use")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"sharpness_study: no folder {args.folder}", file=sys.stderr)
        return 2
    settings = load_settings()
    limit = settings.checks.sharpness.min_detail
    analyzer = build_analyzer(settings)
    table: dict[str, list[float]] = {}
    photos = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                    and p.parent.name not in SKIP_FOLDERS)
    for number, path in enumerate(photos, 1):
        print(f"\r[{number}/{len(photos)}] {path.name[:50]:50}", end="", file=sys.stderr, flush=True)
        try:
            image = load_image(path)
        except ImageError:
            continue
        analysis = analyzer.analyze(image.bgr, grayscale=image.grayscale).for_checks
        if analysis.mesh is None or analysis.face_width < args.min_face:
            continue
        x0, y0, x1, y1 = face_box(analysis)
        crop = analysis.luma[y0:y1, x0:x1]
        outline = (analysis.face_polygon - np.array([x0, y0])) * (DETAIL_WIDTH / analysis.face_width)
        for name, variant in variants(crop, analysis.face_width).items():
            table.setdefault(name, []).append(detail_within(variant, outline))
    print(file=sys.stderr)
    if not table:
        print("sharpness_study: no face large enough", file=sys.stderr)
        return 1
    print(f"fine detail at a {DETAIL_WIDTH} px face; limit {limit:g} (refused below)")
    print(f"{'variant':32} {'n':>3} {'min':>6} {'p10':>6} {'median':>6} {'p90':>6} {'refused':>8}")
    for name, values in table.items():
        v = np.array(values)
        print(f"{name:32} {len(v):3d} {v.min():6.3f} {np.percentile(v, 10):6.3f} {np.median(v):6.3f} "
              f"{np.percentile(v, 90):6.3f} {np.mean(v < limit):8.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
