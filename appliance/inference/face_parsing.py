"""Face parsing: which pixel around the face is skin, hair, ear, earring, neck, necklace or hat.

A BiSeNet trained on CelebAMask-HQ (19 classes, among them `ear_r` earring, `neck_l` necklace and
`hat`), converted at provisioning (face_parsing_convert.py) and run with OpenCV's dnn. It sees a
square crop aligned on the face mesh (roll undone, the face a fixed share of the crop, as in the
aligned faces it was trained on), so its classes are measured in the face's own units whatever the
photo's size. The jewellery, ears and headwear checks read it on the still and the product; live
guidance keeps the cheap image measures (see checks/accessories.py), since one parse costs far more
than a frame.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from appliance.errors import ModelError
from appliance.inference import landmarks as lm

CLASSES = ("background", "skin", "right_brow", "left_brow", "right_eye", "left_eye", "glasses", "right_ear",
           "left_ear", "earring", "nose", "mouth", "upper_lip", "lower_lip", "neck", "necklace", "clothes",
           "hair", "hat")
EARRING, NECKLACE, HAT = CLASSES.index("earring"), CLASSES.index("necklace"), CLASSES.index("hat")
# The crop spans this many face widths (cheek to cheek); its centre sits this share of the crop
# below the mesh's centre, so the crop holds the hair's top, both ears and the neck down to the
# collar, about as CelebA-HQ's aligned faces frame a head.
CROP_FACE_WIDTHS = 2.4
CROP_DROP = 0.1
MEAN_RGB = np.array([0.485, 0.456, 0.406], np.float32)
STD_RGB = np.array([0.229, 0.224, 0.225], np.float32)


# The classes whose per-pixel share (softmax) is kept beside the arg-max labels.
SHARED = (EARRING, NECKLACE, HAT)


@dataclass(frozen=True)
class FaceParse:
    labels: np.ndarray  # side x side class indices (CLASSES) over the aligned crop
    to_crop: np.ndarray  # 2x3 affine: image px -> crop px
    face_width_px: float  # the face's cheek-to-cheek width in crop px
    shares: dict[int, np.ndarray]  # side x side softmax share of each class in SHARED

    def area(self, label: int, min_share: float | None = None) -> float:
        """Pixels labelled `label` (or, with `min_share`, given at least that share of it, though
        another class may lead there), in face widths squared."""
        hits = self.labels == label if min_share is None else self.shares[label] >= min_share
        return float(np.count_nonzero(hits)) / self.face_width_px**2

    def crop_points(self, points: np.ndarray) -> np.ndarray:
        return points[:, :2] @ self.to_crop[:, :2].T + self.to_crop[:, 2]


def aligned_crop_matrix(points: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """(image -> crop affine, face width in crop px) for a mesh's points."""
    p = points[:, :2].astype(np.float64)
    right, left = p[lm.RIGHT_EYE_OUTER], p[lm.LEFT_EYE_OUTER]
    roll = float(np.arctan2(left[1] - right[1], left[0] - right[0]))
    width = float(np.linalg.norm(p[lm.FACE_LEFT_EDGE] - p[lm.FACE_RIGHT_EDGE]))
    scale = side / (CROP_FACE_WIDTHS * max(width, 1.0))
    cos, sin = np.cos(-roll) * scale, np.sin(-roll) * scale
    rot = np.array([[cos, -sin], [sin, cos]])
    centre = p.mean(axis=0)
    target = np.array([side / 2, side / 2 - CROP_DROP * side])
    matrix = np.hstack([rot, (target - rot @ centre)[:, None]])
    return matrix, width * scale


class FaceParser:
    """One loaded parsing network; a lock serialises `run` (OpenCV's Net is not re-entrant, and
    checks may be evaluated outside the engine's lock)."""

    def __init__(self, path: Path, side: int) -> None:
        self.side = side
        self._lock = threading.Lock()
        try:
            self._net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise ModelError(f"cannot load {Path(path).name} with OpenCV's dnn: {exc}") from None

    def warm_up(self) -> None:
        """One pass on a blank crop: OpenCV's dnn sets its layers up on the first forward."""
        with self._lock:
            self._net.setInput(np.zeros((1, 3, self.side, self.side), np.float32))
            self._net.forward()

    def run(self, bgr: np.ndarray, points: np.ndarray) -> FaceParse:
        matrix, face_width = aligned_crop_matrix(points, self.side)
        crop = cv2.warpAffine(bgr, matrix, (self.side, self.side), flags=cv2.INTER_AREA,
                              borderMode=cv2.BORDER_REPLICATE)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        blob = ((rgb - MEAN_RGB) / STD_RGB).transpose(2, 0, 1)[None]
        with self._lock:
            self._net.setInput(np.ascontiguousarray(blob))
            logits = self._net.forward()[0]
        # the network's own output is at 1/8: upsampled bilinearly before the arg-max, as it was trained
        up = cv2.resize(logits.transpose(1, 2, 0), (self.side, self.side), interpolation=cv2.INTER_LINEAR)
        exp = np.exp(up - up.max(axis=2, keepdims=True))
        total = exp.sum(axis=2)
        return FaceParse(labels=up.argmax(axis=2).astype(np.uint8), to_crop=matrix, face_width_px=face_width,
                         shares={c: exp[..., c] / total for c in SHARED})
