"""The rule catalogue's vocabulary: what a rule is, where it runs and how its result is worded.

A rule is data, declared once in the module of its family (`checks/<family>.py`) beside the code
that measures it and the settings model that holds its thresholds: its id, its family, the stages
it runs at (live guidance, the still's verdict, the produced file's verification), how often live
guidance measures it, and its guidance message, Chinese first, English second. The module lists
its check functions with the rules each one returns (`CheckModule`); `registry.py` assembles the
engine's checks, their live cadence and the catalogue from those modules, and
`appliance/inference/config.py` assembles the settings tree from their settings models.

Ids and settings keys are contracts (`appliance check --json`, settings files, the ingest
server's reports): a rule's id and its settings' keys never change once shipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel

from appliance.inference.checks.base import CheckFn, CheckResult, advisory, result

if TYPE_CHECKING:
    from collections.abc import Iterable


class Stage(StrEnum):
    """Where a rule is judged."""

    LIVE = "live"  # live guidance on preview frames
    STILL = "still"  # the verdict on a still or a photo file
    PRODUCT = "product"  # the produced file's verification


class Cadence(StrEnum):
    """How often live guidance measures a rule: on every frame, or with one of the slow groups,
    which take turns with the other heavy steps (inference/engine.py HEAVY_ROTATION); the values
    are the rotation's slot names. Six groups, each about a sixth of the slow checks' cost, so no
    turn costs much more than the person mask's (see checks/registry.py)."""

    EVERY_FRAME = "every_frame"
    FACE = "face"  # lenses and teeth
    EARS = "ears"  # ears, brows and earrings
    MEDIUM = "medium"  # what the camera sees the face on: print, screen or a person (liveness)
    ADORNMENT = "adornment"  # necklace, coloured contacts, make-up
    HEAD = "head"  # hat and hair ornaments
    SCENE = "scene"  # backdrop, clothes and fine detail


class Family(StrEnum):
    """What a rule is about; the evaluation's categories and the product verification group by it."""

    FACE_COUNT = "face_count"
    GEOMETRY = "geometry"
    HEADWEAR = "headwear"
    POSE = "pose"
    EYES = "eyes"
    MOUTH = "mouth"
    LIGHTING = "lighting"
    GLASSES = "glasses"
    OCCLUSION = "occlusion"
    SHARPNESS = "sharpness"
    BACKGROUND = "background"
    CLOTHING = "clothing"
    ACCESSORIES = "accessories"
    GAZE = "gaze"
    LIVENESS = "liveness"
    APPEARANCE = "appearance"
    PRODUCT = "product"


LIVE_AND_STILL = frozenset({Stage.LIVE, Stage.STILL})
EVERYWHERE = frozenset({Stage.LIVE, Stage.STILL, Stage.PRODUCT})
STILL_AND_PRODUCT = frozenset({Stage.STILL, Stage.PRODUCT})
ONLY_LIVE = frozenset({Stage.LIVE})
ONLY_STILL = frozenset({Stage.STILL})
ONLY_PRODUCT = frozenset({Stage.PRODUCT})


@dataclass(frozen=True)
class Message:
    """A guidance text, Chinese first, English second; `{name}` fields are filled by the check
    (which side, which edge)."""

    zh: str
    en: str

    def filled(self, words: Mapping[str, str]) -> tuple[str, str]:
        if not words:
            return self.zh, self.en
        return self.zh.format(**words), self.en.format(**words)


@dataclass(frozen=True, eq=False)
class Rule:
    id: str
    family: Family
    stages: frozenset[Stage]
    message: Message  # the guidance when the rule fails (or the notice, for an advisory)
    # How often live guidance measures it; None for a rule that does not run live.
    cadence: Cadence | None = Cadence.EVERY_FRAME
    # Other wordings of the same failure, by name (too close / too far), chosen by the check.
    variants: Mapping[str, Message] = field(default_factory=dict)
    # An operator's notice (coloured contacts, heavy make-up): it never fails a photo.
    advisory: bool = False
    # the family as the plain string results carry (read on every result of every live frame)
    family_name: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        live = Stage.LIVE in self.stages
        if live != (self.cadence is not None):
            raise ValueError(f"rule {self.id}: a cadence is given exactly when the rule runs live")
        object.__setattr__(self, "family_name", self.family.value)

    def wording(self, variant: str | None = None) -> Message:
        return self.message if variant is None else self.variants[variant]

    def result(self, value: float | None, threshold: float | str | None, passed: bool, *,
               variant: str | None = None, **words: str) -> CheckResult:
        """This rule's result: the guidance when it fails and a plain OK when it passes (the
        guidance is only worded for a failure)."""
        zh, en = ("", "") if passed else self.wording(variant).filled(words)
        return result(self.id, self.family_name, value, threshold, passed, zh, en)

    def witnessed(self, parsed: float | None, parsed_limit: float, image: float, image_limit: float) -> CheckResult:
        """This rule's result from two witnesses, the face parser's reading (None on a live frame)
        and the image measure's, each with its own limit: the one that fails decides (the
        parser's first), else the parser's where there is one; both readings go into the detail."""
        measures = [(float(image), image_limit)]
        if parsed is not None:
            measures.insert(0, (parsed, parsed_limit))
        value, limit = next(((v, lim) for v, lim in measures if v > lim), measures[0])
        detail = {"image": float(image)} | ({} if parsed is None else {"parsed": float(parsed)})
        return replace(self.result(value, limit, value <= limit), detail=detail)

    def notice(self, value: float | None, threshold: float) -> CheckResult:
        """This advisory rule's result: a notice when `value` exceeds `threshold`, never a fail."""
        return advisory(self.id, self.family_name, value, threshold, self.message.zh, self.message.en)


@dataclass(frozen=True, eq=False)
class Check:
    """One check function of the engine and the rules it may return."""

    run: CheckFn
    rules: tuple[Rule, ...]

    @property
    def cadence(self) -> Cadence:
        """Live guidance runs a function as a whole, so its live rules share one cadence."""
        cadences = {rule.cadence for rule in self.rules if rule.cadence is not None}
        if len(cadences) > 1:
            raise ValueError(f"{self.run.__name__}: its rules ask for different cadences {sorted(cadences)}")
        return cadences.pop() if cadences else Cadence.EVERY_FRAME


@dataclass(frozen=True, eq=False)
class CheckModule:
    """What one `checks/<family>.py` declares: its checks, in guidance order, and the settings
    model of its section `[checks.<settings_key>]` (None for a module that reads others' settings)."""

    checks: tuple[Check, ...]
    settings_key: str | None = None
    settings: type[BaseModel] | None = None

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for check in self.checks for rule in check.rules)


def require_below(low: float, high: float, low_key: str, high_key: str, low_zh: str, high_zh: str) -> None:
    """A settings model's check that a lower limit stays below its upper one (else no value could
    pass), worded in both languages with the keys and values given."""
    if low >= high:
        raise ValueError(f"{low_zh} ({low:g}) 必须低于{high_zh} ({high:g}) / "
                         f"{low_key} ({low:g}) must be below {high_key} ({high:g})")


def rules_by_id(rules: Iterable[Rule]) -> dict[str, Rule]:
    """The rules by id; an id declared twice is a catalogue error."""
    found: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in found:
            raise ValueError(f"rule id {rule.id} is declared twice")
        found[rule.id] = rule
    return found
