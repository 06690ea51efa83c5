"""Face detection with BlazeFace (short range), made to work on photos of any size.

The short-range model sees a 128x128 square and finds faces that fill roughly 10-90 % of it. A
booth frame fits that, but `appliance check` also gets group photos with small faces and close-ups
where the face fills the frame, so detection runs on a letterboxed view, a zoomed-out view (padding
around the image, for faces larger than the model likes) and, on large images, overlapping tiles;
the union is merged by weighted non-maximum suppression in image coordinates. A still whose face
is already known (the booth's live track followed it up to the shutter) needs none of that: one
view of the whole frame for the other faces, one around the known face (`detect_near`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from appliance.inference.runtime import TFLiteModel
from appliance.warp import warp_affine

INPUT = 128
# A window around a known face this many times its size: the face then fills about as much of
# the model's square as a booth frame's face does in the whole-frame view.
SEED_WINDOW = 2.5
# Keypoint order of the model: subject's right eye, left eye, nose tip, mouth, right ear, left ear.
KP_RIGHT_EYE, KP_LEFT_EYE, KP_NOSE, KP_MOUTH, KP_RIGHT_EAR, KP_LEFT_EAR = range(6)


def _anchors() -> np.ndarray:
    """Centres of the 896 SSD anchors: 2 per cell on the 16x16 grid, 6 per cell on the 8x8 grid."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
        cells = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class Detection:
    """One face in image pixels."""

    box: np.ndarray  # x0, y0, x1, y1
    keypoints: np.ndarray  # (6, 2)
    score: float

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    @property
    def centre(self) -> np.ndarray:
        return np.array([(self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2])


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(candidates: list[Detection], iou_threshold: float = 0.3) -> list[Detection]:
    """Merge overlapping detections by score-weighted averaging (steadier than plain NMS)."""
    if not candidates:
        return []
    order = sorted(candidates, key=lambda d: d.score, reverse=True)
    boxes = np.array([d.box for d in order])
    remaining = np.ones(len(order), dtype=bool)
    merged = []
    for i, det in enumerate(order):
        if not remaining[i]:
            continue
        overlap = (iou(det.box, boxes) >= iou_threshold) & remaining
        remaining &= ~overlap
        group = [order[j] for j in np.flatnonzero(overlap)]
        weights = np.array([g.score for g in group])
        weights = weights / weights.sum()
        box = np.sum([w * g.box for w, g in zip(weights, group, strict=True)], axis=0)
        kps = np.sum([w * g.keypoints for w, g in zip(weights, group, strict=True)], axis=0)
        merged.append(Detection(box=box, keypoints=kps, score=det.score))
    return merged


class FaceDetector:
    def __init__(self, model: TFLiteModel, min_score: float = 0.5) -> None:
        self.model = model
        self.min_score = min_score
        self._anchors = _anchors()

    def _run_square(self, square_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw detections on one 128x128 RGB square: boxes/keypoints in [0,1] and scores."""
        tensor = (square_rgb.astype(np.float32) / 127.5 - 1.0)[None]
        regressors, scores = self.model.run(tensor)
        raw = regressors[0] / INPUT
        logits = np.clip(scores[0, :, 0], -80, 80)
        prob = 1.0 / (1.0 + np.exp(-logits))
        keep = prob >= self.min_score
        raw, prob, anchors = raw[keep], prob[keep], self._anchors[keep]
        centre = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        kps = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
        return np.concatenate([boxes, kps.reshape(-1, 12)], axis=1), prob

    def _detect_view(self, rgb: np.ndarray, x0: float, y0: float, side: float, scale: float) -> list[Detection]:
        """Detect inside the square window (x0, y0, side) of `rgb`; outside the image is black.

        `scale` maps `rgb` pixels back to the caller's image pixels.
        """
        zoom = INPUT / side
        matrix = np.array([[zoom, 0.0, -x0 * zoom], [0.0, zoom, -y0 * zoom]])
        square = warp_affine(rgb, matrix, (INPUT, INPUT), cv2.INTER_LINEAR)
        raw, prob = self._run_square(square)
        found = []
        for row, score in zip(raw, prob, strict=True):
            pts = (row.reshape(-1, 2) * side + [x0, y0]) / scale
            found.append(Detection(box=pts[:2].reshape(-1), keypoints=pts[2:], score=float(score)))
        return found

    @staticmethod
    def _shrink(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
        height, width = rgb.shape[:2]
        scale = min(1.0, max_side / max(height, width))
        if scale == 1.0:
            return rgb, 1.0
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale

    def _finish(self, candidates: list[Detection]) -> list[Detection]:
        faces = weighted_nms(candidates)
        faces = [f for f in faces if f.width > 4 and f.height > 4]
        return sorted(faces, key=lambda f: f.width * f.height, reverse=True)

    def detect_near(self, rgb: np.ndarray, box: np.ndarray) -> list[Detection]:
        """All faces of the frame's one whole view, plus the face in a window around `box`
        (x0, y0, x1, y1 in `rgb` pixels, where a face is expected): two model runs, not eleven."""
        # both views from one reduction of the still: the whole-frame copy is made from the window's
        near, nscale = self._shrink(rgb, 4 * INPUT)
        small, sscale = self._shrink(near, 2 * INPUT)
        scale = nscale * sscale
        height, width = small.shape[:2]
        side = float(max(height, width))
        candidates = self._detect_view(small, (width - side) / 2, (height - side) / 2, side, scale)
        candidates.extend(self._window_view(near, nscale, box))
        return self._finish(candidates)

    def _window_view(self, rgb: np.ndarray, scale: float, box: np.ndarray) -> list[Detection]:
        """Detections in a window SEED_WINDOW times the size of `box` (caller's pixels) around it,
        `rgb` being the caller's image shrunk by `scale`."""
        x0, y0, x1, y1 = np.asarray(box, dtype=np.float64) * scale
        window = SEED_WINDOW * max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return self._detect_view(rgb, cx - window / 2, cy - window / 2, window, scale)

    def detect_around(self, rgb: np.ndarray, box: np.ndarray) -> Detection | None:
        """The face at `box` looked at again where the model sees best: in a window around it, so
        it fills the model's square as a booth frame's face does. A face the whole-image views saw
        small and unsure (partly covered, a medical mask, a crowd's far face) scores higher here;
        a pattern that only looked like a face from afar does not. The best-scoring detection
        overlapping `box`, or None."""
        box = np.asarray(box, dtype=np.float64)
        side = SEED_WINDOW * max(box[2] - box[0], box[3] - box[1])
        x0, y0 = round((box[0] + box[2] - side) / 2), round((box[1] + box[3] - side) / 2)
        side = max(round(side), 1)
        # the window cut from full-resolution pixels (black beyond the image), then reduced by
        # area averaging: a large face is not aliased and a small one keeps every pixel it has
        height, width = rgb.shape[:2]
        canvas = np.zeros((side, side, 3), np.uint8)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + side, width), min(y0 + side, height)
        if cx1 <= cx0 or cy1 <= cy0:
            return None
        canvas[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0] = rgb[cy0:cy1, cx0:cx1]
        reduce = cv2.INTER_AREA if side > INPUT else cv2.INTER_LINEAR
        square = cv2.resize(canvas, (INPUT, INPUT), interpolation=reduce)
        found = []
        offset = np.array([x0, y0], dtype=np.float64)
        for det in self._detect_view(square, 0.0, 0.0, INPUT, INPUT / side):
            moved = Detection(box=det.box + np.tile(offset, 2), keypoints=det.keypoints + offset, score=det.score)
            if iou(moved.box, box[None])[0] > 0.3:
                found.append(moved)
        return max(found, key=lambda d: d.score, default=None)

    def detect(self, rgb: np.ndarray, thorough: bool = True) -> list[Detection]:
        """All faces in the image, largest first.

        The live path (thorough=False) looks at the frame once; `thorough` adds the zoomed-out
        view and tiles that a still photo of unknown framing needs. Each view is taken from a
        copy shrunk to about twice the model's input, so a 12 MP still costs what a frame costs.
        """
        small, scale = self._shrink(rgb, 2 * INPUT)
        height, width = small.shape[:2]
        side = float(max(height, width))
        views = [((width - side) / 2, (height - side) / 2, side)]
        if thorough:
            pad = side * 1.6
            views.append(((width - pad) / 2, (height - pad) / 2, pad))
        candidates = []
        for view in views:
            candidates.extend(self._detect_view(small, *view, scale))
        if thorough and min(rgb.shape[:2]) >= 2 * INPUT:
            tiled, tscale = self._shrink(rgb, 4 * INPUT)
            theight, twidth = tiled.shape[:2]
            tile = max(theight, twidth) / 2
            step = tile / 2
            for ty in np.arange(0, max(theight - tile, 0) + 1, step):
                for tx in np.arange(0, max(twidth - tile, 0) + 1, step):
                    candidates.extend(self._detect_view(tiled, float(tx), float(ty), tile, tscale))
        return self._finish(candidates)
