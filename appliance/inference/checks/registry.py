"""The engine's checks and the rule catalogue, assembled from the check modules.

Each `checks/<family>.py` declares its rules and the check functions that return them
(`CHECKS`, a rules.CheckModule); the list below only says in which order guidance gives their
messages: distance, centring, pose, then the rest. Everything else (the functions the engine
runs, which of them live guidance refreshes in which slow group, the catalogue by id) is derived
from the modules' declarations.

When no face is found, the whole frame's light and sharpness (frame.py) come before "no face":
they say why none was found (a dark booth, a shaking camera), which "no face" alone does not; they
only run when no face is found, so they never displace another message.

A head covering is named before pose and the rest: it hides the forehead, brows and ears that
pose, occlusion and the eye checks read (a brim's shadow closes the eyes, its edge moves the
forehead), so it is the one thing to change first. Resolution comes after what the subject can
change (eyes, mouth, hair...): on a small photo that also shows closed eyes, the closed eyes are
the defect to name first; the booth's own stills are never that small. Light comes before the
checks that compare a region's colour with the skin (glasses, brows, ears): on a half-lit face
the shaded lens and brow band read as tint and hair, and the light is what to fix. Gaze is the
last of what the subject can change: eyes to the lens once the rest is right.

Live guidance refreshes the appearance that changes over seconds, not frames, in slow groups (a
rule's `cadence`), each on its own turn, so no frame carries more than one. The groups are sized
by cost, since the heaviest turns set the live path's p95 (`scripts/bench_slow_checks.py`: CPU
ms per call, p50, on the bench's 640x480 frames of the 83 good photos, a machine loaded about 2.5x,
2026-12-02). Whole turns: face (glasses 5.3, teeth 1.1) 6.5; ears (occlusion 4.5, earrings 3.5)
8.0; medium (liveness alone) 9.3; adornment (necklace 3.6, eye colour 1.6, make-up 0.4) 5.6; head
(headwear 3.0, head ornament 2.9) 5.9; scene (clothing pattern 4.3, background 3.3, fine detail
1.6, clothing 1.0, neckline 0.1) 10.4. The three groups they replace cost 12.2, 14.5 and 13.5 in
the same run; a check that now opens its turn pays for what the analysis memoises (the skin model)
where it used to find it made.
"""

from __future__ import annotations

from appliance.inference.checks import (
    accessories,
    background,
    clothing,
    clothing_pattern,
    eye_colour,
    eyes,
    face_count,
    frame,
    gaze,
    geometry,
    glasses,
    headwear,
    lighting,
    liveness,
    makeup,
    mouth,
    neckline,
    occlusion,
    pose,
    product,
    sharpness,
)
from appliance.inference.checks.base import CheckFn
from appliance.inference.checks.rules import Cadence, Check, CheckModule, Rule, rules_by_id

# The engine's check modules, in the order guidance gives their messages.
MODULES: tuple[CheckModule, ...] = (
    frame.CHECKS,
    face_count.CHECKS,
    geometry.CHECKS,
    headwear.CHECKS,
    pose.CHECKS,
    eyes.CHECKS,
    mouth.CHECKS,
    lighting.CHECKS,
    glasses.CHECKS,
    occlusion.CHECKS,
    sharpness.CHECKS,
    background.CHECKS,
    clothing.CHECKS,
    neckline.CHECKS,
    clothing_pattern.CHECKS,
    accessories.CHECKS,
    eye_colour.CHECKS,
    gaze.CHECKS,
    liveness.CHECKS,
    makeup.CHECKS,
)

ENGINE_CHECKS: tuple[Check, ...] = tuple(check for module in MODULES for check in module.checks)
ALL_CHECKS: tuple[CheckFn, ...] = tuple(check.run for check in ENGINE_CHECKS)
SLOW_CHECK_GROUPS: dict[str, frozenset[CheckFn]] = {
    group.value: frozenset(check.run for check in ENGINE_CHECKS if check.cadence == group)
    for group in Cadence if group != Cadence.EVERY_FRAME
}
SLOW_CHECKS: frozenset[CheckFn] = frozenset().union(*SLOW_CHECK_GROUPS.values())

ENGINE_RULES: tuple[Rule, ...] = tuple(rule for module in MODULES for rule in module.rules)
# Every rule the booth judges by: the engine's and the produced file's own (checks/product.py).
CATALOGUE: dict[str, Rule] = rules_by_id(ENGINE_RULES + product.RULES)
