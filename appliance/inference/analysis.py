"""What the models saw in one image, and the geometric measures every check shares.

The engine fills an Analysis once per image; checks read it and never run a model themselves, so
live guidance and the final verdict measure the same things the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

import cv2
import numpy as np

from appliance.inference import landmarks as lm
from appliance.inference.detection import Detection
from appliance.inference.face_parsing import FaceParse, FaceParser
from appliance.inference.geometry import polygon_mask
from appliance.inference.landmarks import EyeDetail, FaceMesh, mesh_eye_centres

T = TypeVar("T")


class _DeferredMask:
    """The person mask of an Analysis, which may be given as a function that makes it.

    A large still is analysed on a reduced copy, and the findings are scaled back to the still;
    its mask, enlarged to 12 MP, costs as much as the mesh and the eyes together, yet the checks
    read the reduced copy's and only the producer reads the enlarged one. It is made on first read.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    def __get__(self, analysis: Analysis | None, owner: type | None = None) -> np.ndarray | None:
        if analysis is None:
            return None  # the dataclass field's default
        value = analysis.__dict__.get(self._slot)
        if callable(value):
            value = analysis.__dict__[self._slot] = value()
        return value

    def __set__(self, analysis: Analysis, value: np.ndarray | Callable[[], np.ndarray] | None) -> None:
        analysis.__dict__[self._slot] = value


def _bilinear(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)


@dataclass
class Analysis:
    bgr: np.ndarray
    grayscale: bool
    live: bool
    faces: list[Detection] = field(default_factory=list)
    mesh: FaceMesh | None = None
    eyes: tuple[EyeDetail, EyeDetail] | None = None
    # an array, or a function making it on first read (`_DeferredMask`)
    person_mask: _DeferredMask = _DeferredMask()
    rotation: int = 0  # degrees the image had to be turned for a face to be found
    timings: dict[str, float] = field(default_factory=dict)
    product: bool = False  # the image is a produced 480x640 photo, not a capture
    # Source pixels per pixel of `bgr`: checks run on a reduced copy of a large still, and report
    # sizes in the source's pixels.
    pixel_scale: float = 1.0
    work: Analysis | None = None  # the reduced copy the checks read, when `bgr` is large
    seeded: bool = False  # the face was found around the live track's face, not by the full search
    # The face parser, for a still or a product (live frames leave it None): `parsing` runs it once,
    # only when a check asks, so the still chooser's many candidates never pay for it.
    face_parser: FaceParser | None = None
    _memos: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """A value a check module derives from this analysis, made on first use: several checks
        (and the LED ring's brightness loop) read the same skin statistics, masks and crops."""
        if key not in self._memos:
            self._memos[key] = make()
        return self._memos[key]  # type: ignore[return-value]

    @property
    def for_checks(self) -> Analysis:
        return self.work if self.work is not None else self

    def scaled(self, factor: float, bgr: np.ndarray,
               enlarge: Callable[[np.ndarray, tuple[int, int]], np.ndarray] | None = None) -> Analysis:
        """The same findings for `bgr`, an image `factor` times this one's size.

        `enlarge(mask, (width, height))` makes the person mask at `bgr`'s size (bilinear, as
        cv2.resize): the engine's `MaskCanvas` writes it into a reused buffer."""
        faces = [Detection(box=f.box * factor, keypoints=f.keypoints * factor, score=f.score) for f in self.faces]
        mesh = None
        if self.mesh is not None:
            roi = self.mesh.roi
            mesh = FaceMesh(points=self.mesh.points * factor, presence=self.mesh.presence,
                            roi=type(roi)(roi.cx * factor, roi.cy * factor, roi.size * factor, roi.angle))
        eyes: tuple[EyeDetail, EyeDetail] | None = None
        if self.eyes is not None:
            left, right = (EyeDetail(contour=e.contour * factor, iris=e.iris * factor) for e in self.eyes)
            eyes = (left, right)
        mask = self.person_mask
        size = (bgr.shape[1], bgr.shape[0])
        grow = _bilinear if enlarge is None else enlarge
        enlarged = None if mask is None else (lambda: grow(mask, size))
        return Analysis(bgr=bgr, grayscale=self.grayscale, live=self.live, faces=faces, mesh=mesh, eyes=eyes,
                        person_mask=enlarged, rotation=self.rotation, timings=self.timings, product=self.product,
                        pixel_scale=self.pixel_scale / factor, seeded=self.seeded)

    @cached_property
    def parsing(self) -> FaceParse | None:
        if self.face_parser is None or self.mesh is None:
            return None
        start = time.perf_counter()
        parse = self.face_parser.run(self.bgr, self.mesh.points)
        self.timings["parsing"] = (time.perf_counter() - start) * 1000
        return parse

    @cached_property
    def overview(self) -> tuple[np.ndarray, np.ndarray | None, float]:
        """(bgr, person mask, factor) reduced to ~320 px: enough for background and clothing
        statistics, which do not need a still's full resolution."""
        height, width = self.bgr.shape[:2]
        factor = min(1.0, 320.0 / max(height, width))
        if factor >= 1.0:
            return self.bgr, self.person_mask, 1.0
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        mask = None
        if self.person_mask is not None:
            mask = cv2.resize(self.person_mask, size, interpolation=cv2.INTER_AREA)
        # sampled, not averaged: averaging would smooth away the clutter the background check measures
        return cv2.resize(self.bgr, size, interpolation=cv2.INTER_NEAREST), mask, factor

    @property
    def face(self) -> Detection | None:
        return self.faces[0] if self.faces else None

    @cached_property
    def luma(self) -> np.ndarray:
        return cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)

    @property
    def pts(self) -> np.ndarray:
        assert self.mesh is not None
        return self.mesh.points

    @cached_property
    def roll_rad(self) -> float:
        p = self.pts
        return float(np.arctan2(p[lm.LEFT_EYE_OUTER, 1] - p[lm.RIGHT_EYE_OUTER, 1],
                                p[lm.LEFT_EYE_OUTER, 0] - p[lm.RIGHT_EYE_OUTER, 0]))

    @cached_property
    def upright(self) -> np.ndarray:
        """Mesh points with the roll undone, centred on the face: x right, y down, z toward depth."""
        cos, sin = np.cos(-self.roll_rad), np.sin(-self.roll_rad)
        rot = np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])
        centred = self.pts - self.pts.mean(axis=0)
        return centred @ rot.T

    @cached_property
    def eye_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """(subject's right, left) eye centres in image px: iris centres where available."""
        if self.eyes is not None:
            return self.eyes[0].iris[0].copy(), self.eyes[1].iris[0].copy()
        assert self.mesh is not None
        right, left = mesh_eye_centres(self.mesh)
        return right, left

    @cached_property
    def eye_to_chin(self) -> float:
        """Distance from the eyes' midpoint to the chin: the face-size unit of OFIQ's measures."""
        right, left = self.eye_centres
        return float(np.linalg.norm(self.pts[lm.CHIN, :2] - (right + left) / 2))

    @cached_property
    def face_width(self) -> float:
        """Cheek-to-cheek width in px, as CHSI measures it."""
        p = self.pts[:, :2]
        return float(np.linalg.norm(p[lm.FACE_LEFT_EDGE] - p[lm.FACE_RIGHT_EDGE]))

    @cached_property
    def face_polygon(self) -> np.ndarray:
        return self.pts[list(lm.FACE_OVAL), :2].astype(np.int32)

    def region_mask(self, polygon: np.ndarray) -> np.ndarray:
        return polygon_mask(self.bgr.shape, polygon)

    def luma_window(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """The luma of one window of the image: a view of `luma` where that exists already,
        else only the window converted (the same pixels: the conversion is per pixel)."""
        if "luma" in self.__dict__:
            return self.luma[y0:y1, x0:x1]
        window = self.bgr[y0:y1, x0:x1]
        if not window.size:  # OpenCV refuses an empty image
            return np.zeros(window.shape[:2], np.uint8)
        return cv2.cvtColor(window, cv2.COLOR_BGR2GRAY)

    @cached_property
    def skin_window(self) -> tuple[np.ndarray, tuple[int, int]]:
        """(mask, (x0, y0)): `skin_mask` over the bounding box of the face oval and its holes only,
        and that box's corner; outside the box the whole-image mask is 0. The live path's lighting
        reads this on every frame, where a whole-image mask costs more than the measure."""
        polygon = self.face_polygon
        p = self.pts[:, :2]
        holes = [
            cv2.convexHull(p[idx].astype(np.int32))
            for idx in ([*lm.RIGHT_BROW, lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER, *lm.RIGHT_EYE_LOWER],
                        [*lm.LEFT_BROW, lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER, *lm.LEFT_EYE_LOWER],
                        [*lm.INNER_LIPS, lm.MOUTH_LEFT, lm.MOUTH_RIGHT, 0, 17])
        ]
        # the window holds the holes too: OpenCV fills a polygon cut by the image's edge a pixel
        # differently from the same polygon whole, so no polygon may cross the window's edge
        # where it would not cross the image's
        corners = np.concatenate([polygon.reshape(-1, 2), *(hull.reshape(-1, 2) for hull in holes)])
        height, width = self.bgr.shape[:2]
        x0, y0 = np.maximum(corners.min(axis=0), 0)
        x1, y1 = np.minimum(corners.max(axis=0) + 1, (width, height))
        x0, y0, x1, y1 = int(x0), int(y0), max(int(x1), int(x0)), max(int(y1), int(y0))
        origin = np.array([x0, y0], np.int32)
        mask = polygon_mask((y1 - y0, x1 - x0), polygon - origin)
        for hull in holes:
            cv2.fillConvexPoly(mask, hull - origin, 0)
        # keep clear of the hairline and jaw edge where background and hair creep in
        size = max(3, int(self.face_width * 0.04))
        x, y, w, h = cv2.boundingRect(mask)
        if w and h:
            mask[y:y + h, x:x + w] = cv2.erode(mask[y:y + h, x:x + w], np.ones((size, size), np.uint8),
                                               borderType=cv2.BORDER_CONSTANT, borderValue=0)
        return mask, (x0, y0)

    @cached_property
    def skin_mask(self) -> np.ndarray:
        """Face oval minus eyes, brows and mouth: where lighting is judged (the whole image's size)."""
        window, (x0, y0) = self.skin_window
        mask = np.zeros(self.bgr.shape[:2], np.uint8)
        mask[y0:y0 + window.shape[0], x0:x0 + window.shape[1]] = window
        return mask
