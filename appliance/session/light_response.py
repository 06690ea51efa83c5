"""How the face answered the ring's light challenge, and whether that answer is a live face's.

Model of one face region k in linear light, frame j, ring gains (gL, gR) received by the frame:
    y_kj = c_k + u_k * U_j + d_k * D_j,   U = (gL + gR)/2 - 1 (both sides dimmed),  D = (gR - gL)/2
For skin lit by a ring of two halves at angle +-theta beside the lens, Lambert's law gives
u_k ~ 2 rho E cos(theta) n_z and d_k ~ 2 rho E sin(theta) n_x, so
- u_k / c_k is the share of the region's light that comes from the ring ("response"): a screen emits
  its own picture and reflects the ring only faintly, so its share is small;
- d_k / u_k ~ tan(theta) * n_x / n_z depends on where the skin faces and on nothing else (not
  albedo, not ambient light): across the face's regions it follows the slope dz/dx of the face mesh
  ("shading"). A print, flat or gently curved, gives a value that is constant or changes smoothly
  across the image (the sheet's tilt, each point's distance to the two sides), which the fit
  absorbs with an intercept and a term linear in image x; what is left is the face's own relief.
- the lag that best aligns frames with the played sequence must be the camera's own latency, and
  the fit must explain most of the change ("fit"): a replayed recording cannot follow a sequence
  drawn a moment ago.
With colour steps (an RGB ring) the same model holds in each colour channel c, with U_c and D_c the
gains of that channel: skin reflects each channel of the ring diffusely, so every channel's share
u_kc / c_kc is that of ring light in the channel ("response_rgb"), whatever the tint of the step;
a screen's self-emitted picture keeps its colours whatever the ring does, so its shares are small
in every channel. The fits are made per channel; combined with the luminance weights they give
exactly the luminance fit when every step is white, so the other cues keep their meaning.
Frames arrive gamma-encoded; they are linearised with a plain power law (`gamma`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from appliance.capture.light_challenge import LightChallenge
from appliance.session.config import LightChallengeSettings

# Outer eye corners of the 468-point mesh (image left, image right for a frontal face).
_EYE_OUTER = (33, 263)
# Face-frame grid (units: outer-eye-corner distance, origin between the eyes, y down): columns are
# finer at the sides, where the skin turns away from the camera.
_COLUMNS = (-1.2, -0.75, -0.45, -0.2, 0.0, 0.2, 0.45, 0.75, 1.2)
_ROWS = (-0.9, -0.35, 0.25, 0.7, 1.5)
# Left out: the eyes (they blink and mirror the ring) and the mouth (it moves).
_EYE_CENTRES = ((-0.33, 0.0), (0.33, 0.0))
_EYE_RADIUS = 0.24
_MOUTH_CENTRE, _MOUTH_AXES = (0.0, 0.95), (0.38, 0.2)
_MIN_POINTS = 5
_MIN_PIXELS = 40


@dataclass(frozen=True)
class Region:
    mask_index: int
    slope_x: float  # dz/dx of the mesh over the region (z away from the camera): n_x / n_z
    x: float  # centre, face-frame units


@dataclass(frozen=True)
class Regions:
    labels: np.ndarray  # int label image of the face box (0 = not measured)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels
    regions: tuple[Region, ...]


def face_regions(landmarks: np.ndarray, image_shape: tuple[int, ...]) -> Regions:
    """Skin regions of the face on a grid in the face's own frame, each with its mesh slope."""
    pts = np.asarray(landmarks, dtype=np.float64)
    left, right = pts[_EYE_OUTER[0], :2], pts[_EYE_OUTER[1], :2]
    scale = float(np.linalg.norm(right - left))
    if scale < 8:
        return Regions(np.zeros((1, 1), np.int32), (0, 0, 1, 1), ())
    axis_x = (right - left) / scale
    axis_y = np.array([-axis_x[1], axis_x[0]])
    origin = (left + right) / 2
    local = np.column_stack([(pts[:, :2] - origin) @ axis_x, (pts[:, :2] - origin) @ axis_y]) / scale
    height, width = image_shape[:2]
    x0, y0 = np.maximum(np.floor(pts[:, :2].min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(pts[:, :2].max(axis=0)).astype(int) + 2, (width, height))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return Regions(np.zeros((1, 1), np.int32), (0, 0, 1, 1), ())
    labels = np.zeros((y1 - y0, x1 - x0), np.int32)
    regions: list[Region] = []
    for row in range(len(_ROWS) - 1):
        for col in range(len(_COLUMNS) - 1):
            inside = ((local[:, 0] >= _COLUMNS[col]) & (local[:, 0] < _COLUMNS[col + 1])
                      & (local[:, 1] >= _ROWS[row]) & (local[:, 1] < _ROWS[row + 1]))
            if inside.sum() < _MIN_POINTS:
                continue
            cell = pts[inside]
            hull = cv2.convexHull((cell[:, :2] - (x0, y0)).astype(np.float32)).astype(np.int32)
            mask = np.zeros_like(labels, np.uint8)
            cv2.fillConvexPoly(mask, hull, 1)
            mask &= (labels == 0).astype(np.uint8)
            # Depth slope in the face frame's x: plane z = a*x + b*y + c through the cell's points.
            design = np.column_stack([local[inside, 0] * scale, local[inside, 1] * scale, np.ones(len(cell))])
            coef, *_ = np.linalg.lstsq(design, cell[:, 2], rcond=None)
            index = len(regions) + 1
            labels[mask.astype(bool)] = index
            regions.append(Region(index, float(coef[0]), float(local[inside, 0].mean())))
    _exclude_features(labels, origin, axis_x, axis_y, scale, (x0, y0))
    kept = [r for r in regions if int((labels == r.mask_index).sum()) >= _MIN_PIXELS]
    return Regions(labels, (int(x0), int(y0), int(x1), int(y1)), tuple(kept))


def _exclude_features(labels: np.ndarray, origin: np.ndarray, axis_x: np.ndarray, axis_y: np.ndarray,
                      scale: float, offset: tuple[int, int]) -> None:
    yy, xx = np.mgrid[0 : labels.shape[0], 0 : labels.shape[1]]
    dx = xx + offset[0] - origin[0]
    dy = yy + offset[1] - origin[1]
    fx = (dx * axis_x[0] + dy * axis_x[1]) / scale
    fy = (dx * axis_y[0] + dy * axis_y[1]) / scale
    out = np.zeros(labels.shape, bool)
    for cx, cy in _EYE_CENTRES:
        out |= (fx - cx) ** 2 + (fy - cy) ** 2 < _EYE_RADIUS**2
    out |= ((fx - _MOUTH_CENTRE[0]) / _MOUTH_AXES[0]) ** 2 + ((fy - _MOUTH_CENTRE[1]) / _MOUTH_AXES[1]) ** 2 < 1
    labels[out] = 0


# Luminance weights of linear (red, green, blue).
LUMA_RGB = np.array([0.2126, 0.7152, 0.0722])


def linear_rgb(image: np.ndarray, gamma: float) -> np.ndarray:
    """(..., 3) linear (red, green, blue) 0..1 of a BGR or grey uint8 image, by a plain power law."""
    lin = (image.astype(np.float32) / 255.0) ** gamma
    if lin.ndim == 2:
        return np.repeat(lin[..., None], 3, axis=-1)
    return lin[..., ::-1]


@dataclass(frozen=True)
class LightResponse:
    """The cues of one challenge and the verdict; `status` is live, not_live or unmeasured."""

    status: str
    cues: dict[str, object] = field(default_factory=dict)
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def live(self) -> bool:
        return self.status == "live"


def _unmeasured(why: str, cues: dict[str, object]) -> LightResponse:
    return LightResponse("unmeasured", {**cues, "problem": why},
                         "请正对镜头，保持不动", "Face the camera and hold still")


def region_series(frames: Sequence[np.ndarray], regions: Regions, gamma: float) -> np.ndarray:
    """(frames, regions, 3) mean linear (red, green, blue) of each region in each frame."""
    x0, y0, x1, y1 = regions.box
    count = len(regions.regions) + 1
    flat = regions.labels.ravel()
    sizes = np.bincount(flat, minlength=count).astype(np.float64)
    keep = np.array([r.mask_index for r in regions.regions])
    out = np.empty((len(frames), len(keep), 3))
    for j, frame in enumerate(frames):
        crop = frame[y0:y1, x0:x1]
        if crop.shape[:2] != regions.labels.shape:
            raise ValueError("frame smaller than the face box")
        lin = linear_rgb(crop, gamma).reshape(-1, 3)
        for c in range(3):
            sums = np.bincount(flat, weights=lin[:, c], minlength=count)
            out[j, :, c] = sums[keep] / sizes[keep]
    return out


def challenge_regressors(challenge: LightChallenge, times: np.ndarray, lag_s: float,
                         exposure_s: float) -> np.ndarray:
    """(frames, 2, 3): U and D of each (red, green, blue) channel that each frame received, its
    exposure ending `lag_s` before its time."""
    rows = []
    for t in times:
        left, right = challenge.channel_gains(float(t) - lag_s - exposure_s, float(t) - lag_s)
        rows.append(((left + right) / 2.0 - 1.0, (right - left) / 2.0))
    return np.array(rows)


def measure(
    frames: Sequence[tuple[float, np.ndarray]],
    landmarks: np.ndarray | None,
    challenge: LightChallenge,
    started_at: float,
    settings: LightChallengeSettings,
    exposure_s: float | None = None,
) -> LightResponse:
    """Measure the answer of the frames recorded around one challenge (timestamps on the clock
    `started_at` is on) and decide with the thresholds in `settings`."""
    s = settings
    cues: dict[str, object] = {"frames": len(frames)}
    if landmarks is None:
        return _unmeasured("no face mesh before the challenge", cues)
    if len(frames) < s.min_frames:
        return _unmeasured("too few frames during the challenge", cues)
    images = [image for _, image in frames]
    regions = face_regions(landmarks, images[0].shape)
    cues["regions"] = len(regions.regions)
    if len(regions.regions) < s.min_regions:
        return _unmeasured("face too small or turned away", cues)
    series = region_series(images, regions, s.gamma)
    times = np.array([t for t, _ in frames]) - started_at
    exposure = s.assumed_exposure_s if exposure_s is None else exposure_s
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    drift = times - times.mean()
    for lag in np.arange(0.0, s.max_lag_s + 1e-9, s.lag_step_s):
        x = challenge_regressors(challenge, times, float(lag), exposure)
        fitted = _fit_channels(series, x, drift)
        if fitted is None:
            continue
        coef, residual, detrended = fitted
        # The fit is judged on luminance: with white steps exactly the luminance fit.
        total = float(np.sum((detrended @ LUMA_RGB) ** 2))
        r2 = 1.0 - float(np.sum((residual @ LUMA_RGB) ** 2)) / total if total > 0 else 0.0
        if best is None or r2 > best[1]:
            # Each channel on its own: a picture that follows the ring's brightness but not its
            # colour leaves in some channel a change its own steps do not explain.
            channel_total = np.sum(detrended**2, axis=(0, 1))
            channel_r2 = 1.0 - np.sum(residual**2, axis=(0, 1)) / np.maximum(channel_total, 1e-12)
            best = (float(lag), r2, coef, channel_r2)
    if best is None:
        return _unmeasured("the challenge did not reach enough frames", cues)
    lag, fit, coef, channel_fit = best  # coef: (4, regions, 3)
    base, uniform, sided = (coef[i] @ LUMA_RGB for i in range(3))
    share = uniform / np.maximum(base, 1e-6)
    response = float(np.median(share))
    channel_share = np.median(coef[1] / np.maximum(coef[0], 1e-6), axis=0)
    response_rgb = [round(float(v), 3) for v in channel_share]
    cues.update({"lag_s": round(lag, 3), "fit": round(fit, 3), "response": round(response, 3),
                 "response_rgb": response_rgb, "fit_rgb": [round(float(v), 3) for v in channel_fit]})
    shading, relief = _shading(regions.regions, uniform, sided, share, response, s)
    cues["shading"] = None if shading is None else round(shading, 3)
    cues["relief"] = None if relief is None else round(relief, 3)
    failures = []
    if response < s.min_response:
        failures.append("response")
    if challenge.coloured and min(response_rgb) < s.min_channel_response:
        failures.append("colour")
    if fit < s.min_fit:
        failures.append("fit")
    if not s.min_lag_s <= lag <= s.max_lag_s - s.lag_step_s / 2:
        failures.append("lag")
    if challenge.sided and s.require_shading:
        if shading is None or shading < s.min_shading:
            failures.append("shading")
        if relief is None or relief < s.min_relief:
            failures.append("relief")
    cues["failed"] = failures
    if failures:
        return LightResponse("not_live", cues, "未能确认是本人在镜头前（请勿使用照片或屏幕）",
                             "Could not confirm a live person in front of the camera (no photos or screens)")
    return LightResponse("live", cues)


def _fit_channels(series: np.ndarray, x: np.ndarray, drift: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per colour channel, y = c + u*U + d*D + slow drift over the frames; (coef (4, regions, 3),
    residual and series without c and drift (frames, regions, 3)), None where a channel's steps
    cannot be told apart."""
    coef = np.empty((4, series.shape[1], 3))
    residual = np.empty_like(series)
    detrended = np.empty_like(series)
    for c in range(3):
        # A slow drift (the head settling, a hand lowering a print) is not part of the answer.
        design = np.column_stack([np.ones(len(drift)), x[:, 0, c], x[:, 1, c], drift])
        if np.linalg.matrix_rank(design) < 4:
            return None
        coef[:, :, c], *_ = np.linalg.lstsq(design, series[:, :, c], rcond=None)
        residual[:, :, c] = series[:, :, c] - design @ coef[:, :, c]
        detrended[:, :, c] = series[:, :, c] - design[:, [0, 3]] @ coef[[0, 3], :, c]
    return coef, residual, detrended


def _shading(regions: Sequence[Region], uniform: np.ndarray, sided: np.ndarray, share: np.ndarray,
             response: float, s: LightChallengeSettings) -> tuple[float | None, float | None]:
    """How the one-side answer d/u follows the mesh's slope across regions, in units of tan(ring
    angle); about 1 for a face lit as the model says.

    `shading` is the slope of d/u ~ a + g*slope: a sheet's tilt moves only the intercept, and its
    points' different distances to the two sides add a term ~ x/distance, a fraction of a face's.
    `relief` is g in d/u ~ a + b*x + g*slope: what the face's relief explains beyond anything
    smooth across the image (that distance term, a sheet curled round a cylinder); noisier, since
    a face's slope grows with x too, but near zero for every sheet.
    """
    usable = share > 0.4 * max(response, 1e-6)
    if usable.sum() < s.min_regions:
        return None, None
    ratio = sided[usable] / uniform[usable]
    slope = np.array([r.slope_x for r in regions])[usable]
    x = np.array([r.x for r in regions])[usable]
    if np.ptp(slope) < 0.2:
        return None, None
    tan = np.tan(np.radians(s.ring_angle_deg))
    plain, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(ratio)), slope]), ratio, rcond=None)
    design = np.column_stack([np.ones(len(ratio)), x, slope])
    if np.linalg.matrix_rank(design) < 3:
        return float(plain[1] / tan), None
    coef, *_ = np.linalg.lstsq(design, ratio, rcond=None)
    return float(plain[1] / tan), float(coef[2] / tan)
