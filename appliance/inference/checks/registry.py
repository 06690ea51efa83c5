"""The checks in the order guidance gives their messages: distance, centring, pose, then the rest.

A head covering is named before pose and the rest: it hides the forehead, brows and ears that
pose, occlusion and the eye checks read (a brim's shadow closes the eyes, its edge moves the
forehead), so it is the one thing to change first. Resolution comes after what the subject can
change (eyes, mouth, hair...): on a small photo that also shows closed eyes, the closed eyes are
the defect to name first; the booth's own stills are never that small. Light comes before the
checks that compare a region's colour with the skin (glasses, brows, ears): on a half-lit face
the shaded lens and brow band read as tint and hair, and the light is what to fix."""

from __future__ import annotations

from appliance.inference.checks.accessories import check_earrings, check_head_ornament, check_necklace
from appliance.inference.checks.background import check_background
from appliance.inference.checks.base import CheckFn
from appliance.inference.checks.clothing import check_clothing
from appliance.inference.checks.clothing_pattern import check_clothing_pattern
from appliance.inference.checks.eye_colour import check_eye_colour
from appliance.inference.checks.eyes import check_eyes
from appliance.inference.checks.face_count import check_face_count
from appliance.inference.checks.frame import check_frame
from appliance.inference.checks.gaze import check_gaze
from appliance.inference.checks.geometry import check_geometry
from appliance.inference.checks.glasses import check_glasses
from appliance.inference.checks.headwear import check_headwear
from appliance.inference.checks.lighting import check_lighting
from appliance.inference.checks.liveness import check_liveness
from appliance.inference.checks.makeup import check_makeup
from appliance.inference.checks.mouth import check_mouth
from appliance.inference.checks.neckline import check_neckline
from appliance.inference.checks.occlusion import check_occlusion
from appliance.inference.checks.pose import check_pose
from appliance.inference.checks.sharpness import check_fine_detail, check_resolution, check_sharpness

ALL_CHECKS: tuple[CheckFn, ...] = (
    check_face_count,
    check_frame,
    check_geometry,
    check_headwear,
    check_pose,
    check_eyes,
    check_mouth,
    check_lighting,
    check_glasses,
    check_occlusion,
    check_sharpness,
    check_fine_detail,
    check_resolution,
    check_background,
    check_clothing,
    check_neckline,
    check_clothing_pattern,
    check_earrings,
    check_necklace,
    check_head_ornament,
    check_eye_colour,
    # last of what the subject can change: eyes to the lens once the rest is right
    check_gaze,
    check_liveness,
    check_makeup,
)

# Appearance that changes over seconds, not frames: live guidance refreshes these in groups of
# about equal cost, each on its own turn, so no frame carries all of them. On 640x480 frames
# (least of 200 runs, one core) each group costs about 2.6-2.8 ms: glasses 1.0 + occlusion 0.9 +
# earrings 0.7; liveness 2.0 + necklace 0.4 + eye colour 0.15 + make-up 0.13; the scene's seven
# 0.05-0.85 each, head ornament 0.8.
SLOW_CHECK_GROUPS: dict[str, frozenset[CheckFn]] = {
    "face": frozenset({check_glasses, check_occlusion, check_earrings}),
    "medium": frozenset({check_liveness, check_necklace, check_eye_colour, check_makeup}),
    "scene": frozenset({check_headwear, check_background, check_clothing, check_fine_detail,
                        check_clothing_pattern, check_neckline, check_head_ornament}),
}
SLOW_CHECKS: frozenset[CheckFn] = frozenset().union(*SLOW_CHECK_GROUPS.values())
