"""Attack acceptance of the booth's liveness, measured through the real engine on real photographs.

scripts/bench_liveness.py feeds the tracker ideal synthetic landmark geometry; this feeds it what the
face-mesh model actually returns when a real photo (../shared/faces/a_good_frontal) is held up to
the camera. Each attack is rendered frame by frame: the photo is a flat sheet in 3-D, moved by a
hand (slow sway plus tremor of a few degrees and centimetres) and projected through a pinhole camera
into a 640x480 frame over a room backdrop, with focus blur, sensor noise and changing light.
- print: white paper border, a thumb on the lower edge, the printer's compressed contrast;
- screen: black bezel, an RGB sub-pixel grid that aliases into moire, self-lit with a flicker.
Frames go through EngineGuide (analyzer.check(frame.lores, live=True)) and the landmarks and spoof score
into LivenessTracker exactly as SessionMachine._guide_frame does, at the sequence's own clock.
An attack is ACCEPTED when liveness is established at any frame (what the booth's capture needs).

Genuine live sequences cannot be synthesised from stills (a still has no blink and no true depth),
so the live acceptance rate (1 - BPCER) is NOT measured here; the demo portrait is run only to show
the demo path (a flat picture: it should be refused, which is why the demo turns liveness off).

    .venv/bin/python scripts/bench_liveness_real.py [--sequences 2] [--frames 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from appliance.capture.camera.base import Frame
from appliance.inference.engine import Analyzer
from appliance.inference.guidance import EngineGuide
from appliance.session.config import LivenessSettings
from appliance.session.liveness import LivenessTracker

REPO = Path(__file__).resolve().parents[1]
FACES = REPO.parent / "shared" / "faces" / "a_good_frontal"
FRAME_SIZE = (640, 480)
FPS = 15.0
# Pinhole focal length in px for a 640 px wide frame: ~56 degrees across, like a Pi camera module.
FOCAL_PX = 600.0
# Distance of the sheet from the camera, in the sheet's own units (only ratios matter).
SHEET_DEPTH = 1000.0
ATTACKS = ("print", "screen")


@dataclass(frozen=True)
class HandMotion:
    """Amplitudes and rates of one hand holding the sheet: sway (slow sines) plus tremor."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    shift: float  # sideways / vertical sway, fraction of the sheet distance
    push: float  # towards / away from the camera, fraction of the sheet distance
    rates_hz: tuple[float, float, float, float]
    phases: tuple[float, float, float, float]
    tremor_deg: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> HandMotion:
        return cls(
            yaw_deg=float(rng.uniform(2.0, 8.0)), pitch_deg=float(rng.uniform(1.0, 5.0)),
            roll_deg=float(rng.uniform(0.5, 3.0)), shift=float(rng.uniform(0.005, 0.03)),
            push=float(rng.uniform(0.01, 0.05)),
            rates_hz=tuple(float(r) for r in rng.uniform(0.2, 0.9, 4)),  # type: ignore[arg-type]
            phases=tuple(float(p) for p in rng.uniform(0, 2 * np.pi, 4)),  # type: ignore[arg-type]
            tremor_deg=float(rng.uniform(0.05, 0.3)),
        )

    def pose(self, t: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Rotation matrix and translation of the sheet at time t (tremor drawn fresh each frame)."""
        waves = [np.sin(2 * np.pi * r * t + p) for r, p in zip(self.rates_hz, self.phases, strict=True)]
        tremor = rng.normal(0.0, self.tremor_deg, 3)
        angles = np.radians([self.pitch_deg * waves[1] + tremor[0], self.yaw_deg * waves[0] + tremor[1],
                             self.roll_deg * waves[2] + tremor[2]])
        rotation = euler_rotation(*angles)
        translation = SHEET_DEPTH * np.array([self.shift * waves[2], self.shift * waves[3],
                                              1.0 + self.push * waves[3]])
        return rotation, translation


def euler_rotation(pitch: float, yaw: float, roll: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw), np.cos(roll), np.sin(roll)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def room_backdrop(rng: np.random.Generator) -> np.ndarray:
    """A plain wall with a door frame and a shelf: straight edges far from the face, as a room has."""
    width, height = FRAME_SIZE
    wall = np.array(rng.uniform(150, 215, 3), dtype=np.float32)
    ramp = np.linspace(0.85, 1.05, width, dtype=np.float32)[None, :, None]
    image = np.clip(wall[None, None, :] * ramp * np.ones((height, 1, 1), np.float32), 0, 255).astype(np.uint8)
    x = int(rng.uniform(0.02, 0.12) * width)
    cv2.rectangle(image, (x, int(0.1 * height)), (x + 60, height), tuple(int(v) for v in wall * 0.7), -1)
    y = int(rng.uniform(0.05, 0.2) * height)
    cv2.rectangle(image, (width - 160, y), (width, y + 12), tuple(int(v) for v in wall * 0.55), -1)
    return image


def print_sheet(photo: np.ndarray) -> np.ndarray:
    """The photo printed on paper: a white margin and a printer's narrower dynamic range."""
    printed = photo.astype(np.float32) * (220.0 / 255.0) + 18.0
    margin = max(6, int(0.06 * max(photo.shape[:2])))
    return cv2.copyMakeBorder(printed, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=(238, 240, 236))


def screen_sheet(photo: np.ndarray, pitch_px: int) -> np.ndarray:
    """The photo shown on a phone: each screen pixel is `pitch_px` sheet pixels with R, G, B stripes
    and a dark gap, inside a black bezel; warping this grid down to camera pixels aliases (moire)."""
    height, width = photo.shape[:2]
    up = cv2.resize(photo, (width * pitch_px, height * pitch_px), interpolation=cv2.INTER_NEAREST)
    stripes = np.zeros((pitch_px, pitch_px, 3), np.float32)
    third = max(1, pitch_px // 3)
    for channel, bgr_index in enumerate((2, 1, 0)):  # R, G, B left to right
        stripes[: pitch_px - 1, channel * third : (channel + 1) * third, bgr_index] = 1.0
    stripes /= stripes.mean(axis=(0, 1))  # the grid redistributes light, it does not dim the picture
    lit = up.astype(np.float32) * np.tile(stripes, (height, width, 1)) * 0.9 + 6.0
    bezel = max(8, int(0.05 * max(lit.shape[:2])))
    return cv2.copyMakeBorder(lit, 2 * bezel, 2 * bezel, bezel, bezel, cv2.BORDER_CONSTANT, value=(12, 12, 14))


def project(sheet_size: tuple[int, int], pivot: tuple[float, float], scale: float, rotation: np.ndarray,
            translation: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """Homography taking sheet pixels to frame pixels for the sheet's pose in front of the camera;
    `pivot` (sheet px, the face) is the point the hand turns the sheet about."""
    width, height = sheet_size
    units = scale * SHEET_DEPTH / FOCAL_PX  # world units per sheet pixel at the nominal distance
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    local = np.column_stack([(corners - pivot) * units, np.zeros(4)])
    world = local @ rotation.T + translation
    image = FOCAL_PX * world[:, :2] / world[:, 2:3] + np.array(centre)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), image.astype(np.float32))


@dataclass(frozen=True)
class FaceInPhoto:
    width: float  # cheek to cheek, photo px
    centre: tuple[float, float]  # photo px


def face_in(analyzer: Analyzer, photo: np.ndarray) -> FaceInPhoto | None:
    analysis = analyzer.analyze(photo)
    if analysis.mesh is None:
        return None
    centre = analysis.pts[:, :2].mean(axis=0)
    return FaceInPhoto(analysis.face_width, (float(centre[0]), float(centre[1])))


def camera_lowpass(sheet: np.ndarray, scale: float, sigma_px: float) -> np.ndarray:
    """What lens and pixel area do before sampling: a blur of `sigma_px` camera pixels; 0.35 leaves
    a screen's grid as clearly visible moire, 0.55 leaves almost none (a sharper phone, a softer lens)."""
    return cv2.GaussianBlur(sheet, (0, 0), sigma_px / scale)


def attack_frames(photo: np.ndarray, face: FaceInPhoto, attack: str, frames: int,
                  rng: np.random.Generator) -> Iterator[np.ndarray]:
    """One hand-held attack sequence (BGR frames at FPS) presenting `photo` to the camera."""
    width, height = FRAME_SIZE
    is_print = attack == "print"
    target_face = float(rng.uniform(150, 230))  # face width in the frame, px: a subject at the booth
    # Printed at 1.5 photo px per camera px; a screen pixel spans 0.8-1.3 camera px (where moire arises).
    density = 1.5 if is_print else float(rng.uniform(1 / 1.3, 1 / 0.8))
    resize = target_face * density / face.width
    photo = cv2.resize(photo, None, fx=resize, fy=resize, interpolation=cv2.INTER_AREA)
    pitch = 1 if is_print else int(rng.integers(3, 6))
    sheet = print_sheet(photo) if is_print else screen_sheet(photo, pitch)
    border_x, border_y = (sheet.shape[1] - photo.shape[1] * pitch) / 2, (sheet.shape[0] - photo.shape[0] * pitch) / 2
    pivot = (border_x + face.centre[0] * resize * pitch, border_y + face.centre[1] * resize * pitch)
    scale = target_face / (face.width * resize * pitch)
    sheet = camera_lowpass(sheet, scale, float(rng.uniform(0.35, 0.55)))
    centre = (width / 2 + rng.uniform(-30, 30), height * 0.42 + rng.uniform(-20, 20))
    backdrop = room_backdrop(rng)
    motion = HandMotion.draw(rng)
    blur = float(rng.uniform(0.5, 1.2))
    thumb = (float(rng.uniform(0.25, 0.75)), float(rng.uniform(14, 22)))
    flicker_hz, light_rate, light_phase = rng.uniform(2.0, 7.0), rng.uniform(0.1, 0.4), rng.uniform(0, 6.3)
    columns = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :, None]
    mask_sheet = np.full(sheet.shape[:2], 255, np.uint8)
    backdrop_f = backdrop.astype(np.float32)
    for index in range(frames):
        t = index / FPS
        rotation, translation = motion.pose(t, rng)
        homography = project((sheet.shape[1], sheet.shape[0]), pivot, scale, rotation, translation, centre)
        warped = cv2.warpPerspective(sheet, homography, FRAME_SIZE, flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(mask_sheet, homography, FRAME_SIZE, flags=cv2.INTER_LINEAR)
        alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
        room_light = 1.0 + 0.12 * np.sin(2 * np.pi * light_rate * t + light_phase)
        slope = 0.15 * np.sin(2 * np.pi * light_rate * 0.7 * t)
        room = room_light * (1.0 + slope * columns)
        if not is_print:  # a screen is self-lit: room light barely changes it, its backlight flickers
            sheet_light = (1.0 + 0.06 * np.sin(2 * np.pi * flicker_hz * t)) * (1.0 + 0.2 * (room - 1.0))
        else:
            sheet_light = room
        frame = backdrop_f * room * (1 - alpha) + warped * sheet_light * alpha
        if is_print:
            draw_thumb(frame, homography, sheet.shape[1], sheet.shape[0], thumb)
        frame = cv2.GaussianBlur(frame, (0, 0), blur)
        frame += rng.normal(0.0, 2.0, frame.shape).astype(np.float32)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def draw_thumb(frame: np.ndarray, homography: np.ndarray, sheet_w: int, sheet_h: int,
               thumb: tuple[float, float]) -> None:
    """A thumb over the sheet's lower edge: the hand that holds the print."""
    along, size = thumb
    point = cv2.perspectiveTransform(np.array([[[along * sheet_w, sheet_h]]], np.float32), homography)[0, 0]
    centre = (int(point[0]), int(point[1]))
    cv2.ellipse(frame, centre, (int(size), int(size * 1.6)), 0, 0, 360, (120, 150, 205), -1)


@dataclass
class SequenceResult:
    photo: str
    attack: str
    accepted: bool
    accepted_if_blinking: bool  # a replayed video blinks: what depth and the spoof score alone allow
    blink_seen: bool
    depth_ok: bool
    spoof_ok: bool
    max_depth_pairs: int
    best_parallax: float
    spoof_mean: float | None
    face_frames: int
    frames: int


def run_tracker(guide: EngineGuide, frames: Iterable[np.ndarray], settings: LivenessSettings,
                fps: float = FPS) -> SequenceResult:
    """Feed frames through the guide and the tracker as the session machine does while guiding."""
    tracker = LivenessTracker(settings)
    accepted = blink = depth = if_blinking = False
    max_pairs, faces, count, parallax = 0, 0, 0, 0.0
    state = tracker.state()
    for index, picture in enumerate(frames):
        guidance = guide.evaluate(Frame(picture, index=index, timestamp=index / fps, source="bench"))
        state = tracker.update(guidance.landmarks, index / fps, guidance.spoof_score)
        count += 1
        faces += guidance.landmarks is not None
        accepted = accepted or state.established
        spoof_now = state.spoof_mean is None or state.spoof_mean <= settings.max_spoof_score
        if_blinking = if_blinking or (spoof_now and state.depth_pairs >= settings.min_depth_pairs)
        blink = blink or state.blink_seen
        depth = depth or state.depth_pairs >= settings.min_depth_pairs
        max_pairs = max(max_pairs, state.depth_pairs)
        parallax = max(parallax, state.best_parallax)
    spoof_ok = state.spoof_mean is None or state.spoof_mean <= settings.max_spoof_score
    return SequenceResult("", "", accepted, if_blinking, blink, depth, spoof_ok, max_pairs, parallax, state.spoof_mean,
                          faces, count)


def run_attack(analyzer: Analyzer, photo_path: Path, attack: str, frames: int, seed: int,
               settings: LivenessSettings) -> SequenceResult | None:
    """One attack sequence from one photo; None when the engine finds no face in the photo itself."""
    photo = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
    face = face_in(analyzer, photo) if photo is not None else None
    if face is None:
        return None
    analyzer.reset_tracking()  # a new subject: the live track starts over, as at a session start
    rng = np.random.default_rng(seed)
    result = run_tracker(EngineGuide(analyzer), attack_frames(photo, face, attack, frames, rng), settings)
    result.photo, result.attack = photo_path.name, attack
    return result


def demo_path(analyzer: Analyzer, frames: int, settings: LivenessSettings) -> SequenceResult:
    """The demo portrait (a flat picture that sways) through the same path, liveness required."""
    from appliance.capture.camera.demo import DemoSource

    source = DemoSource(FRAME_SIZE, FPS)
    source.open()
    analyzer.reset_tracking()
    result = run_tracker(EngineGuide(analyzer), (source.read(False).lores for _ in range(frames)), settings)
    result.photo, result.attack = "astronaut (demo)", "demo"
    return result


def build_engine() -> Analyzer:
    from appliance.app import build_analyzer
    from appliance.settings import load_settings

    return build_analyzer(load_settings())


def summarise(results: list[SequenceResult], attack: str) -> dict[str, float | int]:
    chosen = [r for r in results if r.attack == attack]
    n = max(len(chosen), 1)
    return {
        "sequences": len(chosen),
        "accepted_rate": sum(r.accepted for r in chosen) / n,
        "accepted_if_blinking_rate": sum(r.accepted_if_blinking for r in chosen) / n,
        "blink_cue_rate": sum(r.blink_seen for r in chosen) / n,
        "depth_cue_rate": sum(r.depth_ok for r in chosen) / n,
        "spoof_pass_rate": sum(r.spoof_ok for r in chosen) / n,
        "face_found_rate": sum(r.face_frames for r in chosen) / max(sum(r.frames for r in chosen), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=2, help="sequences per photo and attack")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--verbose", action="store_true", help="one line per sequence")
    parser.add_argument("--json", action="store_true", help="last line: the summary as one JSON object")
    args = parser.parse_args()
    if not FACES.is_dir():
        print(f"skipped: the real photographs are absent ({FACES}); nothing to measure")
        return 0
    settings = LivenessSettings()
    analyzer = build_engine()
    photos = sorted(p for p in FACES.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    results: list[SequenceResult] = []
    started = time.perf_counter()
    for attack in ATTACKS:
        for p_index, path in enumerate(photos):
            for s in range(args.sequences):
                result = run_attack(analyzer, path, attack, args.frames, args.seed + 1000 * p_index + s, settings)
                if result is None:
                    print(f"  {path.name}: no face found in the still, skipped")
                    continue
                results.append(result)
                if args.verbose:
                    print(f"  {attack:6s} {path.name:26s} accepted={result.accepted!s:5s} "
                          f"blink={result.blink_seen!s:5s} depth_pairs={result.max_depth_pairs:2d} "
                          f"parallax={result.best_parallax:.4f} spoof={result.spoof_mean} "
                          f"faces={result.face_frames}/{result.frames}", flush=True)
    elapsed = time.perf_counter() - started
    demo = demo_path(analyzer, args.frames, settings)
    print(f"liveness through the real engine: {len(photos)} photos x {args.sequences} hand-held sequences "
          f"x {args.frames} frames at {FPS:g} fps, 640x480 ({elapsed:.0f} s)")
    print(f"{'attack':8s} {'n':>4s} {'ACCEPTED':>9s} {'if blinking':>12s} {'blink cue':>10s} "
          f"{'depth cue':>10s} {'spoof ok':>9s} {'face found':>11s}")
    summary: dict[str, object] = {}
    for attack in ATTACKS:
        row = summarise(results, attack)
        summary[attack] = row
        print(f"{attack:8s} {row['sequences']:4d} {row['accepted_rate']:9.1%} "
              f"{row['accepted_if_blinking_rate']:12.1%} {row['blink_cue_rate']:10.1%} "
              f"{row['depth_cue_rate']:10.1%} {row['spoof_pass_rate']:9.1%} {row['face_found_rate']:11.1%}")
    print("ACCEPTED = attack-acceptance rate (APCER, want 0); 'if blinking' = the same sequence had it "
          "blinked (a replayed video does): depth and the spoof score alone. Cue columns: share of "
          "sequences in which that cue alone was satisfied (blink seen, depth pairs, spoof mean <= limit). "
          "Live acceptance (BPCER) is not measurable from stills and is not reported.")
    print(f"demo portrait with liveness required: accepted={demo.accepted} blink={demo.blink_seen} "
          f"depth_pairs={demo.max_depth_pairs} spoof={demo.spoof_mean} (the demo runs with liveness off)")
    summary["demo"] = asdict(demo)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
