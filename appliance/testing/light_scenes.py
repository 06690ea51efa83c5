"""Physically simulated recordings of the ring's light challenge: a live face, a print, a screen.

Recorded attack videos cannot ship with the repo (they show faces), and a simulator that reused the
decision's own model would only confirm itself. So this one generates the light from geometry and
knows nothing of appliance/session/light_response.py:
- the ring is two arcs of point LEDs beside the lens (each LED a forward-facing cosine emitter),
  refreshed at 30 Hz as the animator drives it; each LED has red, green and blue dies driven by
  the step's colour (white = the camera's white, as the white balance was locked under the ring);
- the room light has its own colour (a warm or cool tint per trial) and the camera's colour
  filters overlap (each channel sees 3-15 % of its neighbours), which the decision does not model;
- a live face is a height field (cheeks, brow, nose, chin vary per subject) whose per-pixel normal
  sets Lambertian irradiance from every LED (inverse square, incidence cosine) plus room light from
  above, with a weak skin specular lobe; its mesh landmarks are sampled from the same surface with
  pixel noise and the mesh model's unknown depth scale;
- a print is a matte sheet, flat or bent into a cylinder, printed with a photo of a face taken under
  other light (its reflectance carries that photo's shading); its landmarks are where the depicted
  face lies on the sheet, with the face's usual depth (a mesh model infers a face shape regardless);
- a phone or tablet screen emits a photo of a face at its own luminance, reflects the ring faintly
  and diffusely from the panel, and mirrors each LED as a glint where the glass reflects it into the
  lens;
- the camera (exposure fixed during the challenge, as the booth locks it) integrates each row over
  its exposure with a rolling shutter, adds shot and read noise, applies an sRGB tone curve (not the
  plain power law the decision assumes) and quantises to 8 bits; frames are stamped when they are
  received, a per-session pipeline delay after their exposure.
Units: lengths in metres; the ring's irradiance on a face 0.6 m away is ~1 at full gain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from appliance.capture.light_challenge import LightChallenge
from appliance.testing.synthetic_faces import rotation

MESH_POINTS = 468
EYE_OUTER = (33, 263)
WIDTH, HEIGHT = 640, 360
FOCAL_PX = 490.0  # Camera Module 3 wide-ish lens on a 640 px wide lores stream
CENTRE = np.array([WIDTH / 2, HEIGHT / 2])
RING_REFRESH_HZ = 30.0
LEDS_PER_SIDE = 4


@dataclass(frozen=True)
class Camera:
    fps: float = 15.0
    exposure_s: float = 0.02
    readout_s: float = 0.03  # rolling shutter: first to last row
    delay_s: float = 0.04  # end of a frame's exposure to its timestamp
    read_noise: float = 0.004  # linear units, at the chosen gain
    shot_noise: float = 0.01


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def ring_leds(radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (n, 3) of LEDs on the ring around the lens and which side (0 left, 1 right) each is."""
    angles = np.linspace(np.radians(110), np.radians(250), LEDS_PER_SIDE)  # the image-left arc
    left = np.column_stack([radius_m * np.cos(angles), radius_m * np.sin(angles), np.zeros(LEDS_PER_SIDE)])
    right = left * np.array([-1.0, 1.0, 1.0])
    return np.vstack([left, right]), np.repeat([0, 1], LEDS_PER_SIDE)


# -- a face as a surface ------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceShape:
    """Height (towards the camera, in face widths) over the face plane; x right, y down, face widths."""

    depth: float
    nose: float
    cheek: float
    brow: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> FaceShape:
        return cls(rng.uniform(0.28, 0.42), rng.uniform(0.12, 0.24), rng.uniform(0.0, 0.06), rng.uniform(0.0, 0.04))

    def height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r2 = (x / 0.5) ** 2 + (y / 0.68) ** 2
        dome = self.depth * np.sqrt(np.clip(1.0 - r2, 0.0, 1.0))
        nose = self.nose * np.exp(-((x / 0.07) ** 2) - ((y - 0.08) / 0.2) ** 2)
        cheeks = self.cheek * (np.exp(-(((np.abs(x) - 0.22) / 0.1) ** 2) - ((y - 0.12) / 0.12) ** 2))
        brow = self.brow * np.exp(-((y + 0.2) / 0.06) ** 2) * (np.abs(x) < 0.35)
        return dome + nose + cheeks + brow

    def gradient(self, x: np.ndarray, y: np.ndarray, eps: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
        hx = (self.height(x + eps, y) - self.height(x - eps, y)) / (2 * eps)
        hy = (self.height(x, y + eps) - self.height(x, y - eps)) / (2 * eps)
        return hx, hy


def inside_face(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x / 0.5) ** 2 + (y / 0.68) ** 2 < 0.97


def landmark_layout(rng: np.random.Generator) -> np.ndarray:
    """(468, 2) face-plane positions (face widths): a jittered cover of the oval, eye corners fixed."""
    points: list[tuple[float, float]] = []
    while len(points) < MESH_POINTS:
        x, y = rng.uniform(-0.5, 0.5), rng.uniform(-0.68, 0.68)
        if inside_face(np.array(x), np.array(y)):
            points.append((x, y))
    layout = np.array(points)
    layout[EYE_OUTER[0]] = (-0.3, -0.12)
    layout[EYE_OUTER[1]] = (0.3, -0.12)
    return layout


@dataclass(frozen=True)
class Skin:
    """A subject's skin: tone and a fixed mottling pattern that moves with the face."""

    tone: float
    waves: np.ndarray  # (k, 3): spatial frequencies x, y (cycles per face width) and phase

    @classmethod
    def random(cls, rng: np.random.Generator, low: float = 0.18, high: float = 0.55) -> Skin:
        waves = np.column_stack([rng.uniform(-60, 60, 4), rng.uniform(-60, 60, 4), rng.uniform(0, 2 * np.pi, 4)])
        return cls(float(rng.uniform(low, high)), waves)

    def albedo(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(..., 3) BGR reflectance: skin, darker brows, dark eyes, redder lips, mottling."""
        base = self.tone * np.array([0.55, 0.72, 1.0])
        phase = 2 * np.pi * (np.multiply.outer(x, self.waves[:, 0]) + np.multiply.outer(y, self.waves[:, 1]))
        mottle = 1.0 + 0.04 * np.sin(phase + self.waves[:, 2]).sum(axis=-1)
        albedo = base * mottle[..., None]
        brows = (np.abs(np.abs(x) - 0.2) < 0.11) & (np.abs(y + 0.24) < 0.03)
        eyes = ((np.abs(x) - 0.2) / 0.1) ** 2 + ((y + 0.12) / 0.04) ** 2 < 1
        lips = (x / 0.16) ** 2 + ((y - 0.45) / 0.05) ** 2 < 1
        albedo[brows] *= 0.35
        albedo[eyes] = 0.2
        albedo[lips] *= np.array([0.7, 0.6, 0.95])
        return albedo


@dataclass(frozen=True)
class Pose:
    centre: np.ndarray  # metres, camera frame (x right, y down, z away from the camera)
    rot: np.ndarray


Box = tuple[int, int, int, int]


def pixel_grid(pose: Pose, half_extent_m: float, clip: Box | None = None) -> tuple[np.ndarray, tuple[int, ...], Box]:
    """Pixel centres (n, 2) of the box that an object of this size around `pose.centre` covers
    (within `clip`, x0, y0, x1, y1, where only that part of the frame is wanted), the box's (rows,
    columns) and the box itself."""
    z = pose.centre[2]
    c = FOCAL_PX * pose.centre[:2] / z + CENTRE
    half = FOCAL_PX * half_extent_m / z
    x0, y0 = np.maximum(np.floor(c - half).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(c + half).astype(int), (WIDTH, HEIGHT))
    if clip is not None:
        x0, y0 = max(x0, clip[0]), max(y0, clip[1])
        x1, y1 = max(min(x1, clip[2]), x0), max(min(y1, clip[3]), y0)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    return np.column_stack([xx.ravel() + 0.5, yy.ravel() + 0.5]), xx.shape, (int(x0), int(y0), int(x1), int(y1))


def plane_coords(pixels: np.ndarray, pose: Pose) -> np.ndarray:
    """Where each pixel's ray meets the object's base plane, in the object's own (metres) frame."""
    rays = np.column_stack([(pixels - CENTRE) / FOCAL_PX, np.ones(len(pixels))])
    normal = pose.rot[:, 2]
    t = (pose.centre @ normal) / (rays @ normal)
    hit = rays * t[:, None]
    return (hit - pose.centre) @ pose.rot


@dataclass(frozen=True)
class Lighting:
    leds: np.ndarray
    side: np.ndarray
    led_power: float  # per LED: irradiance ~1 at 0.6 m from the whole ring
    ambient: float  # room light relative to the ring's full irradiance
    ambient_dir: np.ndarray  # unit vector towards the room's main light
    # the room light's colour (blue, green, red), mean ~1
    ambient_bgr: np.ndarray = field(default_factory=lambda: np.ones(3))


def irradiance(points: np.ndarray, normals: np.ndarray, light: Lighting) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) irradiance from the left and right halves at full gain, and (n,) room irradiance."""
    per_side = np.zeros((len(points), 2))
    for led, side in zip(light.leds, light.side, strict=True):
        to_led = led - points
        dist2 = np.sum(to_led**2, axis=1)
        direction = to_led / np.sqrt(dist2)[:, None]
        incidence = np.clip(np.einsum("ij,ij->i", normals, direction), 0.0, None)
        emission = np.clip(-direction[:, 2], 0.0, None)  # LEDs face the subject (+z)
        per_side[:, side] += light.led_power * incidence * emission / dist2
    room = light.ambient * (0.55 + 0.45 * (normals @ light.ambient_dir))
    return per_side, np.clip(room, 0.0, None)


def smooth_irradiance(points: np.ndarray, normals: np.ndarray, light: Lighting,
                      shape2d: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """`irradiance` computed on every second pixel and interpolated: light varies smoothly over a
    surface, so this changes region means by far less than the camera's noise, at a quarter the cost."""
    h, w = shape2d
    if h < 8 or w < 8:
        return irradiance(points, normals, light)
    sub = (slice(None, None, 2), slice(None, None, 2))
    p = points.reshape(h, w, 3)[sub].reshape(-1, 3)
    n = normals.reshape(h, w, 3)[sub].reshape(-1, 3)
    hs, ws = p.shape[0] // ((w + 1) // 2), (w + 1) // 2
    per_side, room = irradiance(p, n, light)
    stack = np.dstack([per_side.reshape(hs, ws, 2), room.reshape(hs, ws, 1)]).astype(np.float32)
    full = cv2.resize(stack, (ws * 2, hs * 2), interpolation=cv2.INTER_LINEAR)[:h, :w]
    return full[..., :2].reshape(-1, 2).astype(np.float64), full[..., 2].reshape(-1).astype(np.float64)


# -- scenes -------------------------------------------------------------------------------------


@dataclass
class Scene:
    """One presentation: how to render its linear radiance for given per-row ring gains."""

    landmarks: np.ndarray  # (468, 3) as the mesh model would report them: px, z px (smaller nearer)
    # (gains_left, gains_right) per row and (blue, green, red) channel, (HEIGHT, 3) each, t -> BGR linear
    # (`clip`: only that box of the frame is wanted; the rest is left as backdrop)
    render: Callable[[np.ndarray, np.ndarray, float, Box | None], np.ndarray]
    kind: str


def _mesh_landmarks(layout: np.ndarray, height: np.ndarray, pose: Pose, width_m: float, z_scale: float,
                    noise_px: float, rng: np.random.Generator, surface: np.ndarray | None = None) -> np.ndarray:
    """Landmarks of a face as a mesh model reports them: 2-D where the face appears (on `surface`
    points if given, else the face itself) and depth from the face's usual relief."""
    local = np.column_stack([layout * width_m, -height * width_m])
    world = (surface if surface is not None else local) @ pose.rot.T + pose.centre
    uv = FOCAL_PX * world[:, :2] / world[:, 2:3] + CENTRE
    scale = FOCAL_PX / pose.centre[2]
    z = -height * width_m * scale * z_scale
    out = np.column_stack([uv, z])
    out[:, :2] += rng.normal(0.0, noise_px, (len(out), 2))
    out[:, 2] += rng.normal(0.0, noise_px, len(out))
    return out


def live_scene(rng: np.random.Generator, light: Lighting) -> Scene:
    shape = FaceShape.random(rng)
    width = rng.uniform(0.13, 0.16)
    distance = rng.uniform(0.5, 0.8)
    centre0 = np.array([rng.uniform(-0.03, 0.03), rng.uniform(-0.02, 0.02), distance])
    angles0 = rng.uniform(-6, 6, 3)
    sway = rng.uniform(0.2, 1.2, 3)
    freq = rng.uniform(0.3, 0.9, 3)
    phase = rng.uniform(0, 2 * np.pi, 3)
    drift = rng.normal(0.0, 0.002, 3)
    skin = Skin.random(rng)
    specular = rng.uniform(0.01, 0.05)
    layout = landmark_layout(rng)
    pose0 = Pose(centre0, rotation(*angles0))
    landmarks = _mesh_landmarks(layout, shape.height(layout[:, 0], layout[:, 1]), pose0, width,
                                rng.uniform(0.7, 1.3), rng.uniform(0.3, 1.0), rng)

    def render(gains_left: np.ndarray, gains_right: np.ndarray, t: float, clip: Box | None = None) -> np.ndarray:
        wave = np.sin(2 * np.pi * freq * t + phase)
        pose = Pose(centre0 + drift * t, rotation(*(angles0 + sway * wave)))
        pixels, shape2d, box = pixel_grid(pose, 0.75 * width, clip)
        local = plane_coords(pixels, pose) / width
        x, y = local[:, 0], local[:, 1]
        face = inside_face(x, y)
        hx, hy = shape.gradient(x, y)
        normals_local = np.column_stack([-hx, -hy, -np.ones_like(x)])
        normals_local /= np.linalg.norm(normals_local, axis=1, keepdims=True)
        points_local = np.column_stack([x * width, y * width, -shape.height(x, y) * width])
        points = points_local @ pose.rot.T + pose.centre
        normals = normals_local @ pose.rot.T
        per_side, room = smooth_irradiance(points, normals, light, shape2d)
        albedo = skin.albedo(x, y)
        ring, room3 = _lit(per_side, room, light, gains_left, gains_right, pixels)
        # Specular: coaxial light, so the highlight sits where the skin faces the lens.
        view = -points / np.linalg.norm(points, axis=1, keepdims=True)
        lobe = np.clip(np.sum(normals * view, axis=1), 0, 1) ** 30
        radiance = albedo * (ring + room3) + specular * ring * lobe[:, None]
        radiance[~face] = 0.08 * (room3[~face] + 0.1)
        return _place(radiance, shape2d, box)

    return Scene(landmarks, render, "live")


@dataclass(frozen=True)
class FacePhoto:
    """A photo of a face taken under its own light (a key light from some side, and fill): what a
    print or a screen shows. Values are linear, 0..~0.85."""

    shape: FaceShape
    skin: Skin
    key: np.ndarray
    backdrop: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> FacePhoto:
        key = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.1), 1.0])
        return cls(FaceShape.random(rng), Skin.random(rng), key / np.linalg.norm(key), float(rng.uniform(0.05, 0.5)))

    def values(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        hx, hy = self.shape.gradient(x, y)
        normals = np.column_stack([-hx, -hy, np.ones_like(x)])  # towards the photographer
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        shade = 0.3 + 0.7 * np.clip(normals @ self.key, 0, 1)
        value = self.skin.albedo(x, y) * shade[:, None]
        value[~inside_face(x, y)] = self.backdrop
        return value / (self.skin.tone * 1.2) * 0.7


def print_scene(rng: np.random.Generator, light: Lighting, bend_radius_m: float | None = None) -> Scene:
    photo = FacePhoto.random(rng)
    shape = photo.shape
    width = rng.uniform(0.1, 0.16)  # the printed face's width on paper
    distance = rng.uniform(0.35, 0.75)
    centre0 = np.array([rng.uniform(-0.03, 0.03), rng.uniform(-0.02, 0.02), distance])
    angles0 = np.array([rng.uniform(-12, 12), rng.uniform(-12, 12), rng.uniform(-5, 5)])
    shake = rng.uniform(0.2, 1.5, 3)
    freq = rng.uniform(0.5, 2.0, 3)
    phase = rng.uniform(0, 2 * np.pi, 3)
    paper = rng.uniform(0.75, 0.9)
    layout = landmark_layout(rng)
    height = shape.height(layout[:, 0], layout[:, 1])
    sheet = _bend(np.column_stack([layout * width, np.zeros(len(layout))]), bend_radius_m)
    pose0 = Pose(centre0, rotation(*angles0))
    landmarks = _mesh_landmarks(layout, height, pose0, width, rng.uniform(0.7, 1.3), rng.uniform(0.3, 1.0),
                                rng, surface=sheet)

    def render(gains_left: np.ndarray, gains_right: np.ndarray, t: float, clip: Box | None = None) -> np.ndarray:
        wave = np.sin(2 * np.pi * freq * t + phase)
        pose = Pose(centre0, rotation(*(angles0 + shake * wave)))
        pixels, shape2d, box = pixel_grid(pose, 0.75 * width, clip)
        local = plane_coords(pixels, pose)
        x, y = local[:, 0] / width, local[:, 1] / width
        flat = np.column_stack([local[:, 0], local[:, 1], np.zeros(len(local))])
        points_local = _bend(flat, bend_radius_m)
        normals_local = _bend_normals(flat, bend_radius_m)
        points = points_local @ pose.rot.T + pose.centre
        normals = normals_local @ pose.rot.T
        per_side, room = smooth_irradiance(points, normals, light, shape2d)
        # Ink darkens paper; a print's contrast is compressed between paper white and ink black.
        reflect = 0.03 + (paper - 0.03) * np.clip(photo.values(x, y), 0, 1)
        ring, room3 = _lit(per_side, room, light, gains_left, gains_right, pixels)
        radiance = reflect * (ring + room3)
        return _place(radiance, shape2d, box)

    return Scene(landmarks, render, "print")


def _bend(points: np.ndarray, radius: float | None) -> np.ndarray:
    if radius is None:
        return points
    angle = points[:, 0] / radius
    out = points.copy()
    out[:, 0] = radius * np.sin(angle)
    out[:, 2] = radius * (1.0 - np.cos(angle))  # edges bend away from the camera
    return out


def _bend_normals(points: np.ndarray, radius: float | None) -> np.ndarray:
    """Unit normals (towards the camera, -z) of the sheet at each flat position."""
    if radius is None:
        return np.tile([0.0, 0.0, -1.0], (len(points), 1))
    angle = points[:, 0] / radius
    return np.column_stack([np.sin(angle), np.zeros(len(points)), -np.cos(angle)])


@dataclass(frozen=True)
class ScreenKind:
    name: str
    size_m: tuple[float, float]
    distance_m: tuple[float, float]
    face_fill: tuple[float, float]  # face width / screen width


PHONE = ScreenKind("phone", (0.068, 0.145), (0.2, 0.4), (0.6, 0.9))
TABLET = ScreenKind("tablet", (0.165, 0.235), (0.35, 0.7), (0.5, 0.8))


def screen_scene(rng: np.random.Generator, light: Lighting, kind: ScreenKind, follows_ring: bool = False) -> Scene:
    """A screen showing a photo of a face. `follows_ring`: an adaptive attacker whose screen
    brightens and dims its picture in step with the ring's overall brightness (a light sensor, no
    delay): it cannot tell the ring's sides apart nor, being one brightness, its colour."""
    photo = FacePhoto.random(rng)
    shape = photo.shape
    screen_w, screen_h = kind.size_m
    width = screen_w * rng.uniform(*kind.face_fill)
    distance = rng.uniform(*kind.distance_m)
    centre0 = np.array([rng.uniform(-0.02, 0.02), rng.uniform(-0.02, 0.02), distance])
    angles0 = np.array([rng.uniform(-10, 10), rng.uniform(-10, 10), rng.uniform(-5, 5)])
    shake = rng.uniform(0.2, 1.5, 3)
    freq = rng.uniform(0.5, 2.0, 3)
    phase = rng.uniform(0, 2 * np.pi, 3)
    # Emission in the units of ring-lit reflectance (30..500 cd/m2 against ~220 for white under the ring).
    emission = float(np.exp(rng.uniform(np.log(30.0), np.log(500.0)))) / 220.0
    panel_diffuse = rng.uniform(0.005, 0.04)
    glass = 0.04
    led_radiance = rng.uniform(200.0, 2000.0)  # an LED's surface is far brighter than any skin
    layout = landmark_layout(rng)
    height = shape.height(layout[:, 0], layout[:, 1])
    pose0 = Pose(centre0, rotation(*angles0))
    landmarks = _mesh_landmarks(layout, height, pose0, width, rng.uniform(0.7, 1.3), rng.uniform(0.3, 1.0), rng,
                                surface=np.column_stack([layout * width, np.zeros(len(layout))]))

    def render(gains_left: np.ndarray, gains_right: np.ndarray, t: float, clip: Box | None = None) -> np.ndarray:
        wave = np.sin(2 * np.pi * freq * t + phase)
        pose = Pose(centre0, rotation(*(angles0 + shake * wave)))
        pixels, shape2d, box = pixel_grid(pose, 0.5 * max(screen_w, screen_h), clip)
        local = plane_coords(pixels, pose)
        on_screen = (np.abs(local[:, 0]) < screen_w / 2) & (np.abs(local[:, 1]) < screen_h / 2)
        x, y = local[:, 0] / width, local[:, 1] / width
        points = np.column_stack([local[:, 0], local[:, 1], np.zeros(len(local))]) @ pose.rot.T + pose.centre
        normals = np.tile(-pose.rot[:, 2], (len(points), 1))
        per_side, room = smooth_irradiance(points, normals, light, shape2d)
        shown = photo.values(x, y)
        ring, room3 = _lit(per_side, room, light, gains_left, gains_right, pixels)
        level = 1.0
        if follows_ring:
            rows = (pixels[:, 1] - 0.5).astype(int)
            level = (((gains_left + gains_right) / 2.0) @ np.array([0.0722, 0.7152, 0.2126]))[rows][:, None]
        radiance = emission * shown * level + panel_diffuse * (ring + room3)
        radiance[~on_screen] = 0.02 * (ring + room3)[~on_screen]  # the dark bezel and hand
        image = _place(radiance, shape2d, box)
        _glints(image, pose, light, glass * led_radiance, gains_left, gains_right, (screen_w, screen_h))
        return image

    return Scene(landmarks, render, kind.name)


def _glints(image: np.ndarray, pose: Pose, light: Lighting, strength: float, gains_left: np.ndarray,
            gains_right: np.ndarray, size: tuple[float, float]) -> None:
    """Each LED mirrored by the screen's glass into the lens: a small bright spot where it lands."""
    normal = pose.rot[:, 2]
    offset = pose.centre @ normal
    for led, side in zip(light.leds, light.side, strict=True):
        mirrored = led - 2.0 * (led @ normal - offset) * normal
        # The camera sees the mirror image along the ray to `mirrored`; it must cross the glass.
        t = offset / (mirrored @ normal)
        hit = mirrored * t
        local = (hit - pose.centre) @ pose.rot
        if abs(local[0]) > size[0] / 2 or abs(local[1]) > size[1] / 2:
            continue
        u, v = FOCAL_PX * mirrored[:2] / mirrored[2] + CENTRE
        ui, vi = int(u), int(v)
        if not (1 <= ui < WIDTH - 1 and 1 <= vi < HEIGHT - 1):
            continue
        gain = (gains_left if side == 0 else gains_right)[vi]  # (3,) per channel
        image[vi - 1 : vi + 2, ui - 1 : ui + 2] += strength * np.array([[0.3], [1.0], [0.3]])[:, :, None] * gain / 3


def _lit(per_side: np.ndarray, room: np.ndarray, light: Lighting, gains_left: np.ndarray,
         gains_right: np.ndarray, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) ring and room irradiance per (blue, green, red) channel at each pixel, the ring at the
    gains its row received."""
    rows = (pixels[:, 1] - 0.5).astype(int)
    ring = gains_left[rows] * per_side[:, :1] + gains_right[rows] * per_side[:, 1:2]
    return ring, room[:, None] * light.ambient_bgr[None, :]


def _place(radiance: np.ndarray, shape2d: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    image = np.full((HEIGHT, WIDTH, 3), 0.05)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = radiance.reshape(*shape2d, 3)
    return image


def random_lighting(rng: np.random.Generator) -> Lighting:
    radius = rng.uniform(0.08, 0.14)
    leds, side = ring_leds(radius)
    # Power such that the full ring gives irradiance ~1 at 0.6 m on the axis.
    probe, _ = irradiance(np.array([[0.0, 0.0, 0.6]]), np.array([[0.0, 0.0, -1.0]]),
                          Lighting(leds, side, 1.0, 0.0, np.array([0.0, -1.0, 0.0])))
    direction = np.array([rng.uniform(-0.5, 0.5), -1.0, rng.uniform(-0.8, 0.2)])
    # Room light from warm (incandescent, ~2700 K) to cool (overcast daylight, ~6500 K).
    warmth = rng.uniform(-1.0, 1.0)
    tint = np.array([1.0 - 0.4 * warmth, 1.0, 1.0 + 0.35 * warmth])
    return Lighting(leds, side, 1.0 / float(probe.sum()), rng.uniform(0.1, 0.8), direction / np.linalg.norm(direction),
                    tint / tint.mean())


def record(scene: Scene, challenge: LightChallenge, camera: Camera, rng: np.random.Generator, *,
           lead_s: float, tail_s: float, base_level: float = 1.0) -> list[tuple[float, np.ndarray]]:
    """Frames (timestamp, BGR uint8) from the countdown's start; the challenge starts at `lead_s`.

    The ring is refreshed at 30 Hz (a step lands on the next refresh); each row integrates the light
    over its own exposure window; exposure gain is fixed from the base-level picture (the lock)."""
    refresh_phase = rng.uniform(0, 1 / RING_REFRESH_HZ)
    ends = np.cumsum([step.duration_s for step in challenge.steps])
    # (steps + 1, side, blue/green/red): the challenge's colours are (red, green, blue).
    table = np.array([[np.multiply(step.left, step.colour[::-1]), np.multiply(step.right, step.colour[::-1])]
                      for step in challenge.steps] + [np.ones((2, 3))])
    crosstalk = rng.uniform(0.03, 0.15)
    mixing = (1.0 - 2 * crosstalk) * np.eye(3) + crosstalk * (np.ones((3, 3)) - np.eye(3))
    mixing[0, 2] = mixing[2, 0] = crosstalk / 3  # blue and red filters overlap least
    mixing /= mixing.sum(axis=1, keepdims=True)

    def shown(t: np.ndarray) -> np.ndarray:
        ticks = np.floor((t - refresh_phase) * RING_REFRESH_HZ) / RING_REFRESH_HZ + refresh_phase
        into = ticks - lead_s
        index = np.searchsorted(ends, into, side="right")
        gains = table[np.minimum(index, len(table) - 1)]
        gains[into < 0] = 1.0
        return gains

    rows = np.arange(HEIGHT)
    period = 1.0 / camera.fps
    first = rng.uniform(0, period)
    end = lead_s + challenge.duration_s + tail_s
    base = scene.render(np.full((HEIGHT, 3), base_level), np.full((HEIGHT, 3), base_level), 0.0, None)
    (u0, v0), (u1, v1) = scene.landmarks[:, :2].min(axis=0).astype(int), scene.landmarks[:, :2].max(axis=0).astype(int)
    face_level = float(np.median(base[max(v0, 0) : v1, max(u0, 0) : u1]))
    gain = 0.2 / max(face_level, 1e-6)  # the exposure the camera's AE chose for the face before the lock
    # The decision reads only the face's box: the camera's noise, colour mixing and tone curve are
    # simulated on it with half a face of margin; the rest of the frame is the encoded backdrop
    # (a 5-10x saving on a 640x360 frame, no change to what is measured).
    margin = (u1 - u0) // 2
    clip = (max(u0 - margin, 0), max(v0 - margin, 0), min(u1 + margin, WIDTH), min(v1 + margin, HEIGHT))
    crop = (slice(clip[1], clip[3]), slice(clip[0], clip[2]))
    backdrop = np.round(srgb_encode(np.full(3, 0.05) @ mixing.T * gain) * 255.0).astype(np.uint8)
    frames = []
    t_start = first
    while True:
        stamp = t_start + camera.exposure_s + camera.readout_s + camera.delay_s + rng.normal(0, 0.002)
        if stamp > end:
            break
        row_start = t_start + rows / HEIGHT * camera.readout_s
        samples = np.linspace(0.0, camera.exposure_s, 6)
        gains = np.mean([shown(row_start + s) for s in samples], axis=0) * base_level
        linear = (scene.render(gains[:, 0], gains[:, 1], t_start, clip)[crop] @ mixing.T) * gain
        sigma = np.sqrt(camera.read_noise**2 + camera.shot_noise**2 * np.clip(linear, 0, None))
        noise = rng.standard_normal(linear.shape) * sigma
        frame = np.empty((HEIGHT, WIDTH, 3), np.uint8)
        frame[:] = backdrop
        frame[crop] = np.round(srgb_encode(linear + noise) * 255.0).astype(np.uint8)
        frames.append((float(stamp), frame))
        t_start += period
    return frames


def random_camera(rng: np.random.Generator) -> Camera:
    return Camera(fps=15.0, exposure_s=rng.uniform(0.008, 0.03), readout_s=rng.uniform(0.02, 0.04),
                  delay_s=rng.uniform(0.02, 0.07))
