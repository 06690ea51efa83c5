"""The checks in the order guidance gives their messages: distance, centring, pose, then the rest.

A head covering is named before pose and the rest: it hides the forehead, brows and ears that
pose, occlusion and the eye checks read (a brim's shadow closes the eyes, its edge moves the
forehead), so it is the one thing to change first. Resolution comes after what the subject can
change (eyes, mouth, hair...): on a small photo that also shows closed eyes, the closed eyes are
the defect to name first; the booth's own stills are never that small. Light comes before the
checks that compare a region's colour with the skin (glasses, brows, ears): on a half-lit face
the shaded lens and brow band read as tint and hair, and the light is what to fix."""

from __future__ import annotations

from appliance.inference.checks.background import check_background
from appliance.inference.checks.base import CheckFn
from appliance.inference.checks.clothing import check_clothing
from appliance.inference.checks.eyes import check_eyes
from appliance.inference.checks.face_count import check_face_count
from appliance.inference.checks.frame import check_frame
from appliance.inference.checks.geometry import check_geometry
from appliance.inference.checks.glasses import check_glasses
from appliance.inference.checks.headwear import check_headwear
from appliance.inference.checks.lighting import check_lighting
from appliance.inference.checks.liveness import check_liveness
from appliance.inference.checks.mouth import check_mouth
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
    check_liveness,
)

# Appearance that changes over seconds, not frames: live guidance refreshes these in groups of
# about equal cost, each on its own turn, so no frame carries all of them.
SLOW_CHECK_GROUPS: dict[str, frozenset[CheckFn]] = {
    "face": frozenset({check_glasses, check_occlusion}),
    "medium": frozenset({check_liveness}),
    "scene": frozenset({check_headwear, check_background, check_clothing, check_fine_detail}),
}
SLOW_CHECKS: frozenset[CheckFn] = frozenset().union(*SLOW_CHECK_GROUPS.values())
