"""The light challenge: a short random sequence of ring intensity steps played during the countdown.

A live face answers the ring with diffuse reflection that follows the steps with the camera's
latency; a screen answers with its own picture and a glint, a print without the face's 3-D shading.
The sequence is drawn afresh for every attempt (from the operating system's entropy unless a
generator is passed in), so a replayed recording cannot follow it.

Steps are gains on the ring's closed-loop level, never above it: the exposure was set for that
level and is held fixed while the challenge plays, so a dimmer step never clips and the photo
after the countdown is taken at the level the guidance approved. On a ring that has a left and a
right side some steps dim one side only: how much each part of the face answers those steps,
relative to the steps that dim both sides, follows the direction the skin faces (see
appliance/session/light_response.py); a flat print answers them the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

# Gains (left, right) of the ring's image-left and image-right halves, relative to the level in force.
BASE: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class ChallengeStep:
    duration_s: float
    left: float
    right: float


@dataclass(frozen=True)
class LightChallenge:
    """Steps played back to back; before and after them the ring is at its base level."""

    steps: tuple[ChallengeStep, ...]

    @property
    def duration_s(self) -> float:
        return float(sum(step.duration_s for step in self.steps))

    @property
    def sided(self) -> bool:
        return any(abs(step.left - step.right) > 1e-6 for step in self.steps)

    def gains_at(self, t: float) -> tuple[float, float]:
        """(left, right) gains `t` seconds after the challenge began."""
        if t < 0:
            return BASE
        elapsed = 0.0
        for step in self.steps:
            elapsed += step.duration_s
            if t < elapsed:
                return step.left, step.right
        return BASE

    def mean_gains(self, start: float, end: float, samples: int = 16) -> tuple[float, float]:
        """Average (left, right) gains over [start, end]: what a frame exposed over it received."""
        if end <= start:
            return self.gains_at(start)
        times = np.linspace(start, end, samples)
        gains = np.array([self.gains_at(float(t)) for t in times])
        return float(gains[:, 0].mean()), float(gains[:, 1].mean())

    def pixel_gains(self, t: float, positions: Sequence[float]) -> list[float]:
        """Gain of each ring pixel (horizontal positions -1 image-left .. +1 image-right)."""
        left, right = self.gains_at(t)
        return [left + (right - left) * (x + 1.0) / 2.0 for x in positions]

    def to_payload(self) -> dict[str, object]:
        return {
            "duration_s": round(self.duration_s, 3),
            "steps": [[round(s.duration_s, 3), round(s.left, 3), round(s.right, 3)] for s in self.steps],
        }


# The vocabulary steps are drawn from: both sides dimmed by two depths, and one side dimmed.
_UNIFORM = ((0.35, 0.35), (0.6, 0.6))
_SIDED = ((0.2, 1.0), (1.0, 0.2), (0.4, 1.0), (1.0, 0.4))


def random_challenge(
    rng: np.random.Generator,
    *,
    steps: int = 6,
    step_min_s: float = 0.12,
    step_max_s: float = 0.2,
    two_sided: bool = True,
) -> LightChallenge:
    """A fresh challenge: dimmed steps back to back, in random order, depths and durations.

    On a two-sided ring a third of the steps dim both sides, a third the left and a third the right
    side, so every cue can be measured from any draw; the base level before and after the
    challenge is the reference.
    """
    kinds: list[tuple[float, float]] = []
    while len(kinds) < steps:
        kinds.append(_UNIFORM[int(rng.integers(len(_UNIFORM)))])
        if two_sided:
            kinds.append(_SIDED[int(rng.integers(2)) * 2])  # the image-left side dimmed
            kinds.append(_SIDED[int(rng.integers(2)) * 2 + 1])  # the image-right side dimmed
    kinds = kinds[:steps]
    # Back to back in random order, never the same step twice in a row (it would be one long step).
    for _ in range(100):
        sequence = [kinds[i] for i in rng.permutation(len(kinds))]
        if all(a != b for a, b in pairwise(sequence)):
            break
    out = []
    for left, right in sequence:
        duration = float(rng.uniform(step_min_s, step_max_s))
        out.append(ChallengeStep(duration, left, right))
    return LightChallenge(tuple(out))
