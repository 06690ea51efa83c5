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

    def detect_around(self, rgb: np.ndarray, box: np.ndarray) -> Detection | None:
        return None  # a closer look sees nothing more


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


class _SecondLookDetector(_Detector):
    """A detector that, looked at closely (`detect_around`), sees `close` where it saw a face from
    afar: the second look of a still's unconfirmed candidates."""

    def __init__(self, faces: list[Detection], close: Detection | None) -> None:
        super().__init__(faces)
        self.close, self.looked = close, []

    def detect_around(self, rgb: np.ndarray, box: np.ndarray) -> Detection | None:
        self.looked.append(np.asarray(box))
        return self.close


class _ConfirmingMesh(_Mesh):
    """A mesh that confirms exactly the detections given (full presence), no other."""

    def __init__(self, *confirmed: Detection) -> None:
        super().__init__(confirmed[0], 0.0)
        self.confirmed = confirmed

    def fit(self, rgb: np.ndarray, det: Detection, refinements: int = 1) -> FaceMesh:
        mesh = super().fit(rgb, det, refinements)
        return FaceMesh(points=mesh.points, presence=float(any(det is c for c in self.confirmed)), roi=mesh.roi)


def _second_look(analyzer, main: Detection, far: Detection, close: Detection | None,
                 confirmed: bool, live: bool = False) -> tuple[list[Detection], _SecondLookDetector]:
    engine = copy.copy(analyzer)
    engine.detector = _SecondLookDetector([main, far], close)
    engine.mesh = _ConfirmingMesh(main, close) if confirmed and close is not None else _ConfirmingMesh(main)
    faces, mesh = engine._verified_faces(np.zeros((600, 800, 3), np.uint8), live=live)
    assert mesh is not None and faces[0] is main
    return faces, engine.detector


def test_an_unsure_second_face_counts_when_a_closer_look_confirms_it(analyzer):
    """A second face in a medical mask scores low from afar and the mesh fitted to its loose box
    misses it (a street scene's masked passers-by were not counted); looked at again in a window
    around it, the detector is confident and the mesh confirms it: it counts, and the main face
    stays the first pass's."""
    main = _detection(0.0, 200.0, 0.95)
    far = _detection(400.0, 150.0, 0.55)
    close = _detection(395.0, 160.0, 0.85)
    faces, detector = _second_look(analyzer, main, far, close, confirmed=True)
    assert [f is close for f in faces] == [False, True]
    assert len(detector.looked) == 1 and np.allclose(detector.looked[0], far.box)


@pytest.mark.parametrize(("close_score", "confirmed"), [(0.85, False), (0.5, True)], ids=["mesh_refutes", "unsure"])
def test_a_closer_look_that_stays_unsure_or_unconfirmed_adds_no_face(analyzer, close_score, confirmed):
    main = _detection(0.0, 200.0, 0.95)
    faces, _ = _second_look(analyzer, main, _detection(400.0, 150.0, 0.55), _detection(395.0, 160.0, close_score),
                            confirmed=confirmed)
    assert faces == [main]


def test_no_second_look_live_nor_at_the_main_face_nor_below_the_counted_size(analyzer):
    """Live frames keep one detector view (speed); a smaller box on the main face is that face
    again; a candidate too small to count as a second face is not looked at."""
    main = _detection(0.0, 200.0, 0.95)
    close = _detection(395.0, 160.0, 0.85)
    _, detector = _second_look(analyzer, main, _detection(400.0, 150.0, 0.55), close, confirmed=True, live=True)
    assert not detector.looked
    _, detector = _second_look(analyzer, main, _detection(40.0, 120.0, 0.55), close, confirmed=True)
    assert not detector.looked
    tiny = analyzer.settings.face_count.min_relative_size * 200.0 - 5.0
    _, detector = _second_look(analyzer, main, _detection(400.0, tiny, 0.55), close, confirmed=True)
    assert not detector.looked


@pytest.mark.parametrize(("subject", "donor"), [
    ("a_good_frontal/dpf_img18.jpg", "a_good_frontal/cfd_AF-214-N.jpg"),
    ("a_good_frontal/dpf_img29.jpg", "a_good_frontal/CFD-BM-019-002-N.jpg"),
    ("a_good_frontal/cfd_AF-204-N.jpg", "a_good_frontal/CFD-WM-205-007-N.jpg"),
    ("a_good_frontal/hivi_test0.jpg", "a_good_frontal/CFD-LM-203-026-N.jpg"),
])
@pytest.mark.parametrize(("relative", "mask"), [(0.3, False), (0.4, False), (0.4, True)],
                         ids=["bare_0.3", "bare_0.4", "medical_mask_0.4"])
def test_a_second_face_in_a_corner_is_counted_and_the_subject_stays_the_main_face(
        analyzer, face_photo, subject, donor, relative, mask):
    """Controlled variants: another person's face put small into an upper corner of a good photo,
    bare or behind a medical mask. The face count fails, and the main face is still the subject's
    (the other checks read the same face). Not yet caught: a masked face at 0.3 of the subject's
    width (2 of these 4 photos), too small for the mesh to confirm behind the mask."""
    from appliance.inference.detection import iou
    from appliance.testing.face_variants import with_second_face

    base = analyzer.analyze(face_photo(subject))
    other = analyzer.analyze(face_photo(donor))
    try:
        variant = with_second_face(base, other, relative, corner="left", mask=mask)
    except ValueError:
        variant = with_second_face(base, other, relative, corner="right", mask=mask)
    report = analyzer.check(variant)
    count = next(c for c in report.checks if c.id == "face_count")
    assert not count.passed and count.value >= 2, count.value
    assert iou(report.analysis.faces[0].box, base.faces[0].box[None])[0] > 0.9
