"""How the single-frame paper-texture cues read real photos, real recaptures and rendered prints.

The cues (`halftone`, `gloss` in appliance/inference/checks/liveness.py) are measured on:
- ../shared/faces/a_good_frontal: live subjects; every alarm here is a student refused on a guess;
- ../shared/faces/j_spoof_recapture: photos of prints and screens from other sources;
- controlled variants of the good photos: each one rendered as a print and photographed again
  (`print_variant`): the photo's colours separated into CMYK, each ink laid on its own rotated
  amplitude-modulated dot screen with dot gain, on paper with a grain, lit unevenly, integrated by
  camera pixels at a chosen halftone period, blurred by the lens, with sensor noise and JPEG; and
  a continuous-tone glossy photo print (no dots) with a broad mirrored highlight (`glossy_variant`).
The variants' photos never leave `out/` (git-ignored).

    .venv/bin/python scripts/paper_texture_study.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces"
# Screen angles of the four inks (cyan, magenta, yellow, black), as offset printing sets them.
INK_ANGLES_DEG = (15.0, 75.0, 0.0, 45.0)
SUPERSAMPLE = 2


def _screen(shape: tuple[int, int], period: float, angle_deg: float) -> np.ndarray:
    """A round-dot threshold map (0..1) on a screen rotated by `angle_deg`."""
    a = np.radians(angle_deg)
    yy = np.arange(shape[0], dtype=np.float32)[:, None]
    xx = np.arange(shape[1], dtype=np.float32)[None, :]
    k = np.float32(2 * np.pi / period)
    u = (xx * np.float32(np.cos(a)) + yy * np.float32(np.sin(a))) * k
    v = (yy * np.float32(np.cos(a)) - xx * np.float32(np.sin(a))) * k
    return 0.5 + 0.25 * (np.cos(u) + np.cos(v))


def print_variant(photo: np.ndarray, period_px: float, rng: np.random.Generator, *,
                  long_side: int = 640) -> np.ndarray:
    """`photo` (BGR uint8) printed with a halftone whose period the camera sees as `period_px`
    pixels, and photographed again at `long_side` pixels."""
    scale = long_side / max(photo.shape[:2])
    size = (round(photo.shape[1] * scale) * SUPERSAMPLE, round(photo.shape[0] * scale) * SUPERSAMPLE)
    rgb = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)[..., ::-1].astype(np.float32) / 255.0
    cmy = 1.0 - rgb
    black = 0.7 * cmy.min(axis=2)
    coverage = np.dstack([cmy - black[..., None], black])  # C, M, Y, K
    shift = rng.uniform(0, 360)
    reflect = np.ones_like(rgb)
    # Each ink absorbs its complementary primary (black absorbs all), imperfectly.
    absorb = np.array([[0.9, 0.1, 0.05], [0.1, 0.85, 0.1], [0.02, 0.1, 0.9], [0.9, 0.9, 0.9]], np.float32)
    for k in range(4):
        dots = (coverage[..., k] > _screen(coverage.shape[:2], period_px * SUPERSAMPLE,
                                           INK_ANGLES_DEG[k] + shift)).astype(np.float32)
        dots = cv2.GaussianBlur(dots, (0, 0), 0.4 * SUPERSAMPLE)  # dot gain: ink spreads in paper
        reflect *= 1.0 - dots[..., None] * absorb[k][None, None]
    grain = cv2.GaussianBlur(rng.standard_normal(reflect.shape[:2]).astype(np.float32), (0, 0), 1.5)
    paper = rng.uniform(0.85, 0.95) * (1.0 + 0.06 * grain / max(float(grain.std()), 1e-6))
    reflect *= paper[..., None]
    return _photographed(reflect, rng)


def glossy_variant(photo: np.ndarray, rng: np.random.Generator, *, long_side: int = 640) -> np.ndarray:
    """`photo` as a continuous-tone glossy print, photographed with a light mirrored across the face."""
    scale = long_side / max(photo.shape[:2])
    size = (round(photo.shape[1] * scale) * SUPERSAMPLE, round(photo.shape[0] * scale) * SUPERSAMPLE)
    rgb = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)[..., ::-1].astype(np.float32) / 255.0
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.35, 0.65) * w, rng.uniform(0.35, 0.6) * h
    rx, ry = rng.uniform(0.08, 0.15) * w, rng.uniform(0.05, 0.1) * h
    glint = np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) ** 2)
    reflect = rgb * 0.92 + 1.6 * glint[..., None]
    return _photographed(reflect, rng)


def _photographed(reflect: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A camera's view of a lit sheet: uneven light, pixel integration, lens blur, noise, JPEG."""
    h, w = reflect.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 + rng.uniform(-0.15, 0.15) * (xx / w - 0.5) + rng.uniform(-0.1, 0.1) * (yy / h - 0.5)
    lit = reflect * light[..., None] * rng.uniform(0.9, 1.1)
    small = cv2.resize(lit, (w // SUPERSAMPLE, h // SUPERSAMPLE), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.4, 0.7))
    small += rng.normal(0.0, 1.5 / 255.0, small.shape).astype(np.float32)
    bgr = np.clip(small[..., ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(85, 96))])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def cues_of(analyzer, image: np.ndarray) -> dict | None:
    """The liveness check's cues on `image` as the engine measures a still (None: no face)."""
    from appliance.inference.checks.liveness import spoof_cues

    analysis = analyzer.analyze(image)
    view = analysis.for_checks
    if view.mesh is None:
        return None
    return spoof_cues(view)


def main() -> int:
    from appliance.app import build_analyzer
    from appliance.inference.checks.liveness import combined_score
    from appliance.inference.config import LivenessSettings
    from appliance.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="good photos used for variants (0: all)")
    parser.add_argument("--periods", default="2.5,3.5,5", help="halftone periods (px) of the variants")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--save", action="store_true", help="write the variants to out/paper_texture/")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    analyzer = build_analyzer(load_settings())
    limit = LivenessSettings().max_spoof_score
    rng = np.random.default_rng(args.seed)
    periods = [float(p) for p in args.periods.split(",")]
    rows: dict[str, list[dict]] = {}
    good = sorted(p for p in (FACES / "a_good_frontal").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    spoof = sorted(p for p in (FACES / "j_spoof_recapture").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    out = Path("out/paper_texture")
    if args.save:
        out.mkdir(parents=True, exist_ok=True)

    def add(group: str, name: str, image: np.ndarray | None) -> None:
        if image is None:
            return
        cues = cues_of(analyzer, image)
        if cues is None:
            rows.setdefault(group, []).append({"name": name, "face": False})
            return
        score = combined_score(cues)
        rows.setdefault(group, []).append({"name": name, "face": True, "score": round(score, 3),
                                           "refused": score > limit, **{k: round(v, 3) for k, v in cues.items()}})

    for path in spoof:
        add("j_spoof_recapture", path.name, cv2.imread(str(path), cv2.IMREAD_COLOR))
    for i, path in enumerate(good):
        photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
        add("a_good_frontal", path.name, photo)
        if photo is None or (args.limit and i >= args.limit):
            continue
        for period in periods:
            variant = print_variant(photo, period, rng)
            add(f"halftone_print_{period:g}px", path.name, variant)
            if args.save:
                cv2.imwrite(str(out / f"{path.stem}_halftone_{period:g}.jpg"), variant)
        variant = glossy_variant(photo, rng)
        add("glossy_print", path.name, variant)
        if args.save:
            cv2.imwrite(str(out / f"{path.stem}_glossy.jpg"), variant)
        print(f"  {i + 1}/{len(good)} {path.name}", file=sys.stderr, flush=True)
    summary = {}
    for group, items in rows.items():
        faced = [r for r in items if r["face"]]
        summary[group] = {
            "images": len(items), "faces": len(faced),
            "refused": sum(r["refused"] for r in faced),
            "paper_over_0.5": sum(r.get("paper", 0.0) > 0.5 for r in faced),
            **{f"{k}_p50_p95_max": _spread([r[k] for r in faced if k in r]) for k in ("halftone", "gloss", "paper")},
        }
        print(f"{group:26s} {json.dumps(summary[group], ensure_ascii=False)}")
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False))
    return 0


def _spread(values: list[float]) -> list[float] | None:
    if not values:
        return None
    return [round(float(v), 3) for v in (np.percentile(values, 50), np.percentile(values, 95), max(values))]


if __name__ == "__main__":
    raise SystemExit(main())
