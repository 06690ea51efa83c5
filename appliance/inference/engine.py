"""The analysis engine: models in a fixed order, then every check, into one report.

Live guidance and the final verdict use the same engine; `live=True` trades the thorough
multi-view detection and the second mesh pass for speed, which a 640x480 booth frame allows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckFn, CheckResult
from appliance.inference.checks.registry import ALL_CHECKS
from appliance.inference.config import ChecksSettings
from appliance.inference.detection import Detection, FaceDetector
from appliance.inference.landmarks import FaceMesh, FaceMeshModel, IrisModel, roi_from_mesh
from appliance.inference.runtime import ModelStore
from appliance.inference.segmentation import PersonSegmenter

# Candidates the mesh model must confirm: a detector hit without a plausible face mesh is noise.
MIN_MESH_PRESENCE = 0.5
MAX_VERIFIED_FACES = 8
# Below this width the mesh's presence score is unreliable (it rejects real small faces), so a
# second, smaller face counts on the detector's confidence alone.
MESH_VERIFY_MIN_WIDTH = 80
SMALL_FACE_MIN_SCORE = 0.7
# Stills larger than this (longest side, px) are analysed on a reduced copy: a face in a booth
# still spans several hundred pixels even there, more than any model input or check needs.
WORK_MAX_SIDE = 1600


@dataclass
class Report:
    verdict: str  # "pass" | "fail"
    checks: list[CheckResult]
    analysis: Analysis
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "checks": [c.to_dict() for c in self.checks]}


class Analyzer:
    def __init__(
        self,
        models: ModelStore,
        settings: ChecksSettings,
        checks: tuple[CheckFn, ...] = ALL_CHECKS,
    ) -> None:
        self.settings = settings
        self.checks = checks
        self.detector = FaceDetector(models.get("face_detection_short_range"), min_score=0.5)
        self.mesh = FaceMeshModel(models.get("face_landmark"))
        self.iris = IrisModel(models.get("iris_landmark"))
        self.segmenter = PersonSegmenter(models.get("selfie_segmentation"))

    def _verified_faces(self, rgb: np.ndarray, live: bool) -> tuple[list[Detection], FaceMesh | None]:
        candidates = self.detector.detect(rgb, thorough=not live)
        candidates = [c for c in candidates if c.score >= self.settings.face_count.min_score]
        verified: list[Detection] = []
        main_mesh = None
        for det in candidates[:MAX_VERIFIED_FACES]:
            if main_mesh is not None and det.width < MESH_VERIFY_MIN_WIDTH:
                # the mesh cannot confirm a face this small; a confident detection stands alone
                if det.score >= SMALL_FACE_MIN_SCORE:
                    verified.append(det)
                continue
            mesh = self.mesh.fit(rgb, det, refinements=0)
            if mesh.presence < MIN_MESH_PRESENCE:
                continue
            if main_mesh is None:
                main_mesh = mesh
            verified.append(det)
        return verified, main_mesh

    def analyze(self, bgr: np.ndarray, *, live: bool = False, grayscale: bool = False,
                product: bool = False) -> Analysis:
        """Findings in `bgr`'s own pixels; a large still is analysed on a reduced copy (kept as
        `.work` for the checks), since every model input is far smaller than such a still."""
        height, width = bgr.shape[:2]
        factor = min(1.0, WORK_MAX_SIDE / max(height, width))
        if factor >= 1.0:
            return self._analyze(bgr, live=live, grayscale=grayscale, product=product)
        start = time.perf_counter()
        small = cv2.resize(bgr, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
        reduce_ms = (time.perf_counter() - start) * 1000
        work = self._analyze(small, live=live, grayscale=grayscale, product=product)
        work.timings["detect"] = work.timings.get("detect", 0.0) + reduce_ms
        work.pixel_scale = 1.0 / factor
        full = work.scaled(1.0 / factor, bgr)
        full.work = work
        return full

    def _analyze(self, bgr: np.ndarray, *, live: bool, grayscale: bool, product: bool) -> Analysis:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        faces, mesh = self._verified_faces(rgb, live)
        rotation = 0
        if not faces and not live:
            # a sideways or upside-down photo: find the face to say so, rather than "no face"
            for turn, code in ((90, cv2.ROTATE_90_CLOCKWISE), (270, cv2.ROTATE_90_COUNTERCLOCKWISE),
                               (180, cv2.ROTATE_180)):
                turned = cv2.rotate(rgb, code)
                faces, mesh = self._verified_faces(turned, live)
                if faces:
                    rgb, bgr, rotation = turned, cv2.rotate(bgr, code), turn
                    break
        timings["detect"] = (time.perf_counter() - start) * 1000
        analysis = Analysis(bgr=bgr, grayscale=grayscale, live=live, faces=faces, rotation=rotation,
                            timings=timings, product=product)
        if faces and mesh is not None:
            start = time.perf_counter()
            # the live path keeps the first fit; a still gets a second pass on the tighter ROI
            analysis.mesh = mesh if live else self.mesh.run(rgb, roi_from_mesh(mesh.points))
            timings["landmarks"] = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            analysis.eyes = self.iris.run(rgb, analysis.mesh)
            timings["iris"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        analysis.person_mask = self.segmenter.run(rgb)
        timings["segmentation"] = (time.perf_counter() - start) * 1000
        return analysis

    def evaluate(self, analysis: Analysis) -> list[CheckResult]:
        start = time.perf_counter()
        results: list[CheckResult] = []
        view = analysis.for_checks
        for check in self.checks:
            results.extend(check(view, self.settings))
        analysis.timings["checks"] = (time.perf_counter() - start) * 1000
        return results

    def check(self, bgr: np.ndarray, *, live: bool = False, grayscale: bool = False,
              product: bool = False) -> Report:
        analysis = self.analyze(bgr, live=live, grayscale=grayscale, product=product)
        results = self.evaluate(analysis)
        verdict = "pass" if all(r.passed for r in results) else "fail"
        return Report(verdict=verdict, checks=results, analysis=analysis, timings=dict(analysis.timings))
