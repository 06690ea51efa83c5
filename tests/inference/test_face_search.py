"""Finding every face of a still: the tiles reach the photo's edges, and a small second face the
mesh confirms counts (a group photo's smaller or masked faces, issue H's i_multi_face misses)."""

from __future__ import annotations

import copy
import itertools

import cv2
import numpy as np
import pytest

from appliance.inference.detection import Detection, tile_starts
from appliance.inference.engine import _TRACK_KEYPOINTS, MESH_VERIFY_MIN_WIDTH, SMALL_FACE_MIN_SCORE
from appliance.inference.geometry import Roi
from appliance.inference.landmarks import FaceMesh


@pytest.mark.parametrize(("length", "tile"), [(333.0, 256.0), (512.0, 256.0), (300.0, 256.0), (200.0, 256.0),
                                              (1000.0, 256.0), (767.0, 300.0)])
def test_tiles_cover_the_side_to_its_far_edge(length, tile):
    starts = tile_starts(length, tile)
    assert starts[0] == 0.0
    assert starts[-1] + tile >= length - 1.0  # the far edge is inside the last tile
    assert all(b - a <= tile / 2 + 1e-9 for a, b in itertools.pairwise(starts))  # half-overlapping


def test_a_face_in_the_bottom_strip_of_a_wide_photo_is_found(analyzer, plain_portrait):
    """A 3:2 photo's bottom third lay outside every tile (the tiles stepped by half a tile and
    stopped short of the edge); a face there too small for the whole-image view went unfound."""
    face = analyzer.analyze(plain_portrait).faces[0]
    cx, cy = face.centre
    half = int(face.width)
    crop = plain_portrait[max(int(cy) - half, 0):int(cy) + half, max(int(cx) - half, 0):int(cx) + half]
    crop = cv2.resize(crop, None, fx=120 / face.width, fy=120 / face.width, interpolation=cv2.INTER_AREA)
    canvas = np.full((1000, 1536, 3), 128, np.uint8)
    height, width = crop.shape[:2]
    y0, x0 = 1000 - height - 10, 700
    canvas[y0:y0 + height, x0:x0 + width] = crop
    found = analyzer.detector.detect(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
    centre = np.array([x0 + width / 2, y0 + height / 2])
    assert any(np.linalg.norm(d.centre - centre) < 0.3 * 120 for d in found), [d.centre for d in found]


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
