"""Synthesised face-mesh landmark sequences of live subjects and of presentation attacks.

Recorded attack videos cannot ship with the repo (they show faces), so the liveness tracker is
measured and tested on geometry instead: a 468-point face surface with depth, seen by a pinhole camera
either as a real head (rigid 3-D sway, blinks) or as a print / screen of that face (one plane moved
in 3-D, optionally bent, optionally replaying blinks), with landmark noise in pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from appliance.session.liveness import LEFT_EYE, MESH_POINTS, RIGHT_EYE

FACE_WIDTH_M = 0.15
FOCAL_PX = 600.0
DISTANCE_M = 0.6
IMAGE_CENTRE = np.array([320.0, 240.0])
_EYE_WIDTH = 0.2  # in face widths
_EYE_OPEN = 0.32  # lid gap / eye width of an open eye


def face_points(rng: np.random.Generator) -> np.ndarray:
    """A face-shaped surface in metres: x right, y down, z towards the camera (nose tip highest)."""
    points = np.empty((MESH_POINTS, 3))
    n = 0
    while n < MESH_POINTS:
        x, y = rng.uniform(-0.5, 0.5), rng.uniform(-0.65, 0.65)
        if (x / 0.5) ** 2 + (y / 0.65) ** 2 <= 1.0:
            points[n, :2] = x, y
            n += 1
    for eye, side in ((LEFT_EYE, -1.0), (RIGHT_EYE, 1.0)):
        centre = np.array([side * 0.2, -0.12])
        half = _EYE_WIDTH / 2
        lid = _EYE_OPEN * _EYE_WIDTH / 2
        p1, p2, p3, p4, p5, p6 = eye
        for index, (dx, dy) in zip(
            (p1, p2, p3, p4, p5, p6),
            ((-side * half, 0), (-side * half / 3, -lid), (side * half / 3, -lid), (side * half, 0),
             (side * half / 3, lid), (-side * half / 3, lid)),
            strict=True,
        ):
            points[index, :2] = centre + np.array([dx, dy])
    xs, ys = points[:, 0], points[:, 1]
    depth = 0.35 * (1.0 - (xs / 0.5) ** 2 - (ys / 0.65) ** 2) + 0.18 * np.exp(-(xs**2 + (ys - 0.05) ** 2) / 0.01)
    points[:, 2] = depth
    return points * FACE_WIDTH_M


def close_eyes(points: np.ndarray, openness: float) -> np.ndarray:
    """The same face with both eyes' lids moved towards the eye's centre line (0 shut .. 1 open)."""
    out = points.copy()
    for p1, p2, p3, p4, p5, p6 in (LEFT_EYE, RIGHT_EYE):
        mid_y = (points[p1, 1] + points[p4, 1]) / 2
        for index in (p2, p3, p5, p6):
            out[index, 1] = mid_y + (points[index, 1] - mid_y) * openness
    return out


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    y, p, r = np.radians([yaw_deg, pitch_deg, roll_deg])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def project(points: np.ndarray, rot: np.ndarray, shift: np.ndarray, mesh_depth: np.ndarray,
            noise_px: float, rng: np.random.Generator) -> np.ndarray:
    """Pinhole view of posed points, as a face-mesh model reports them: x, y in pixels and a depth
    in the same pixel scale (larger = closer), each with detector noise."""
    posed = points @ rot.T + shift
    distance = DISTANCE_M - posed[:, 2]
    out = np.empty((len(points), 3))
    out[:, :2] = FOCAL_PX * posed[:, :2] / distance[:, None] + IMAGE_CENTRE
    out[:, 2] = FOCAL_PX * mesh_depth / DISTANCE_M
    out += rng.normal(0.0, noise_px, out.shape)
    return out


@dataclass(frozen=True)
class Motion:
    """Smooth sway of a held head or a hand-held print, in degrees and metres."""

    amplitude_deg: float
    shift_m: float
    freq_hz: np.ndarray
    phase: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator, amplitude_deg: float, shift_m: float = 0.01) -> Motion:
        return cls(amplitude_deg, shift_m, rng.uniform(0.2, 0.7, 6), rng.uniform(0, 2 * np.pi, 6))

    def pose(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        wave = np.sin(2 * np.pi * self.freq_hz * t + self.phase)
        rot = rotation(*(self.amplitude_deg * wave[:3]))
        shift = self.shift_m * wave[3:] * np.array([1.0, 1.0, 0.5])
        return rot, shift


def blink_openness(t: float, blink_times: list[float], duration_s: float = 0.2) -> float:
    for start in blink_times:
        if start <= t <= start + duration_s:
            phase = (t - start) / duration_s
            return float(abs(1.0 - 2.0 * phase))
    return 1.0


def _sequence(rng: np.random.Generator, frames: int, fps: float, amplitude_deg: float, noise_px: float,
              blink_times: list[float], surface: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Sway a face laid out by `surface` (a head, or a sheet printed with it) in front of the camera."""
    face = face_points(rng)
    motion = Motion.random(rng, amplitude_deg)
    out = []
    for i in range(frames):
        t = i / fps
        rot, shift = motion.pose(t)
        posed = surface(close_eyes(face, blink_openness(t, blink_times)))
        # A mesh model reports a face's usual depth for each landmark, whatever it is looking at.
        out.append(project(posed, rot, shift, (face @ rot.T)[:, 2], noise_px, rng))
    return out


def live_sequence(rng: np.random.Generator, frames: int, fps: float, amplitude_deg: float,
                  noise_px: float, blink_times: list[float]) -> list[np.ndarray]:
    """A real head: every landmark moves rigidly in 3-D, so nearer points shift more."""
    return _sequence(rng, frames, fps, amplitude_deg, noise_px, blink_times, lambda face: face)


def print_sequence(rng: np.random.Generator, frames: int, fps: float, amplitude_deg: float,
                   noise_px: float, blink_times: list[float] | None = None,
                   bend_radius_m: float | None = None) -> list[np.ndarray]:
    """A print or screen of a frontal face, moved by hand: every landmark lies on one sheet (a plane,
    or a cylinder when bent). Blinks model a replayed video on a screen."""

    def sheet(face: np.ndarray) -> np.ndarray:
        flat = face.copy()
        flat[:, 2] = 0.0
        if bend_radius_m is not None:
            angle = flat[:, 0] / bend_radius_m
            flat[:, 0] = bend_radius_m * np.sin(angle)
            flat[:, 2] = bend_radius_m * (np.cos(angle) - 1.0)
        return flat

    return _sequence(rng, frames, fps, amplitude_deg, noise_px, blink_times or [], sheet)
