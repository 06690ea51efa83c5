"""The analysis engine: models in a fixed order, then every check, into one report.

Live guidance and the final verdict use the same engine and the same checks. `live=True` trades
what a steady booth video allows: the face is tracked from the previous frame's mesh (detection
runs again every few frames, or as soon as the track is lost, as MediaPipe's own pipeline does),
only one mesh pass is made, and the periodic heavy steps take turns over the tracked frames, at
most one per frame, on the declared rotation HEAVY_ROTATION: the eyelid/iris model every eighth
tracked frame, sooner when the mesh sees the eyes change (a blink, a turn, a step closer; in
between the eyes follow the mesh); the person mask and six groups of slow checks (rules.Cadence:
lenses and teeth; ears and earrings; the medium in front of the camera; necklace, contacts and
make-up; hat and hair ornaments; backdrop and clothes) once a rotation each. A
detection frame takes no turn, so it never carries a heavy step as well. Pose, mouth, framing,
light and sharpness are measured on every frame. `live_latency_frames` says within how many frames
each heavy step (and so each slow check) runs again.

A still taken while the live track follows a face (the booth's shutter) is searched around that
face (`live_seed`, `seed=`): the tiles and the zoomed-out view are for photos of unknown framing.
The seed holds only if the face verified there is the still's largest and lies where the track
left it; otherwise the still gets the full search, as any photo does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

from appliance.inference.analysis import Analysis
from appliance.inference.checks.base import CheckFn, CheckResult
from appliance.inference.checks.registry import ALL_CHECKS, SLOW_CHECK_GROUPS, SLOW_CHECKS
from appliance.inference.config import ChecksSettings
from appliance.inference.detection import Detection, FaceDetector, iou
from appliance.inference.geometry import Roi
from appliance.inference.landmarks import (
    EyeDetail,
    FaceMesh,
    FaceMeshModel,
    IrisModel,
    eye_outlines,
    mesh_eye_centres,
    roi_from_mesh,
)
from appliance.inference.mask_canvas import MaskCanvas
from appliance.inference.runtime import ModelStore
from appliance.inference.segmentation import PersonSegmenter

# Candidates the mesh model must confirm: a detector hit without a plausible face mesh is noise.
MIN_MESH_PRESENCE = 0.5
MAX_VERIFIED_FACES = 8
# Below this width the mesh's presence score is unreliable (it rejects real small faces), so a
# confident second, smaller face counts on the detector's confidence alone; a less confident one
# counts when the mesh confirms it, as any larger face does (a group photo's smaller faces).
MESH_VERIFY_MIN_WIDTH = 80
SMALL_FACE_MIN_SCORE = 0.7
# The detector and the mesh must agree where the eyes, nose and mouth are (mean distance per face
# width): on human faces they agree within ~0.06, while a mesh forced onto an animal's face or a
# pattern lands elsewhere than the detector's keypoints.
MAX_KEYPOINT_DISAGREEMENT = 0.09
# A still's candidates the first pass did not confirm get a second look each (detector in a window
# around them, then the mesh), at most this many: a crowd has more, but one found is enough.
SECOND_LOOKS = 6
# A box lying this much (share of its own area) on a counted face is that face again.
OWN_OVERLAP = 0.3
# A face found only in a turned copy of the photo must be a confident one: upside down, animal
# faces and patterns look more face-like to the detector than they do upright.
ROTATED_MIN_SCORE = 0.85
# The turns tried on a still with no upright face (clockwise degrees), in order.
TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 270: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180}
# Stills larger than this (longest side, px) are analysed on a reduced copy: a face in a booth
# still spans several hundred pixels even there, more than any model input or check needs.
WORK_MAX_SIDE = 1600
# Live tracking: a full detection at least this often (frames), so a second face walking into
# view is counted within a fraction of a second.
REDETECT_EVERY = 6
# The periodic heavy steps of the tracked frames take turns, one per frame at most, so frame
# latencies stay even and most frames carry none: the eyelid/iris model every IRIS_EVERY-th
# tracked frame (and on a frame whose eyes the mesh sees change, IRIS_MOTION_LIMIT); the person
# mask and each group of slow checks once a rotation (24 frames: 1.6 s at 15 fps). An empty slot
# is a frame with only the mesh and the every-frame checks.
# Why these numbers: the heaviest turns (the mask and the slow groups) set the live path's p95,
# so the slow checks are split into six groups of about equal cost, none much above the mask's
# (checks/registry.py has the figures); and the frames that carry no heavy step set its p50, so
# at least 14 of the 24 stay empty, which the six groups afford only with the iris model's own
# turn every 8th frame (it was every 4th with three groups). Closing eyes and a turning head are
# still seen on the next frame through the motion gate below; what the mesh cannot see, the iris
# moving within the eye (gaze), waits at most live_latency_frames("iris") = 10 frames, 0.67 s at
# 15 fps. Measured in one process, interleaved, CPU per frame on 83 good photos x 10 frames
# (2026-12-02): against three groups with the iris every 4th, p95 x0.87, p50 x1.02 (noise);
# six groups with the iris every 4th gave p95 x0.90 but p50 x1.14 (13 heavy turns of 24).
IRIS_EVERY = 8
HEAVY_ROTATION = ("iris", "", "mask", "", "face", "", "medium", "", "iris", "", "scene", "",
                  "head", "", "ears", "", "iris", "", "adornment", "", "", "", "", "")
# The iris model runs again, off its turn, when the mesh's eye outlines (each about its own
# centre, per the eye's width) moved this much on average since the eyes were last measured: the
# lids closing, the head turning or coming closer. The mesh follows a closing lid only part of
# the way, which is enough to call the model that follows it fully: on ../shared/faces' Yale
# subjects the outlines move 0.022-0.039 from open to closed eyes, 0.001-0.003 when the same face
# is moved by 1-5 px or scaled by 3%.
IRIS_MOTION_LIMIT = 0.012


def live_latency_frames(step: str) -> int:
    """Within how many live frames the heavy step `step` (a HEAVY_ROTATION slot: "iris", "mask" or
    a slow group's cadence) runs again: the longest wait for its turn in the rotation, plus the
    detection frames that may fall in that wait (they take no turn). A change the step measures
    shows in the live verdict within this many frames; the eyes sooner when the mesh sees them move."""
    turns = [i for i, slot in enumerate(HEAVY_ROTATION) if slot == step]
    if not turns:
        raise ValueError(f"{step!r} has no turn in the live rotation")
    n = len(HEAVY_ROTATION)
    wait = max((turns[(k + 1) % len(turns)] - turn) % n or n for k, turn in enumerate(turns))
    return wait + -(-wait // REDETECT_EVERY)


_GROUP_OF = {check: name for name, group in SLOW_CHECK_GROUPS.items() for check in group}
# The still's face verified around the seed must overlap the track's last face box this much (the
# two boxes are the mesh's extent, in the still's pixels); less, and the full search runs instead.
SEED_MIN_IOU = 0.5
# Mesh indices standing in for the detector's keypoints when a face is tracked, not detected.
_TRACK_KEYPOINTS = ((33, 133), (362, 263), (1,), (13, 14), (234,), (454,))


@dataclass
class _LiveTrack:
    """What the live path carries from one frame to the next."""

    roi: Roi | None = None
    others: list[Detection] = field(default_factory=list)
    since_detect: int = 0
    mask: np.ndarray | None = None
    slow_results: dict[CheckFn, list[CheckResult]] = field(default_factory=dict)
    eyes: tuple[EyeDetail, EyeDetail] | None = None
    eyes_anchor: np.ndarray | None = None  # the mesh's eye centres when `eyes` was measured
    eyes_outline: np.ndarray | None = None  # and its eye outlines (eye_outlines)
    frame: int = 0  # tracked frames so far: the rotation's position
    detected: bool = False  # this frame ran the detector (it then takes no turn in the rotation)
    continued: bool = False  # this frame's face is the previous frame's (tracked, or found again)
    box: np.ndarray | None = None  # the tracked face's extent in the last frame, and that frame's size
    shape: tuple[int, int] | None = None

    @property
    def slot(self) -> str:
        return "" if self.detected else HEAVY_ROTATION[self.frame % len(HEAVY_ROTATION)]

    def reset(self) -> None:
        self.roi, self.others, self.since_detect, self.mask = None, [], 0, None
        self.slow_results, self.eyes, self.eyes_anchor, self.frame, self.detected = {}, None, None, 0, False
        self.eyes_outline, self.continued, self.box, self.shape = None, False, None, None


class _LiveImage:
    """A live frame as the models take it: the mesh and eye crops are taken from the BGR frame and
    converted at their own size; the whole frame is converted to RGB only when the detector or the
    person mask runs (one frame in several), not on every tracked frame."""

    def __init__(self, bgr: np.ndarray) -> None:
        self.bgr = bgr

    @cached_property
    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2RGB)


def _overlaps_any(box: np.ndarray, faces: list[Detection], share: float = OWN_OVERLAP) -> bool:
    """Whether `box` lies this much (share of its own area) on one of `faces`: a smaller box on a
    face already counted is that face again, not another."""
    if not faces:
        return False
    boxes = np.array([f.box for f in faces])
    width = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    area = max(float((box[2] - box[0]) * (box[3] - box[1])), 1e-9)
    return bool((width * height / area).max() > share)


def keypoint_disagreement(det: Detection, mesh: FaceMesh) -> float:
    points = mesh.points[:, :2]
    from_mesh = np.array([points[list(idx)].mean(axis=0) for idx in _TRACK_KEYPOINTS[:4]])
    return float(np.linalg.norm(from_mesh - det.keypoints[:4], axis=1).mean() / max(det.width, 1.0))


def detection_from_mesh(mesh: FaceMesh) -> Detection:
    points = mesh.points[:, :2]
    lo, hi = points.min(axis=0), points.max(axis=0)
    keypoints = np.array([points[list(idx)].mean(axis=0) for idx in _TRACK_KEYPOINTS])
    return Detection(box=np.concatenate([lo, hi]), keypoints=keypoints, score=float(mesh.presence))


@dataclass
class Report:
    verdict: str  # "pass" | "fail"
    checks: list[CheckResult]
    analysis: Analysis
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]


class Analyzer:
    def __init__(
        self,
        models: ModelStore,
        settings: ChecksSettings,
        checks: tuple[CheckFn, ...] = ALL_CHECKS,
        mask_canvas: MaskCanvas | None = None,
    ) -> None:
        """`mask_canvas` lends a reused buffer to a still's enlarged person mask (the booth's
        composition root passes one); without it each enlarged mask is a fresh array."""
        self.settings = settings
        self._mask_canvas = mask_canvas
        self.checks = checks
        self.detector = FaceDetector(models.get("face_detection_short_range"), min_score=0.5)
        self.mesh = FaceMeshModel(models.get("face_landmark"))
        self.iris = IrisModel(models.get("iris_landmark"))
        self.segmenter = PersonSegmenter(models.get("selfie_segmentation"))
        # read by the jewellery checks on stills and products
        self.parser = models.face_parser() if settings.accessories.face_parser else None
        # TFLite interpreters are not re-entrant: one analysis at a time per engine.
        self._lock = threading.RLock()
        self._track = _LiveTrack()

    def warm_up(self) -> None:
        """Run every model once, so the first subject does not wait for the runtime's lazy set-up
        (XNNPACK prepares its kernels on the first invoke), and make OpenCV build its 8-bit Lab
        tables (about 90 ms, on the first colour check otherwise); the booth reports ready after
        this."""
        with self._lock:
            blank = np.zeros((480, 640, 3), np.uint8)
            blank[120:360, 220:420] = 128
            self.analyze(blank, live=False)
            for model in (self.mesh.model, self.iris.model):
                model.run(np.zeros(model.input_shapes[0], np.float32))
            if self.parser is not None:
                self.parser.warm_up()
            cv2.cvtColor(blank[:8, :8], cv2.COLOR_BGR2LAB)
            self._track.reset()

    def reset_tracking(self) -> None:
        """Forget the live track (a new subject, or the camera was reopened)."""
        with self._lock:
            self._track.reset()

    def live_seed(self, shape: tuple[int, ...]) -> np.ndarray | None:
        """The live track's face box (x0, y0, x1, y1) mapped into a still of `shape`, taken with the
        same field of view as the guidance frames (the camera's lores and main streams), or None
        when no face is tracked or the aspect ratios differ (the mapping would be a guess)."""
        with self._lock:
            track = self._track
            if track.box is None or track.shape is None:
                return None
            (frame_h, frame_w), (still_h, still_w) = track.shape, shape[:2]
            if abs(still_w / still_h - frame_w / frame_h) > 0.01 * (frame_w / frame_h):
                return None
            return track.box * np.array([still_w / frame_w, still_h / frame_h] * 2)

    def _tracked_face(self, image: _LiveImage) -> tuple[list[Detection], FaceMesh | None]:
        """The previous frame's face followed by one mesh pass, or nothing if it was lost."""
        track = self._track
        if track.roi is None or track.since_detect >= REDETECT_EVERY:
            return [], None
        mesh = self.mesh.run(image.bgr, track.roi, bgr=True)
        if mesh.presence < MIN_MESH_PRESENCE:
            return [], None
        track.since_detect += 1
        return [detection_from_mesh(mesh), *track.others], mesh

    def _live_faces(self, image: _LiveImage) -> tuple[list[Detection], FaceMesh | None]:
        faces, mesh = self._tracked_face(image)
        track = self._track
        track.detected = mesh is None
        previous = track.box
        if mesh is None:
            faces, mesh = self._verified_faces(image.rgb, live=True)
            track.since_detect = 0
            track.others = faces[1:]
        else:
            track.frame += 1  # only tracked frames take turns in the rotation
        track.roi = roi_from_mesh(mesh.points) if mesh is not None else None
        # a tracked frame's first face is the mesh's own extent already
        track.box = None if mesh is None else (faces[0] if track.since_detect else detection_from_mesh(mesh)).box
        track.continued = (track.box is not None and previous is not None
                           and (not track.detected or iou(track.box, previous[None])[0] >= SEED_MIN_IOU))
        track.shape = image.bgr.shape[:2]
        return faces, mesh

    def _live_eyes(self, image: _LiveImage, mesh: FaceMesh) -> tuple[EyeDetail, EyeDetail]:
        """Eyelids and irises on their turn in the rotation, for a new face, and whenever the
        mesh sees the eyes change (IRIS_MOTION_LIMIT); in between, the last ones moved with the
        mesh's eye centres. A detection frame that finds the same face again moves them too, so it
        never carries the iris model as well; the next frame compares with the last measured eyes."""
        track = self._track
        anchor = mesh_eye_centres(mesh)
        outline = eye_outlines(mesh, anchor)
        eyes, eyes_anchor = track.eyes, track.eyes_anchor
        if eyes is not None and eyes_anchor is not None and track.eyes_outline is not None and track.continued:
            moved = float(np.linalg.norm(outline - track.eyes_outline, axis=-1).mean()) > IRIS_MOTION_LIMIT
            if track.detected or not (moved or track.slot == "iris"):
                shift = anchor - eyes_anchor
                left, right = (EyeDetail(contour=eye.contour + shift[i], iris=eye.iris + shift[i])
                               for i, eye in enumerate(eyes))
                return left, right
        track.eyes, track.eyes_anchor, track.eyes_outline = self.iris.run(image.bgr, mesh, bgr=True), anchor, outline
        return track.eyes

    def _live_mask(self, image: _LiveImage) -> np.ndarray:
        track = self._track
        if track.mask is None or track.mask.shape != image.bgr.shape[:2] or track.slot == "mask":
            track.mask = self.segmenter.run(image.rgb)
        return track.mask

    def _seeded_faces(self, rgb: np.ndarray, seed: np.ndarray) -> tuple[list[Detection], FaceMesh | None]:
        """The still's faces searched around the live track's face; nothing if the seed does not hold."""
        faces, mesh = self._verified_faces(rgb, live=False, candidates=self.detector.detect_near(rgb, seed))
        if mesh is None or iou(detection_from_mesh(mesh).box, seed[None])[0] < SEED_MIN_IOU:
            return [], None
        return faces, mesh

    def _verified_faces(self, rgb: np.ndarray, live: bool,
                        candidates: list[Detection] | None = None) -> tuple[list[Detection], FaceMesh | None]:
        if candidates is None:
            candidates = self.detector.detect(rgb, thorough=not live)
        everything = candidates
        candidates = [c for c in candidates if c.score >= self.settings.face_count.min_score]
        verified: list[Detection] = []
        main_mesh = None
        for det in candidates[:MAX_VERIFIED_FACES]:
            if main_mesh is not None and det.width < MESH_VERIFY_MIN_WIDTH and det.score >= SMALL_FACE_MIN_SCORE:
                # the mesh cannot refute a face this small; a confident detection stands alone
                verified.append(det)
                continue
            mesh = self.mesh.fit(rgb, det, refinements=0)
            if mesh.presence < MIN_MESH_PRESENCE or keypoint_disagreement(det, mesh) > MAX_KEYPOINT_DISAGREEMENT:
                # a small second face the mesh does not confirm may still be real, but on the
                # detector's word alone it must be a confident one (above)
                continue
            if main_mesh is None:
                main_mesh = mesh
            verified.append(det)
        if not live and main_mesh is not None:
            verified.extend(self._second_look(rgb, everything, verified))
        return verified, main_mesh

    def _second_look(self, rgb: np.ndarray, candidates: list[Detection], verified: list[Detection]) -> list[Detection]:
        """Other faces among the candidates the first pass left out, each looked at again where
        the detector sees best (`detect_around`) and held to the first pass's standard there: a
        confident detection the mesh confirms. A second face in a medical mask, turned a little
        or small in a crowd scores low from afar and the mesh fitted to that loose box misses it;
        a pattern that looked like a face from afar stays unconfirmed. Only faces are added: the
        main face and its geometry are the first pass's, so no other check's input moves."""
        settings = self.settings.face_count
        least = settings.min_relative_size * verified[0].width
        found: list[Detection] = []
        looks = 0
        for det in candidates:
            if looks >= SECOND_LOOKS or len(verified) + len(found) >= MAX_VERIFIED_FACES:
                break
            if det.width < least or _overlaps_any(det.box, [*verified, *found]):
                continue
            looks += 1
            again = self.detector.detect_around(rgb, det.box)
            if again is None or again.score < settings.min_score or _overlaps_any(again.box, [*verified, *found]):
                continue
            mesh = self.mesh.fit(rgb, again, refinements=0)
            if mesh.presence >= MIN_MESH_PRESENCE and keypoint_disagreement(again, mesh) <= MAX_KEYPOINT_DISAGREEMENT:
                found.append(again)
        return found

    def analyze(self, bgr: np.ndarray, *, live: bool = False, grayscale: bool = False,
                product: bool = False, pixel_scale: float = 1.0, seed: np.ndarray | None = None,
                segment: bool = True) -> Analysis:
        """Findings in `bgr`'s own pixels; a large still is analysed on a reduced copy (kept as
        `.work` for the checks), since every model input is far smaller than such a still.

        `pixel_scale` is the source's pixels per pixel of `bgr` (a JPEG decoded at a reduced size),
        so sizes are reported in the source's pixels; `seed` is where the still's face is expected
        (`live_seed`, in `bgr`'s pixels); `segment=False` leaves out the person mask, for a caller
        whose measures never read it (the still chooser)."""
        with self._lock:
            return self._analyze_scaled(bgr, live=live, grayscale=grayscale, product=product,
                                        pixel_scale=pixel_scale, seed=seed, segment=segment)

    def _analyze_scaled(self, bgr: np.ndarray, *, live: bool, grayscale: bool, product: bool,
                        pixel_scale: float, seed: np.ndarray | None, segment: bool = True) -> Analysis:
        height, width = bgr.shape[:2]
        factor = min(1.0, WORK_MAX_SIDE / max(height, width))
        if factor >= 1.0:
            analysis = self._analyze(bgr, live=live, grayscale=grayscale, product=product, seed=seed,
                                     segment=segment)
            analysis.pixel_scale = pixel_scale
            return analysis
        start = time.perf_counter()
        small = cv2.resize(bgr, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
        reduce_ms = (time.perf_counter() - start) * 1000
        work = self._analyze(small, live=live, grayscale=grayscale, product=product,
                             seed=None if seed is None else np.asarray(seed) * factor, segment=segment)
        work.timings["detect"] = work.timings.get("detect", 0.0) + reduce_ms
        work.pixel_scale = pixel_scale / factor
        # the findings are in the turned copy's pixels when the face was found only turned
        full = work.scaled(1.0 / factor, cv2.rotate(bgr, TURNS[work.rotation]) if work.rotation else bgr,
                           None if self._mask_canvas is None else self._mask_canvas.enlarge)
        full.work = work
        return full

    def _still_faces(self, rgb: np.ndarray, seed: np.ndarray | None) -> tuple[list[Detection], FaceMesh | None, bool]:
        """(faces, main mesh, whether the seed held): around the seed first, else the full search."""
        if seed is not None:
            faces, mesh = self._seeded_faces(rgb, seed)
            if mesh is not None:
                return faces, mesh, True
        faces, mesh = self._verified_faces(rgb, live=False)
        return faces, mesh, False

    def _analyze(self, bgr: np.ndarray, *, live: bool, grayscale: bool, product: bool,
                 seed: np.ndarray | None = None, segment: bool = True) -> Analysis:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        seeded = False
        if live:
            image = _LiveImage(bgr)
            faces, mesh = self._live_faces(image)
        else:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            faces, mesh, seeded = self._still_faces(rgb, seed)
        rotation = 0
        if not faces and not live:
            # a sideways or upside-down photo: find the face to say so, rather than "no face"
            for turn, code in TURNS.items():
                turned = cv2.rotate(rgb, code)
                faces, mesh = self._verified_faces(turned, live)
                if faces and faces[0].score >= ROTATED_MIN_SCORE:
                    rgb, bgr, rotation = turned, cv2.rotate(bgr, code), turn
                    break
                faces, mesh = [], None
        timings["detect"] = (time.perf_counter() - start) * 1000
        analysis = Analysis(bgr=bgr, grayscale=grayscale, live=live, faces=faces, rotation=rotation,
                            timings=timings, product=product, seeded=seeded,
                            face_parser=None if live else self.parser)
        if faces and mesh is not None:
            start = time.perf_counter()
            # the live path keeps the first fit; a still gets a second pass on the tighter ROI
            analysis.mesh = mesh if live else self.mesh.run(rgb, roi_from_mesh(mesh.points))
            timings["landmarks"] = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            if live:
                analysis.eyes = self._live_eyes(image, analysis.mesh)
            else:
                analysis.eyes = self.iris.run(rgb, analysis.mesh)
            timings["iris"] = (time.perf_counter() - start) * 1000
        if segment:
            start = time.perf_counter()
            analysis.person_mask = self._live_mask(image) if live else self.segmenter.run(rgb)
            timings["segmentation"] = (time.perf_counter() - start) * 1000
        return analysis

    def evaluate(self, analysis: Analysis, settings: ChecksSettings | None = None) -> list[CheckResult]:
        """Every check on the analysis; `settings` overrides the engine's thresholds for this call
        (a product checked against the background colour the subject chose, say)."""
        start = time.perf_counter()
        results: list[CheckResult] = []
        view = analysis.for_checks
        track = self._track
        refresh_all = not analysis.live or settings is not None
        for check in self.checks:
            if analysis.live and check in SLOW_CHECKS:
                if refresh_all or track.slot == _GROUP_OF[check] or check not in track.slow_results:
                    track.slow_results[check] = check(view, settings or self.settings)
                results.extend(track.slow_results[check])
                continue
            results.extend(check(view, settings or self.settings))
        analysis.timings["checks"] = (time.perf_counter() - start) * 1000
        return results

    def check(self, bgr: np.ndarray, *, live: bool = False, grayscale: bool = False,
              product: bool = False, settings: ChecksSettings | None = None,
              pixel_scale: float = 1.0, seed: np.ndarray | None = None) -> Report:
        analysis = self.analyze(bgr, live=live, grayscale=grayscale, product=product,
                                pixel_scale=pixel_scale, seed=seed)
        results = self.evaluate(analysis, settings)
        verdict = "pass" if all(r.passed for r in results) else "fail"
        return Report(verdict=verdict, checks=results, analysis=analysis, timings=dict(analysis.timings))
