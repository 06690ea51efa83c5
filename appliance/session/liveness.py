"""Is a live person in front of the camera, rather than a printed photo or a screen?

A still cannot tell; video can. Two cues that a print or a replayed screen cannot both give:
- a natural blink: the eye-opening ratio dips and recovers within a fraction of a second (a print
  never blinks; a replayed video can);
- depth: a flat print or screen moves as one plane, so the 2-D landmarks of any two frames are related
  exactly by a homography. A real head turning a little leaves a residual after that fit, and the
  residual grows with each landmark's depth (nose tip versus cheeks); noise and a plane leave none.
The single-frame spoof score from the engine is combined on top. Evidence accumulates while the same
face stays in view and starts over when the face disappears or jumps (a print swapped in).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from appliance.session.config import LivenessSettings

# Face-mesh (468 point) eye contours: corner, upper lid x2, other corner, lower lid x2.
LEFT_EYE = (33, 160, 158, 133, 153, 144)
RIGHT_EYE = (362, 385, 387, 263, 373, 380)
# Outer eye corners: the face scale that residuals are measured against.
OUTER_CORNERS = (33, 263)
MESH_POINTS = 468
# Depth is compared against frames this many steps back (fractions of the history): a sway of a
# degree or two needs a few tenths of a second to show.
_LAG_FRACTIONS = (0.33, 0.66, 1.0)
# Between consecutive frames a real face moves far less than this (in face widths); more is a swap.
_MAX_JUMP = 0.5
_MAX_SCALE_CHANGE = 0.3
# Same face, consecutive frames: at most ~0.055 with 0.5-1.5 px landmark noise (scripts/bench_liveness.py).
_MAX_SHAPE_CHANGE = 0.1
_MIN_BLINK_HISTORY = 5


@dataclass(frozen=True)
class LivenessState:
    established: bool
    blink_seen: bool
    depth_pairs: int
    best_parallax: float
    spoof_mean: float | None
    reason_zh: str
    reason_en: str

    def to_payload(self) -> dict[str, object]:
        return {
            "established": self.established,
            "blink_seen": self.blink_seen,
            "depth_pairs": self.depth_pairs,
            "best_parallax": round(self.best_parallax, 4),
            "spoof_mean": None if self.spoof_mean is None else round(self.spoof_mean, 3),
        }


def eye_opening_ratio(landmarks: np.ndarray) -> float:
    """Mean over both eyes of lid gap / eye width (the classic eye aspect ratio)."""
    ratios: list[float] = []
    for p1, p2, p3, p4, p5, p6 in (LEFT_EYE, RIGHT_EYE):
        pts = landmarks[:, :2]
        width = float(np.linalg.norm(pts[p1] - pts[p4]))
        gap = float(np.linalg.norm(pts[p2] - pts[p6]) + np.linalg.norm(pts[p3] - pts[p5]))
        ratios.append(gap / (2.0 * width) if width > 0 else 0.0)
    return float(np.mean(ratios))


def shape_change(previous: np.ndarray, current: np.ndarray) -> float:
    """RMS landmark distance after the best similarity alignment, in outer-eye-corner distances:
    near zero for one face seen twice, large when a different face (a swapped print) appears."""
    a = previous[:, :2] - previous[:, :2].mean(axis=0)
    b = current[:, :2] - current[:, :2].mean(axis=0)
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0 or norm_b == 0:
        return float("inf")
    a, b = a / norm_a, b / norm_b
    u, sigma, vt = np.linalg.svd(a.T @ b)
    aligned = sigma.sum() * (a @ u @ vt)
    rms = float(np.sqrt(np.mean(np.sum((aligned - b) ** 2, axis=1))))
    return rms * norm_b / max(face_scale(current), 1e-6)


def face_scale(landmarks: np.ndarray) -> float:
    a, b = OUTER_CORNERS
    return float(np.linalg.norm(landmarks[a, :2] - landmarks[b, :2]))


@dataclass(frozen=True)
class Parallax:
    """Homography residual between two frames, and the part of it that landmark depth explains."""

    residual_ratio: float
    depth_ratio: float
    depth_r2: float


def depth_parallax(reference: np.ndarray, current: np.ndarray) -> Parallax:
    """Fit the plane-to-plane map (homography) from reference to current landmarks and measure how
    much of what is left is explained by each landmark's depth, relative to the face's size."""
    src = reference[:, :2].astype(np.float64)
    dst = current[:, :2].astype(np.float64)
    scale = max(face_scale(reference), 1e-6)
    homography, _ = cv2.findHomography(src, dst, 0)
    if homography is None:
        return Parallax(0.0, 0.0, 0.0)
    mapped = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    residual = dst - mapped
    residual -= residual.mean(axis=0)
    total = float(np.sum(residual**2))
    residual_ratio = float(np.sqrt(total / len(residual))) / scale
    # Depth with its planar part (a tilt of the face) removed: a homography absorbs that part.
    design = np.column_stack([np.ones(len(src)), src])
    depth = reference[:, 2].astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, depth, rcond=None)
    depth = depth - design @ coef
    depth_var = float(np.sum(depth**2))
    if depth_var <= 1e-9 * scale**2 * len(depth) or total <= 0.0:
        return Parallax(residual_ratio, 0.0, 0.0)
    slope = depth @ residual / depth_var
    explained = np.outer(depth, slope)
    explained_sum = float(np.sum(explained**2))
    depth_ratio = float(np.sqrt(explained_sum / len(residual))) / scale
    return Parallax(residual_ratio, depth_ratio, explained_sum / total)


class LivenessTracker:
    """Accumulates liveness evidence over the frames of one subject; one tracker per session."""

    def __init__(self, settings: LivenessSettings) -> None:
        self._settings = settings
        self._history: deque[np.ndarray] = deque(maxlen=settings.history_frames)
        self._ratios: deque[float] = deque(maxlen=settings.history_frames)
        self._spoof: deque[float] = deque(maxlen=settings.history_frames)
        self.reset()

    def reset(self) -> None:
        self._history.clear()
        self._ratios.clear()
        self._spoof.clear()
        self._missing = 0
        self._closed_since: float | None = None
        self._blink_seen = False
        self._depth_pairs = 0
        self._best_parallax = 0.0

    def update(
        self, landmarks: np.ndarray | None, now: float, spoof_score: float | None = None
    ) -> LivenessState:
        if landmarks is None:
            self._missing += 1
            if self._missing > self._settings.max_missing_frames:
                self.reset()
            return self.state()
        landmarks = np.asarray(landmarks, dtype=np.float64)
        if landmarks.shape != (MESH_POINTS, 3):
            raise ValueError(f"liveness needs {MESH_POINTS}x3 landmarks, got {landmarks.shape}")
        self._missing = 0
        if self._history and self._jumped(self._history[-1], landmarks):
            self.reset()
        if spoof_score is not None:
            self._spoof.append(float(spoof_score))
        self._track_blink(eye_opening_ratio(landmarks), now)
        self._track_depth(landmarks)
        self._history.append(landmarks)
        return self.state()

    def state(self) -> LivenessState:
        s = self._settings
        spoof_mean = float(np.mean(self._spoof)) if self._spoof else None
        spoof_ok = spoof_mean is None or spoof_mean <= s.max_spoof_score
        depth_ok = self._depth_pairs >= s.min_depth_pairs
        if not spoof_ok:
            reason = ("请本人站到镜头前，不要对着照片或屏幕拍摄",
                      "Please stand in front of the camera yourself, not a photo or a screen")
        elif s.require_depth and not depth_ok:
            reason = ("请缓慢地向左右轻轻转一下头", "Turn your head slightly left and right, slowly")
        elif s.require_blink and not self._blink_seen:
            reason = ("请自然地眨一下眼睛", "Blink naturally")
        else:
            reason = ("", "")
        established = (
            not s.required
            or (spoof_ok and (depth_ok or not s.require_depth) and (self._blink_seen or not s.require_blink))
        )
        return LivenessState(
            established=established,
            blink_seen=self._blink_seen,
            depth_pairs=self._depth_pairs,
            best_parallax=self._best_parallax,
            spoof_mean=spoof_mean,
            reason_zh=reason[0],
            reason_en=reason[1],
        )

    def _jumped(self, previous: np.ndarray, current: np.ndarray) -> bool:
        scale = max(face_scale(previous), 1e-6)
        shift = np.linalg.norm(current[:, :2].mean(axis=0) - previous[:, :2].mean(axis=0)) / scale
        change = abs(face_scale(current) - scale) / scale
        if shift > _MAX_JUMP or change > _MAX_SCALE_CHANGE:
            return True
        return shape_change(previous, current) > _MAX_SHAPE_CHANGE

    def _track_blink(self, ratio: float, now: float) -> None:
        s = self._settings
        self._ratios.append(ratio)
        if len(self._ratios) < _MIN_BLINK_HISTORY:
            return
        open_level = float(np.percentile(self._ratios, 75))
        if open_level <= 0:
            return
        if ratio < open_level * (1.0 - s.blink_drop):
            if self._closed_since is None:
                self._closed_since = now
        elif self._closed_since is not None and ratio > open_level * (1.0 - s.blink_drop / 2.0):
            if now - self._closed_since <= s.blink_max_s:
                self._blink_seen = True
            self._closed_since = None

    def _track_depth(self, landmarks: np.ndarray) -> None:
        s = self._settings
        count = len(self._history)
        if count < 2:
            return
        lags = sorted({max(1, min(count, round(f * count))) for f in _LAG_FRACTIONS})
        for lag in lags:
            parallax = depth_parallax(self._history[-lag], landmarks)
            if parallax.depth_r2 >= s.min_depth_r2:
                self._best_parallax = max(self._best_parallax, parallax.depth_ratio)
                if parallax.depth_ratio >= s.min_parallax_ratio:
                    self._depth_pairs += 1
                    return
