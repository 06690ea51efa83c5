"""Small helpers shared by the tests of single checks on controlled photo variants."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from appliance.inference.checks.base import CheckResult


def check_result(analyzer, bgr: np.ndarray, check_id: str, grayscale: bool = False) -> CheckResult:
    """The one result with `check_id` from the full verdict on `bgr`."""
    return next(c for c in analyzer.check(bgr, grayscale=grayscale).checks if c.id == check_id)


def evaluated(analyzer, bgr: np.ndarray, check_id: str, settings=None) -> CheckResult:
    """The one result with `check_id` from the checks evaluated on a fresh analysis of `bgr`,
    under `settings` (the analyzer's own when None)."""
    return next(r for r in analyzer.evaluate(analyzer.analyze(bgr), settings) if r.id == check_id)


CORRECTIONS = Path(__file__).resolve().parents[2] / "evaluation" / "corrections.toml"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def labelled_photos(faces_dir: Path, category: str) -> list[Path]:
    """Every photo of the whole folder whose label is `category`: its sub-folder, unless
    evaluation/corrections.toml (the labels scripts/evaluate.py reads, each with its reason)
    corrects it."""
    corrections = {c["file"]: c["category"] for c in tomllib.loads(CORRECTIONS.read_text(encoding="utf-8"))
                   .get("correction", []) if "category" in c}
    photos = sorted(p for p in faces_dir.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return [p for p in photos if corrections.get(f"{p.parent.name}/{p.name}", p.parent.name) == category]
