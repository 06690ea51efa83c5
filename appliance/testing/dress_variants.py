"""Controlled variants of real photos for the dress, jewellery, eye and headwear checks: each paints one
rule's object onto a photo that passes, in the photo's own geometry (mesh and person mask), so
the only thing that changes is the thing the check is about."""

from __future__ import annotations

import cv2
import numpy as np

from appliance.inference import face_parsing as fp
from appliance.inference import landmarks as lm
from appliance.inference.analysis import Analysis
from appliance.inference.landmarks import EyeDetail


def person_area(analysis: Analysis) -> np.ndarray:
    """Where the person is, as booleans: every variant paints on a photo the engine segmented."""
    if analysis.person_mask is None:
        raise ValueError("the analysis has no person mask: analyse the photo as a still")
    return analysis.person_mask > 0.5


def eye_details(analysis: Analysis) -> tuple[EyeDetail, EyeDetail]:
    """Both eyes' detail: the eye variants paint on a photo whose face was found."""
    if analysis.eyes is None:
        raise ValueError("the analysis found no eyes to paint on")
    return analysis.eyes


def top_mask(analysis: Analysis, below_chin: float = 0.35) -> np.ndarray:
    """The top: the person below the chin, off the skin (by colour against the face's skin)."""
    from appliance.inference.checks.appearance import skin_model

    chin = analysis.pts[lm.CHIN, 1]
    mask = person_area(analysis)
    mask[: int(chin + below_chin * analysis.eye_to_chin)] = False
    lab = cv2.cvtColor(analysis.bgr, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    skin = skin_model(analysis).skin_like(lab, 0.35, 16.0).reshape(mask.shape)
    return mask & ~skin


def recolour(bgr: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """The masked area in a new colour, its shading (lightness relative to its median) kept."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    target = cv2.cvtColor(np.array([[rgb[::-1]]], np.uint8), cv2.COLOR_BGR2LAB).astype(np.float32)[0, 0]
    shading = lab[..., 0] - np.median(lab[..., 0][mask])
    lab[..., 0][mask] = np.clip(target[0] + 0.5 * shading[mask], 0, 255)
    lab[..., 1][mask], lab[..., 2][mask] = target[1], target[2]
    return cv2.cvtColor(lab.astype(np.uint8), cv2.COLOR_LAB2BGR)


def suit_and_shirt(analysis: Analysis) -> np.ndarray:
    """A white shirt front between the lapels of a dark suit: the top's middle (0.4 face widths
    wide at the collar, narrowing to 0.2 at the frame's foot, where the lapels close; over any
    skin a low neckline showed) recoloured white, the rest of the top charcoal, shading kept."""
    top = top_mask(analysis)
    height, width = top.shape
    ys, xs = np.mgrid[0:height, 0:width]
    collar = float(analysis.pts[lm.CHIN, 1] + 0.35 * analysis.eye_to_chin)
    down = np.clip((ys - collar) / max(height - collar, 1.0), 0.0, 1.0)
    half = analysis.face_width * (0.2 - 0.1 * down)
    body = person_area(analysis) & (ys >= collar)
    shirt = body & (np.abs(xs - analysis.pts[lm.CHIN, 0]) < half)
    return recolour(recolour(analysis.bgr, top & ~shirt, (40, 42, 48)), shirt, (245, 245, 245))


def striped(bgr: np.ndarray, mask: np.ndarray, period_px: float, angle_deg: float = 0.0,
            dark_rgb: tuple[int, int, int] = (25, 35, 90)) -> np.ndarray:
    """Stripes of `period_px` textured onto the masked area: every other band in `dark_rgb`,
    the cloth's shading kept in both."""
    height, width = mask.shape
    ys, xs = np.mgrid[0:height, 0:width]
    theta = np.radians(angle_deg)
    phase = (xs * np.sin(theta) + ys * np.cos(theta)) / period_px
    bands = mask & ((phase % 1.0) < 0.5)
    return recolour(bgr, bands, dark_rgb)


def bare_shoulders(analysis: Analysis) -> np.ndarray:
    """The top replaced by the subject's neck skin from just below the collarbone down: a
    strapless top's look, the skin's texture and shading taken from the neck itself."""
    from appliance.inference.checks.appearance import skin_model

    bgr = analysis.bgr.copy()
    chin = analysis.pts[lm.CHIN, 1]
    mask = person_area(analysis)
    mask[: int(chin + 0.6 * analysis.eye_to_chin)] = False
    ref = skin_model(analysis).reference
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    rng = np.random.default_rng(3)
    grain = cv2.GaussianBlur(rng.normal(0, 4, mask.shape).astype(np.float32), (0, 0), 2)
    ys = np.arange(mask.shape[0], dtype=np.float32)[:, None] * np.ones_like(grain)
    shade = -8.0 * (ys - chin) / max(mask.shape[0] - chin, 1.0)  # a little darker downward
    lab[..., 0][mask] = np.clip(ref[0] + grain[mask] + shade[mask], 0, 255)
    lab[..., 1][mask], lab[..., 2][mask] = ref[1], ref[2]
    return cv2.cvtColor(lab.astype(np.uint8), cv2.COLOR_LAB2BGR)


def _stone(canvas: np.ndarray, centre: tuple[float, float], radius: float, rgb: tuple[int, int, int]) -> None:
    """A small metal bead or stone: a shaded disc with a white highlight near its top."""
    x, y = centre
    cv2.circle(canvas, (round(x), round(y)), max(1, round(radius)), tuple(int(c * 0.7) for c in rgb[::-1]), -1,
               cv2.LINE_AA)
    cv2.circle(canvas, (round(x), round(y)), max(1, round(radius * 0.7)), rgb[::-1], -1, cv2.LINE_AA)
    hx, hy = round(x - radius * 0.3), round(y - radius * 0.3)
    cv2.circle(canvas, (hx, hy), max(1, round(radius * 0.3)), (255, 255, 255), -1, cv2.LINE_AA)


def with_drop_earrings(analysis: Analysis, stones: int = 10, strands: int = 1,
                       rgb: tuple[int, int, int] = (200, 170, 90)) -> np.ndarray:
    """Drop earrings under both lobes: `strands` columns of metal beads, each with its highlight."""
    bgr = analysis.bgr.copy()
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    lobe_y = float(p[lm.NOSE_TIP, 1]) + 0.08 * unit
    radius = 0.018 * width
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        for strand in range(strands):
            x = float(p[edge, 0]) + outward * (0.04 + 0.05 * strand) * width
            for i in range(stones):
                _stone(bgr, (x, lobe_y + i * 2.6 * radius), radius, rgb)
    return bgr


def with_studs(analysis: Analysis, diameter: float = 0.03, rgb: tuple[int, int, int] = (215, 185, 110)) -> np.ndarray:
    """A stud on each ear lobe, `diameter` face widths across (0.03: about 4 mm on a 140 mm wide
    face, the smallest earring a CHSI photo is refused for)."""
    bgr = analysis.bgr.copy()
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    lobe_y = float(p[lm.NOSE_TIP, 1]) + 0.05 * unit
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        _stone(bgr, (float(p[edge, 0]) + outward * 0.03 * width, lobe_y), diameter * width / 2, rgb)
    return bgr


def with_long_hair(analysis: Analysis, seed: int = 0, top: float | None = None, inner: float = -0.02) -> np.ndarray:
    """Long dark hair falling beside both cheeks from the ear lobes (or from `top`, in image px)
    to below the chin, from `inner` face widths out of the face's edge (negative: over the cheek's
    rim) to 0.3: strands of lighter brown side by side, each shining in short compact highlights
    along its length, as hair under a ring light does; no jewellery."""
    rng = np.random.default_rng(seed)
    bgr = analysis.bgr.copy()
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    top = float(p[lm.NOSE_TIP, 1]) - 0.1 * unit if top is None else top
    bottom = float(p[lm.CHIN, 1]) + 0.3 * unit
    thick = max(1, round(0.008 * width))
    for edge, outward in ((lm.FACE_RIGHT_EDGE, -1), (lm.FACE_LEFT_EDGE, 1)):
        near = float(p[edge, 0]) + outward * inner * width
        outer = float(p[edge, 0]) + outward * 0.3 * width
        x0, x1 = sorted((near, outer))
        patch = np.empty((round(bottom) - round(top), round(x1) - round(x0), 3), np.uint8)
        patch[:] = (35, 45, 60)
        height = patch.shape[0]
        for x in np.arange(0.0, patch.shape[1], 0.012 * width):
            slant = rng.uniform(-0.1, 0.1) * height
            cv2.line(patch, (round(x), 0), (round(x + slant), height), (75, 100, 130), thick, cv2.LINE_AA)
            angle = float(np.degrees(np.arctan2(height, slant)))
            for t in np.arange(rng.uniform(0, 0.2), 1.0, 0.2):
                centre = (round(x + t * slant), round(t * height))
                cv2.ellipse(patch, centre, (max(1, round(0.012 * width)), max(1, round(0.003 * width))),
                            angle, 0, 360, (200, 215, 230), -1, cv2.LINE_AA)
        bgr[round(top):round(top) + patch.shape[0], round(x0):round(x0) + patch.shape[1]] = patch
    return bgr


def parsed_hair(analysis: Analysis) -> np.ndarray:
    """Where the face parser sees the subject's own hair, in image pixels (booleans)."""
    parse = analysis.parsing
    if parse is None:
        raise ValueError("the analysis has no face parse: analyse the photo as a still, the parser on")
    height, width = analysis.bgr.shape[:2]
    hair = (parse.labels == fp.CLASSES.index("hair")).astype(np.uint8)
    back = cv2.invertAffineTransform(parse.to_crop)
    return cv2.warpAffine(hair, back, (width, height), flags=cv2.INTER_NEAREST) > 0


def with_strands_on_own_hair(analysis: Analysis, seed: int = 0) -> np.ndarray:
    """with_long_hair's shining strands drawn only where the parser already sees the subject's own
    long hair beside the cheeks (a photo whose hair falls there): the outline stays the real
    hair's, and the parser reads the drawn strands as hair, which it does not for the flat-edged
    block drawn beside short hair."""
    hair = cv2.erode(parsed_hair(analysis).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return np.where(hair[..., None], with_long_hair(analysis, seed), analysis.bgr)


def with_chain_necklace(analysis: Analysis, links: int = 24, rgb: tuple[int, int, int] = (205, 175, 95)) -> np.ndarray:
    """A chain of small metal links hanging across the neck below the chin."""
    bgr = analysis.bgr.copy()
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    cx, chin = float(p[lm.CHIN, 0]), float(p[lm.CHIN, 1])
    half = 0.25 * width
    for t in np.linspace(-1.0, 1.0, links):
        x = cx + t * half
        y = chin + (0.3 + 0.3 * (1 - t * t)) * unit
        _stone(bgr, (x, y), 0.012 * width, rgb)
    return bgr


def with_hair_flower(analysis: Analysis, rgb: tuple[int, int, int] = (230, 60, 120)) -> np.ndarray:
    """A flower (about 6 cm across) worn in the hair above one temple: petals of one colour."""
    bgr = analysis.bgr.copy()
    p = analysis.pts[:, :2]
    width, unit = analysis.face_width, analysis.eye_to_chin
    cx = float(p[lm.FACE_RIGHT_EDGE, 0]) + 0.05 * width
    cy = float(p[lm.FOREHEAD, 1]) - 0.05 * unit
    radius = 0.2 * width
    for angle in np.linspace(0, 2 * np.pi, 6, endpoint=False):
        petal = (round(cx + 0.5 * radius * np.cos(angle)), round(cy + 0.5 * radius * np.sin(angle)))
        cv2.circle(bgr, petal, round(0.55 * radius), rgb[::-1], -1, cv2.LINE_AA)
    cv2.circle(bgr, (round(cx), round(cy)), round(0.3 * radius), (60, 200, 240), -1, cv2.LINE_AA)
    return bgr


EYEBALL_RADIUS_PER_EYE_WIDTH = 0.42  # anatomy (12 mm over a ~29 mm eye opening)


def gaze_turned(analysis: Analysis, degrees: float) -> np.ndarray:
    """Both irises moved along their eyes as an eye turned by `degrees` (> 0 toward the image's
    right) moves them: the eye opening's content shifted by R sin(angle), the sclera filling in
    behind, the lids and the skin around untouched."""
    bgr = analysis.bgr.copy()
    p = analysis.pts[:, :2]
    for ring, (a, b) in ((lm.RIGHT_EYE_RING, (lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER)),
                         (lm.LEFT_EYE_RING, (lm.LEFT_EYE_INNER, lm.LEFT_EYE_OUTER))):
        axis = p[b] - p[a]
        width = float(np.linalg.norm(axis))
        shift = axis / width * EYEBALL_RADIUS_PER_EYE_WIDTH * width * np.sin(np.radians(degrees))
        opening = np.zeros(bgr.shape[:2], np.uint8)
        cv2.fillPoly(opening, [np.round(p[list(ring)]).astype(np.int32)], 255)
        ys, xs = np.nonzero(opening)
        pixels = analysis.bgr[ys, xs].astype(np.float32)
        sclera = np.median(pixels[pixels.sum(axis=1) >= np.percentile(pixels.sum(axis=1), 80)], axis=0)
        src_x, src_y = np.round(xs - shift[0]).astype(int), np.round(ys - shift[1]).astype(int)
        inside = (src_x >= 0) & (src_y >= 0) & (src_x < bgr.shape[1]) & (src_y < bgr.shape[0])
        inside[inside] &= opening[src_y[inside], src_x[inside]] > 0
        bgr[ys, xs] = sclera.astype(np.uint8)
        bgr[ys[inside], xs[inside]] = analysis.bgr[src_y[inside], src_x[inside]]
    return bgr


def pupils_painted(analysis: Analysis, rgb: tuple[int, int, int], per_iris: float = 0.45) -> np.ndarray:
    """Both pupils (the disc at the iris centre) painted, as a flash's red-eye paints them."""
    bgr = analysis.bgr.copy()
    for eye in eye_details(analysis):
        centre = tuple(round(v) for v in eye.iris[0])
        cv2.circle(bgr, centre, max(1, round(per_iris * eye.iris_radius)), rgb[::-1], -1, cv2.LINE_AA)
    return bgr


def irises_tinted(analysis: Analysis, rgb: tuple[int, int, int]) -> np.ndarray:
    """Both irises (pupil left dark) recoloured as a tinted contact lens colours them."""
    bgr = analysis.bgr.copy()
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    target = cv2.cvtColor(np.array([[rgb[::-1]]], np.uint8), cv2.COLOR_BGR2LAB).astype(np.float32)[0, 0]
    ys, xs = np.mgrid[0:bgr.shape[0], 0:bgr.shape[1]]
    for eye in eye_details(analysis):
        dist = np.hypot(xs - eye.iris[0][0], ys - eye.iris[0][1])
        ring = (dist >= 0.45 * eye.iris_radius) & (dist <= eye.iris_radius)
        lab[..., 1][ring], lab[..., 2][ring] = target[1], target[2]
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def lips_painted(analysis: Analysis, rgb: tuple[int, int, int]) -> np.ndarray:
    """Lipstick: the lips (not the mouth's opening) in one colour, their lightness kept."""
    mask = np.zeros(analysis.bgr.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(analysis.pts[list(lm.OUTER_LIPS), :2]).astype(np.int32)], 255)
    cv2.fillPoly(mask, [np.round(analysis.pts[list(lm.INNER_LIPS), :2]).astype(np.int32)], 0)
    return recolour(analysis.bgr, mask > 0, rgb)


def crown_mask(analyzer, bgr: np.ndarray) -> np.ndarray:
    """Where a cap sits: the silhouette above the top of the forehead, across the face's width."""
    analysis = analyzer.analyze(bgr)
    pts = analysis.pts[:, :2]
    top = int(pts[lm.FOREHEAD, 1] + 0.05 * analysis.eye_to_chin)
    x0, x1 = int(pts[lm.FACE_RIGHT_EDGE, 0]), int(pts[lm.FACE_LEFT_EDGE, 0])
    mask = np.zeros(bgr.shape[:2], bool)
    mask[:top, x0:x1] = True
    return mask & person_area(analysis)


def with_cap(bgr: np.ndarray, mask: np.ndarray, colour_bgr: tuple[int, int, int]) -> np.ndarray:
    """The crown painted in one fabric colour, darkening towards the brim as real caps do."""
    out = bgr.astype(np.float32)
    ys = np.nonzero(mask)[0]
    shade = np.clip(1.0 - 0.5 * (np.arange(bgr.shape[0]) - ys.min()) / max(np.ptp(ys), 1), 0.5, 1.0)
    painted = np.array(colour_bgr, np.float32)[None, None, :] * shade[:, None, None]
    out[mask] = np.broadcast_to(painted, out.shape)[mask]
    return out.astype(np.uint8)
