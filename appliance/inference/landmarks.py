"""468-point face landmarks on an upright crop, and iris/eyelid landmarks for the eye checks.

The mesh model expects an upright face filling the middle of a 192x192 crop; the detector's eye
keypoints give the roll to undo and its box the scale. A second pass on the ROI derived from the
first mesh tightens the fit, which is what makes sub-5-degree pose measurement possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.inference.detection import KP_LEFT_EYE, KP_RIGHT_EYE, Detection
from appliance.inference.geometry import Roi, angle_of
from appliance.inference.runtime import TFLiteModel

MESH_INPUT = 192
IRIS_INPUT = 64

# Mesh indices used across the checks (subject's right = image left for a frontal face).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
RIGHT_EYE_UPPER, RIGHT_EYE_LOWER = (160, 159, 158), (144, 145, 153)
LEFT_EYE_UPPER, LEFT_EYE_LOWER = (385, 386, 387), (380, 374, 373)
# The eye openings' outlines, corner to corner along the upper lid and back along the lower.
RIGHT_EYE_RING = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE_RING = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
LIP_UPPER_INNER, LIP_LOWER_INNER = (82, 13, 312), (87, 14, 317)
MOUTH_LEFT, MOUTH_RIGHT = 291, 61
NOSE_TIP, CHIN, FOREHEAD = 1, 152, 10
FACE_RIGHT_EDGE, FACE_LEFT_EDGE = 234, 454
RIGHT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
LEFT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
OUTER_LIPS = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
# The line where the lips meet, corner to corner along the upper lip's inner edge and the lower's.
LIP_JUNCTION_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_JUNCTION_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)


@dataclass(frozen=True)
class FaceMesh:
    points: np.ndarray  # (468, 3) image px; z in px, smaller = nearer the camera
    presence: float
    roi: Roi


@dataclass(frozen=True)
class EyeDetail:
    contour: np.ndarray  # (71, 2) eye and brow contour points, image px
    iris: np.ndarray  # (5, 2) iris centre and 4 boundary points, image px

    @property
    def iris_radius(self) -> float:
        return float(np.mean(np.linalg.norm(self.iris[1:] - self.iris[0], axis=1)))


def mesh_eye_centres(mesh: FaceMesh) -> np.ndarray:
    """(2, 2): the mesh's subject-right and subject-left eye-corner midpoints, image px."""
    pts = mesh.points[:, :2]
    return np.array([pts[[RIGHT_EYE_OUTER, RIGHT_EYE_INNER]].mean(axis=0),
                     pts[[LEFT_EYE_OUTER, LEFT_EYE_INNER]].mean(axis=0)])


def eye_outlines(mesh: FaceMesh, centres: np.ndarray) -> np.ndarray:
    """(2, 16, 2): the mesh's subject-right and subject-left eye openings (RIGHT_EYE_RING,
    LEFT_EYE_RING) about their `centres` (mesh_eye_centres), per each eye's corner-to-corner width:
    what changes when the lids close or the head turns, not when the face only moves."""
    pts = mesh.points[:, :2]
    widths = np.linalg.norm(pts[[RIGHT_EYE_OUTER, LEFT_EYE_OUTER]] - pts[[RIGHT_EYE_INNER, LEFT_EYE_INNER]], axis=1)
    rings = np.stack([pts[list(RIGHT_EYE_RING)], pts[list(LEFT_EYE_RING)]])
    return (rings - centres[:, None, :]) / np.maximum(widths, 1e-6)[:, None, None]


def roi_from_detection(det: Detection, scale: float = 1.5) -> Roi:
    centre = det.centre
    size = max(det.width, det.height) * scale
    angle = angle_of(det.keypoints[KP_RIGHT_EYE], det.keypoints[KP_LEFT_EYE])
    return Roi(float(centre[0]), float(centre[1]), float(size), angle)


def roi_from_mesh(points: np.ndarray, scale: float = 1.5) -> Roi:
    angle = angle_of(points[RIGHT_EYE_OUTER, :2], points[LEFT_EYE_OUTER, :2])
    # measure the extent in the face's own upright frame so a rolled face gets a tight box
    cos, sin = np.cos(-angle), np.sin(-angle)
    rot = np.array([[cos, -sin], [sin, cos]])
    upright = points[:, :2] @ rot.T
    lo, hi = upright.min(axis=0), upright.max(axis=0)
    centre = ((lo + hi) / 2) @ rot
    size = float(max(hi - lo) * scale)
    return Roi(float(centre[0]), float(centre[1]), size, angle)


def _rgb_crop(image: np.ndarray, roi: Roi, size: int, bgr: bool) -> np.ndarray:
    """The model's RGB input crop; from a BGR image the crop is warped first and converted after,
    which gives the same pixels (the warp treats each channel alike) at a fraction of the cost."""
    crop = roi.crop(image, size)
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB) if bgr else crop


class FaceMeshModel:
    def __init__(self, model: TFLiteModel) -> None:
        self.model = model

    def run(self, rgb: np.ndarray, roi: Roi, *, bgr: bool = False) -> FaceMesh:
        """The mesh in `roi` of `rgb` (of a BGR image with `bgr=True`: the crop is converted at the
        model's size, so a live frame is not converted whole for it)."""
        crop = _rgb_crop(rgb, roi, MESH_INPUT, bgr)
        tensor = (crop.astype(np.float32) / 255.0)[None]
        coords, presence = self.model.run(tensor)
        local = coords.reshape(468, 3)
        points = roi.to_image(local, MESH_INPUT)
        score = 1.0 / (1.0 + np.exp(-float(np.clip(presence.reshape(-1)[0], -80, 80))))
        return FaceMesh(points=points, presence=score, roi=roi)

    def fit(self, rgb: np.ndarray, det: Detection, refinements: int = 1) -> FaceMesh:
        mesh = self.run(rgb, roi_from_detection(det))
        for _ in range(refinements):
            mesh = self.run(rgb, roi_from_mesh(mesh.points))
        return mesh


class IrisModel:
    """Eyelid contour and iris on a 64x64 crop per eye; the model is trained on one eye side,
    so the subject's right eye (image left) is mirrored in and out."""

    def __init__(self, model: TFLiteModel) -> None:
        self.model = model

    def _eye(self, rgb: np.ndarray, corner_a: np.ndarray, corner_b: np.ndarray, mirror: bool,
             bgr: bool) -> EyeDetail:
        centre = (corner_a + corner_b) / 2
        width = float(np.linalg.norm(corner_b - corner_a))
        roi = Roi(float(centre[0]), float(centre[1]), width * 2.3, angle_of(corner_a, corner_b))
        crop = _rgb_crop(rgb, roi, IRIS_INPUT, bgr)
        if mirror:
            crop = crop[:, ::-1]
        contour, iris = self.model.run((crop.astype(np.float32) / 255.0)[None])
        contour = contour.reshape(71, 3)[:, :2].copy()
        iris = iris.reshape(5, 3)[:, :2].copy()
        if mirror:
            contour[:, 0] = IRIS_INPUT - contour[:, 0]
            iris[:, 0] = IRIS_INPUT - iris[:, 0]
        return EyeDetail(roi.to_image(contour, IRIS_INPUT), roi.to_image(iris, IRIS_INPUT))

    def run(self, rgb: np.ndarray, mesh: FaceMesh, *, bgr: bool = False) -> tuple[EyeDetail, EyeDetail]:
        """(subject's right eye, subject's left eye); `bgr` as for FaceMeshModel.run."""
        pts = mesh.points[:, :2]
        right = self._eye(rgb, pts[RIGHT_EYE_OUTER], pts[RIGHT_EYE_INNER], mirror=True, bgr=bgr)
        left = self._eye(rgb, pts[LEFT_EYE_INNER], pts[LEFT_EYE_OUTER], mirror=False, bgr=bgr)
        return right, left
