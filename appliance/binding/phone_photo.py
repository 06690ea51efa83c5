"""Synthetic camera frames of a QR code shown on a phone screen.

The booth reads capture codes off phone screens held in front of the camera; the hard cases are
small modules (2.5 px), the screen's pixel grid beating against the sensor grid (moire), glare from
the LED ring, perspective, focus blur and JPEG. Tests, the QR benchmark and `appliance code make
--phone-photo` all need the same kind of frames, so they are produced in one place with every
impairment a parameter and every random choice drawn from the caller's generator (reproducible).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import segno

# Screen pixels per QR module on the phone, and camera-independent supersampling of one screen pixel.
_SCREEN_PX_PER_MODULE = 8
_SUBPIXELS = 3
_QUIET_ZONE_MODULES = 4


@dataclass(frozen=True)
class PhoneShot:
    """How one frame is made; module_px is the code's module size in the final frame."""

    module_px: float = 4.0
    frame_size: tuple[int, int] = (1280, 720)
    rotation_deg: float = 0.0
    tilt: float = 0.0  # 0..~0.25: how far the corners move off the rectangle, relative to size
    glare: float = 0.0  # 0..1: peak brightness added by a reflection of the LED ring
    moire: float = 0.0  # 0..0.5: how much darker the gaps between screen pixels are
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0
    jpeg_quality: int | None = None


def random_shot(
    rng: np.random.Generator, module_px: float, frame_size: tuple[int, int] = (1280, 720), hard: bool = False
) -> PhoneShot:
    """A plausible booth frame with some of every impairment; `hard` doubles glare and moire depth."""
    severity = 2.0 if hard else 1.0
    return PhoneShot(
        module_px=module_px,
        frame_size=frame_size,
        rotation_deg=float(rng.uniform(-35, 35)),
        tilt=float(rng.uniform(0.0, 0.18)),
        glare=float(rng.choice([0.0, rng.uniform(0.2, 0.5) * severity])),
        moire=float(rng.choice([0.0, rng.uniform(0.08, 0.25) * severity])),
        blur_sigma=float(rng.uniform(0.0, 0.9)),
        noise_sigma=float(rng.uniform(1.0, 5.0)),
        jpeg_quality=int(rng.integers(45, 90)),
    )


def qr_matrix(payload: str) -> np.ndarray:
    """The code's modules (1 = dark) with its quiet zone; error level M as phones usually show."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    modules = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    return np.pad(modules, _QUIET_ZONE_MODULES)


def _screen_image(modules: np.ndarray, moire: float) -> np.ndarray:
    """The phone's screen content, supersampled, with the dark gaps between screen pixels."""
    cell = _SCREEN_PX_PER_MODULE * _SUBPIXELS
    light, dark = 238.0, 28.0
    image = np.where(np.kron(modules, np.ones((cell, cell), np.uint8)) > 0, dark, light).astype(np.float32)
    margin = modules.shape[0] * cell // 5
    screen = np.full((image.shape[0] + 3 * margin, image.shape[1] + margin), light, np.float32)
    screen[2 * margin : 2 * margin + image.shape[0], margin // 2 : margin // 2 + image.shape[1]] = image
    screen[: margin // 2, :] = 90.0  # the app's title bar
    if moire > 0:
        grid = np.ones(_SUBPIXELS, np.float32)
        grid[-1] = 1.0 - moire
        screen *= np.tile(grid, screen.shape[1] // _SUBPIXELS + 1)[None, : screen.shape[1]]
        screen *= np.tile(grid, screen.shape[0] // _SUBPIXELS + 1)[: screen.shape[0], None]
    tint = np.array([1.0, 0.97, 0.93], np.float32)  # screens lean blue-white
    return screen[..., None] * tint


def _phone_image(screen: np.ndarray) -> np.ndarray:
    """The screen inside a dark bezel."""
    height, width = screen.shape[:2]
    border = width // 14
    phone = np.full((height + 2 * border, width + 2 * border, 3), 18.0, np.float32)
    phone[border : border + height, border : border + width] = screen
    return phone


def _background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    low = rng.uniform(40, 140, size=(height // 40 + 2, width // 40 + 2, 3)).astype(np.float32)
    return cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)


def _target_quad(rng: np.random.Generator, shot: PhoneShot, size: tuple[float, float]) -> np.ndarray:
    """Where the phone's corners land in the frame: rotated, tilted and placed at random."""
    width, height = size
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * np.array([width, height], np.float32) / 2
    corners += rng.uniform(-shot.tilt, shot.tilt, size=(4, 2)).astype(np.float32) * np.array([width, height])
    angle = np.deg2rad(shot.rotation_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    corners = corners @ rotation.T
    frame_w, frame_h = shot.frame_size
    span = corners.max(axis=0) - corners.min(axis=0)
    room = np.maximum(np.array([frame_w, frame_h], np.float32) - span, 0) / 2
    shift = rng.uniform(-1, 1, 2).astype(np.float32) * room * 0.8
    centre = np.array([frame_w / 2, frame_h / 2], np.float32) + shift
    return corners + centre


def _add_glare(rng: np.random.Generator, frame: np.ndarray, quad: np.ndarray, strength: float) -> np.ndarray:
    """An elongated bright reflection somewhere on the phone, saturating at its peak."""
    height, width = frame.shape[:2]
    weights = rng.dirichlet(np.ones(4)).astype(np.float32)
    cx, cy = weights @ quad
    span = float(np.linalg.norm(quad[2] - quad[0]))
    sx, sy = span * rng.uniform(0.05, 0.18), span * rng.uniform(0.03, 0.08)
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xs - cx, ys - cy
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = -dx * np.sin(angle) + dy * np.cos(angle)
    spot = np.exp(-(u**2 / (2 * sx**2) + v**2 / (2 * sy**2)))
    return frame + (strength * 255.0 * spot)[..., None]


def render_phone_photo(payload: str | None, shot: PhoneShot, rng: np.random.Generator) -> np.ndarray:
    """A BGR uint8 camera frame showing `payload` as a QR code on a phone held up to the lens.

    With payload None the phone shows an empty screen of a typical code's size (a frame with no code).
    """
    modules = qr_matrix(payload) if payload is not None else np.zeros((65, 65), np.uint8)
    phone = _phone_image(_screen_image(modules, shot.moire))
    # The phone is scaled so that one code module covers shot.module_px frame pixels.
    scale = shot.module_px / (_SCREEN_PX_PER_MODULE * _SUBPIXELS)
    size = (phone.shape[1] * scale, phone.shape[0] * scale)
    quad = _target_quad(rng, shot, size)
    if shot.moire <= 0:
        # Without moire the optics average the screen pixels: shrink with area averaging first.
        shrunk = (max(1, round(size[0])), max(1, round(size[1])))
        phone = cv2.resize(phone, shrunk, interpolation=cv2.INTER_AREA)
    # Otherwise point sampling (no prefiltering) makes the screen grid alias into moire, as a sensor does.
    height, width = phone.shape[:2]
    source = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, quad)
    frame_w, frame_h = shot.frame_size
    frame = _background(rng, shot.frame_size)
    mask = cv2.warpPerspective(np.ones((height, width), np.float32), matrix, (frame_w, frame_h))
    warped = cv2.warpPerspective(phone, matrix, (frame_w, frame_h), flags=cv2.INTER_LINEAR)
    frame = frame * (1 - mask[..., None]) + warped * mask[..., None]
    if shot.glare > 0:
        frame = _add_glare(rng, frame, quad, shot.glare)
    if shot.blur_sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), shot.blur_sigma)
    if shot.noise_sigma > 0:
        frame = frame + rng.normal(0, shot.noise_sigma, frame.shape).astype(np.float32)
    image = np.clip(frame, 0, 255).astype(np.uint8)
    if shot.jpeg_quality is not None:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, shot.jpeg_quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return image
