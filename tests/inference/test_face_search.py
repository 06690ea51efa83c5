"""Counting every face of a photo: a small second face the mesh confirms counts (a group photo's
smaller faces), and a confident one counts on the detector's word alone."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from appliance.inference.detection import Detection
from appliance.inference.engine import _TRACK_KEYPOINTS, MESH_VERIFY_MIN_WIDTH, SMALL_FACE_MIN_SCORE
from appliance.inference.geometry import Roi
from appliance.inference.landmarks import FaceMesh


def _detection(x: float, width: float, score: float) -> Detection:
    box = np.array([x, 100.0, x + width, 100.0 + width])
    keypoints = np.array([[x + 0.3 * width, 130.0], [x + 0.7 * width, 130.0], [x + 0.5 * width, 150.0],
                          [x + 0.5 * width, 170.0], [x, 140.0], [x + width, 140.0]])
    return Detection(box=box, keypoints=keypoints, score=score)


class _Detector:
    def __init__(self, faces: list[Detection]) -> None:
        self.faces = faces

    def detect(self, rgb: np.ndarray, thorough: bool = True) -> list[Detection]:
        return list(self.faces)


class _Mesh:
    """A mesh that lands on the detector's keypoints (confirms them): on the main face with full
    presence, on any other face with `presence`."""

    def __init__(self, main: Detection, presence: float) -> None:
        self.main, self.presence = main, presence

    def fit(self, rgb: np.ndarray, det: Detection, refinements: int = 1) -> FaceMesh:
        points = np.zeros((468, 3))
        for keypoint, indices in zip(det.keypoints[:4], _TRACK_KEYPOINTS[:4], strict=True):
            points[list(indices), :2] = keypoint
        presence = 1.0 if det is self.main else self.presence
        return FaceMesh(points=points, presence=presence, roi=Roi(0.0, 0.0, 1.0, 0.0))


def _verified(analyzer, main: Detection, second: Detection, presence: float) -> list[Detection]:
    engine = copy.copy(analyzer)  # the session's engine with a stand-in detector and mesh
    engine.detector, engine.mesh = _Detector([main, second]), _Mesh(main, presence)
    faces, mesh = engine._verified_faces(np.zeros((600, 800, 3), np.uint8), live=False)
    assert mesh is not None and faces[0] is main
    return faces


@pytest.mark.parametrize(("presence", "counted"), [(1.0, True), (0.1, False)])
def test_a_small_second_face_counts_when_the_mesh_confirms_it(analyzer, presence, counted):
    """Below MESH_VERIFY_MIN_WIDTH a second face of modest detector confidence was dropped
    without asking the mesh; now the mesh is asked, and only its confirmation lets it count."""
    main = _detection(0.0, 200.0, 0.95)
    small = _detection(400.0, MESH_VERIFY_MIN_WIDTH - 15.0, SMALL_FACE_MIN_SCORE - 0.08)
    assert any(f is small for f in _verified(analyzer, main, small, presence)) is counted


def test_a_confident_small_second_face_counts_on_the_detector_alone(analyzer):
    main = _detection(0.0, 200.0, 0.95)
    small = _detection(400.0, MESH_VERIFY_MIN_WIDTH - 15.0, SMALL_FACE_MIN_SCORE + 0.05)
    assert any(f is small for f in _verified(analyzer, main, small, presence=0.0))
