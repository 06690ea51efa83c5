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
from collections.abc import Iterator, Mapping
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


class Shares(Mapping[int, np.ndarray]):
    """Each class's per-pixel softmax share over the crop, computed only when a check reads it.

    The arg-max labels need no softmax; only the head-ornament check reads a share (the hat's, at
    a threshold), so the exponentials over all 19 classes, most of the old post-processing's cost,
    are paid on a full-plane read only. `at_least` counts the pixels at or above a share from a
    few candidates, with the same arithmetic as the full plane: a share is exp(logit - top) / total
    with total >= 1 (the top class's own term is exp(0) = 1), so a pixel whose exp(logit - top) is
    below the share cannot reach it."""

    def __init__(self, logits: np.ndarray, labels: np.ndarray) -> None:
        self._logits = logits  # side x side x classes, upsampled (19 MB at 512 px, held with the parse)
        self._top = np.take_along_axis(logits, labels[..., None].astype(np.intp), axis=2)[..., 0]
        self._total: np.ndarray | None = None
        self._planes: dict[int, np.ndarray] = {}

    def __getitem__(self, label: int) -> np.ndarray:
        if label not in self._planes:
            if not 0 <= label < self._logits.shape[2]:
                raise KeyError(label)
            if self._total is None:
                self._total = np.exp(self._logits - self._top[..., None]).sum(axis=2)
            self._planes[label] = np.exp(self._logits[..., label] - self._top) / self._total
        return self._planes[label]

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._logits.shape[2]))

    def __len__(self) -> int:
        return int(self._logits.shape[2])

    def at_least(self, label: int, share: float) -> int:
        """How many pixels give `label` at least `share`; equal to counting `self[label] >= share`."""
        if label in self._planes:
            return int(np.count_nonzero(self._planes[label] >= share))
        ys, xs = np.nonzero(np.exp(self._logits[..., label] - self._top) >= share)
        exp = np.exp(self._logits[ys, xs] - self._top[ys, xs][:, None])
        return int(np.count_nonzero(exp[:, label] / exp.sum(axis=1) >= share))


@dataclass(frozen=True)
class FaceParse:
    labels: np.ndarray  # side x side class indices (CLASSES) over the aligned crop
    to_crop: np.ndarray  # 2x3 affine: image px -> crop px
    face_width_px: float  # the face's cheek-to-cheek width in crop px
    shares: Mapping[int, np.ndarray]  # label -> side x side softmax share (Shares: computed on read)

    def area(self, label: int, min_share: float | None = None) -> float:
        """Pixels labelled `label` (or, with `min_share`, given at least that share of it, though
        another class may lead there), in face widths squared."""
        if min_share is None:
            hits = int(np.count_nonzero(self.labels == label))
        elif isinstance(self.shares, Shares):
            hits = self.shares.at_least(label, min_share)
        else:
            hits = int(np.count_nonzero(self.shares[label] >= min_share))
        return hits / self.face_width_px**2

    def crop_points(self, points: np.ndarray) -> np.ndarray:
        return points[:, :2] @ self.to_crop[:, :2].T + self.to_crop[:, 2]

    def eye_line(self, eye_centres: tuple[np.ndarray, np.ndarray]) -> float:
        """The row of the crop the eyes' centres sit on (the crop's roll is undone, so one row)."""
        return float(np.mean(self.crop_points(np.array(eye_centres))[:, 1]))


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


def read_network(path: Path) -> cv2.dnn.Net:
    """The network with OpenCV's classic dnn engine where the installed OpenCV offers a choice.

    OpenCV 5.0 (Trixie's pin) has two engines and picks its new one by default, which is slower
    on this network: one forward took 340 ms of CPU with the classic engine against 474 ms with
    the new one (median of 157 photos' crops, one thread). The two engines' logits differ by at
    most 1.2e-4, which moved at most 2 of the crop's 262 144 labels and no check's result; the
    dev venv's OpenCV 5.1, on which the thresholds were chosen, is as far from either. OpenCV 4.x
    (Bookworm's pin) has only the classic engine and no `engine` argument, and 5.1 has one engine
    (no ENGINE_CLASSIC): both load the default."""
    classic = getattr(cv2.dnn, "ENGINE_CLASSIC", None)
    if classic is None:
        return cv2.dnn.readNetFromONNX(str(path))
    return cv2.dnn.readNetFromONNX(str(path), classic)


class FaceParser:
    """One loaded parsing network; a lock serialises `run` (OpenCV's Net is not re-entrant, and
    checks may be evaluated outside the engine's lock)."""

    def __init__(self, path: Path, side: int) -> None:
        self.side = side
        self._lock = threading.Lock()
        try:
            self._net = read_network(path)
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
        return parse_logits(logits, matrix, face_width, self.side)


def parse_logits(logits: np.ndarray, to_crop: np.ndarray, face_width: float, side: int) -> FaceParse:
    """The parse from the network's class logits (classes x side/8 x side/8), upsampled
    bilinearly before the arg-max, as it was trained. All classes are resized in one call: one
    plane at a time is a different SIMD path in OpenCV, a float's last bit apart, and these
    logits must be the ones the thresholds were chosen on."""
    up = cv2.resize(np.ascontiguousarray(logits.transpose(1, 2, 0)), (side, side), interpolation=cv2.INTER_LINEAR)
    labels = up.argmax(axis=2).astype(np.uint8)
    return FaceParse(labels=labels, to_crop=to_crop, face_width_px=face_width, shares=Shares(up, labels))
