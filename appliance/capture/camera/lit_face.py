"""A light response layer for development sources: the picture answers the LED ring like a face.

The demo portrait is a flat photograph; on a real booth the ring's light falls on a face, brighter
where the skin faces the ring. This layer wraps any FrameSource and relights its guidance frames
from what a (virtual) ring shows, so `appliance run --demo` can play the light challenge and pass
it as a live face would, and so the exposure lock has something to protect:
- the face's surface is the mesh the booth measured just before the challenge (`face_at`): its
  depths spread into a smooth depth map whose normals give Lambertian light from the ring's left
  and right halves, seen at `ring_angle_deg` from the lens, plus room light; each colour channel
  of the picture answers the same channel of the ring (a coloured step tints the face);
- the ring's levels reach the picture `latency_s` late. The frame says when it was "exposed" (its
  `exposed_at`, the moment the ring was sampled), as a camera's sensor timestamp does: rendering
  and delivering it take a different time for every frame on a busy processor, and stamped on
  arrival the frames would lag the ring by that jitter, which no real face shows;
- an automatic exposure pulls the picture's brightness back towards its reference with a time
  constant of `ae_time_s`, unless the exposure is locked (lock_exposure), as a camera's AE would.
Stills are left alone: they are taken at the ring's base level, after the challenge.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

import cv2
import numpy as np

from appliance.capture.camera.base import ExposureLock, Frame, FrameSource

_TO_LINEAR = ((np.arange(256, dtype=np.float32) / 255.0) ** 2.2).astype(np.float32)
RingPixels = Callable[[], tuple[Sequence[float], Sequence[tuple[float, float, float]]]]


def ring_reader(ring: object) -> RingPixels:
    """(positions, pixels) of a ring that keeps what it shows (VirtualRing.pixels)."""

    def read() -> tuple[Sequence[float], Sequence[tuple[float, float, float]]]:
        return ring.positions, ring.pixels  # type: ignore[attr-defined]

    return read


class LitFaceSource:
    def __init__(
        self,
        inner: FrameSource,
        *,
        latency_s: float = 0.0,
        ring_angle_deg: float = 18.0,
        ambient: float = 0.35,
        ae_time_s: float = 0.15,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = f"{inner.name}+lit"
        self._inner = inner
        self._latency = latency_s
        self._tan = math.tan(math.radians(ring_angle_deg))
        self._ambient = ambient
        self._ae_time = ae_time_s
        self._clock = clock
        self._lock = threading.Lock()
        self._ring: RingPixels | None = None
        # (time, left, right): the halves' mean (red, green, blue) levels
        self._history: deque[tuple[float, np.ndarray, np.ndarray]] = deque(maxlen=64)
        self._landmarks: np.ndarray | None = None
        self._shading: tuple[tuple[int, int, int, int], np.ndarray, np.ndarray, np.ndarray] | None = None
        self._reference: tuple[np.ndarray, np.ndarray] | None = None
        self._locked = False
        self._ae_gain = 1.0
        self._ae_target: float | None = None
        self._last_read: float | None = None

    # -- wiring -------------------------------------------------------------------------------------
    def attach(self, ring: RingPixels) -> None:
        """The ring whose light this picture answers (built after the camera in the composition root)."""
        with self._lock:
            self._ring = ring

    def face_at(self, landmarks: np.ndarray | None) -> None:
        """Where the face is (the booth's last mesh, lores pixels); the ring's level now is the reference."""
        with self._lock:
            self._landmarks = None if landmarks is None else np.asarray(landmarks, dtype=np.float64)
            self._shading = None
            self._reference = None
            self._ae_target = None  # the AE meters the face from now on

    # -- FrameSource ----------------------------------------------------------------------------------
    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        self._inner.close()

    def read(self, want_full: bool) -> Frame:
        # The light is sampled when the frame is "exposed", before the (slow) rendering.
        now = self._clock()
        with self._lock:
            self._sample_ring(now)
        frame = self._inner.read(want_full)
        with self._lock:
            lit = self._relight(frame.lores, now)
            lit = self._expose(lit, now)
            gain = self._ae_gain
        # the guidance picture is relit and re-exposed; the still (taken at the ring's base level) is not
        inner = frame.exposure
        exposure = replace(inner, analogue_gain=(inner.analogue_gain or 1.0) * gain, origin="simulated")
        return replace(frame, lores=lit, exposure=exposure, source=frame.source or self.name, exposed_at=now)

    # -- ExposureControl ---------------------------------------------------------------------------
    def lock_exposure(self) -> ExposureLock:
        with self._lock:
            self._locked = True
            # The picture answers the ring's light at one instant (its exposed_at), not over an
            # exposure window: said so, the challenge does not blur it across a step's change.
            return ExposureLock(True, 0.0, round(self._ae_gain, 4), None, reason="simulated by the light layer")

    def unlock_exposure(self) -> None:
        """The challenge is over: the face is measured afresh at the next one. Without forgetting it,
        the next student (sitting elsewhere) would be relit at this face's place and from this
        challenge's reference level."""
        with self._lock:
            self._locked = False
            self._landmarks = None
            self._shading = None
            self._reference = None

    # -- the simulation -------------------------------------------------------------------------------
    def _sample_ring(self, now: float) -> None:
        if self._ring is None:
            return
        positions, pixels = self._ring()
        left = [p for x, p in zip(positions, pixels, strict=False) if x < 0.3]
        right = [p for x, p in zip(positions, pixels, strict=False) if x > -0.3]
        self._history.append((now, np.mean(left, axis=0) if left else np.zeros(3),
                              np.mean(right, axis=0) if right else np.zeros(3)))

    def _levels(self, now: float) -> tuple[np.ndarray, np.ndarray] | None:
        """The ring's (left, right) levels `latency_s` ago (the newest sample, when none is that old:
        the ring is sampled only as frames are read, so a slow frame rate must not add a frame)."""
        target = now - self._latency
        chosen = None
        for t, left, right in self._history:
            if t <= target or chosen is None:
                chosen = (left, right)
        return chosen

    def _relight(self, image: np.ndarray, now: float) -> np.ndarray:
        levels = self._levels(now)
        if self._landmarks is None or levels is None:
            return image
        if self._reference is None:
            self._reference = levels
        ref_left, ref_right = self._reference
        if ref_left.max() <= 0 or ref_right.max() <= 0:
            return image
        # Per (blue, green, red) channel of the picture: the ring's levels are (red, green, blue).
        gain_left = (levels[0] / np.maximum(ref_left, 1e-6))[::-1]
        gain_right = (levels[1] / np.maximum(ref_right, 1e-6))[::-1]
        if np.abs(gain_left - 1).max() < 1e-3 and np.abs(gain_right - 1).max() < 1e-3:
            return image
        if self._shading is None:
            self._shading = self._shade_maps(image.shape)
        (x0, y0, x1, y1), left, right, base = self._shading
        factor = (self._ambient + gain_left * left[..., None] + gain_right * right[..., None]) / base[..., None]
        if image.ndim == 2:  # a grey picture answers the ring's luminance
            factor = factor @ np.array([0.0722, 0.7152, 0.2126], np.float32)
        out = image.copy()
        # Gamma-encoded pixels: relight in linear light (only the face's box is touched).
        crop = _TO_LINEAR[image[y0:y1, x0:x1]] * factor
        out[y0:y1, x0:x1] = (np.clip(crop, 0, 1) ** (1 / 2.2) * 255.0 + 0.5).astype(np.uint8)
        return out

    def _shade_maps(self, shape: tuple[int, ...]) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray,
                                                           np.ndarray]:
        """Lambertian shading maps of the two ring halves from the mesh's own surface: the landmarks'
        depths spread into a smooth depth map (normalised convolution), its gradient the normals."""
        assert self._landmarks is not None
        pts = self._landmarks
        height, width = shape[:2]
        lo, hi = pts[:, :2].min(axis=0), pts[:, :2].max(axis=0)
        margin = 0.1 * (hi - lo)
        x0, y0 = np.maximum((lo - margin).astype(int), 0)
        x1, y1 = np.minimum((hi + margin).astype(int) + 1, (width, height))
        box = (int(x0), int(y0), int(x1), int(y1))
        size = (y1 - y0, x1 - x0)
        splat = np.zeros(size, np.float32)
        weight = np.zeros(size, np.float32)
        cols = np.clip((pts[:, 0] - x0).astype(int), 0, size[1] - 1)
        rows = np.clip((pts[:, 1] - y0).astype(int), 0, size[0] - 1)
        np.add.at(splat, (rows, cols), pts[:, 2].astype(np.float32))
        np.add.at(weight, (rows, cols), 1.0)
        sigma = max(1.0, 0.04 * float(hi[0] - lo[0]))
        depth = cv2.GaussianBlur(splat, (0, 0), sigma) / np.maximum(cv2.GaussianBlur(weight, (0, 0), sigma), 1e-6)
        zx = cv2.Sobel(depth, cv2.CV_32F, 1, 0, ksize=3) / 8.0
        zy = cv2.Sobel(depth, cv2.CV_32F, 0, 1, ksize=3) / 8.0
        norm = np.sqrt(zx**2 + zy**2 + 1.0)
        nx, nz = zx / norm, 1.0 / norm  # z grows away from the camera: a right-facing cheek has zx > 0
        hull = cv2.convexHull((pts[:, :2] - (x0, y0)).astype(np.float32)).astype(np.int32)
        inside = np.zeros(size, np.uint8)
        cv2.fillConvexPoly(inside, hull, 1)
        face = inside.astype(bool)
        sin, cos = self._tan / math.hypot(1.0, self._tan), 1.0 / math.hypot(1.0, self._tan)
        # Off the face (the backdrop, far behind) the ring adds little light.
        left = np.where(face, np.clip(-nx * sin + nz * cos, 0, None), 0.03).astype(np.float32)
        right = np.where(face, np.clip(nx * sin + nz * cos, 0, None), 0.03).astype(np.float32)
        base = self._ambient + left + right
        return box, left, right, base

    def _expose(self, image: np.ndarray, now: float) -> np.ndarray:
        """A centre-weighted AE: it meters the face when it knows where it is."""
        if self._shading is not None:
            x0, y0, x1, y1 = self._shading[0]
            mean = float(image[y0:y1:2, x0:x1:2].mean())
        else:
            mean = float(image[::8, ::8].mean())
        dt = 0.0 if self._last_read is None else max(now - self._last_read, 0.0)
        self._last_read = now
        if self._ae_target is None:
            self._ae_target = mean
        if not self._locked and mean > 0 and dt > 0:
            wanted = self._ae_target / max(mean, 1e-3)
            self._ae_gain += (wanted - self._ae_gain) * min(dt / self._ae_time, 1.0)
        elif not self._locked:
            return image
        if abs(self._ae_gain - 1.0) < 1e-3:
            return image
        return cv2.convertScaleAbs(image, alpha=self._ae_gain)
