"""The light challenge: a short random sequence of ring intensity and colour steps played during the countdown.

A live face answers the ring with diffuse reflection that follows the steps with the camera's
latency; a screen answers with its own picture and a glint, a print without the face's 3-D shading.
The sequence is drawn afresh for every attempt (from the operating system's entropy unless a
generator is passed in), so a replayed recording cannot follow it.

Steps are gains on the ring's closed-loop level, never above it: the exposure was set for that
level and is held fixed while the challenge plays, so a dimmer step never clips and the photo
after the countdown is taken at the level the guidance approved. On a ring that has a left and a
right side some steps dim one side only: how much each part of the face answers those steps,
relative to the steps that dim both sides, follows the direction the skin faces (see
appliance/session/light_response.py); a flat print answers them the same everywhere. On a ring
of RGB pixels some steps also change the light's colour (each channel dimmed by its own gain, never
raised): skin reflects each channel of the ring in proportion, so every colour channel of the face
answers its own part of the sequence, while a screen's picture keeps its own colours; and a
recording or a screen that follows the ring's brightness would have to follow its colour too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

# Gains (left, right) of the ring's image-left and image-right halves, relative to the level in force.
BASE: tuple[float, float] = (1.0, 1.0)
RGB = tuple[float, float, float]
WHITE: RGB = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class ChallengeStep:
    duration_s: float
    left: float
    right: float
    colour: RGB = WHITE  # per-channel (red, green, blue) gains on top of left/right, each <= 1


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

    @property
    def coloured(self) -> bool:
        return any(step.colour != WHITE for step in self.steps)

    def as_played(self, switches: Sequence[tuple[float, float | None]], until: float) -> Playback | None:
        """The challenge as the ring really showed it (see Playback), None when it showed no step.

        `switches` are (clock time, seconds into the challenge or None) of each change of the ring
        (see RingAnimator.switches): from each time on, the ring showed this challenge at that point
        of it, or (None) other light. A ring thread that wakes late starts a step late and cuts the
        one before it short, by a different amount at each step on a busy processor; measured
        against the schedule, those frames would seem to lag the light by the thread's delays and
        a live face would be refused. Between steps a late ring may show the steady level; a step
        it never reached is left out. The last step shown lasts until `until` when the ring did
        not change back in time.
        """
        segments: list[tuple[float, int | None]] = []  # (start, step index, None: steady, _OTHER)
        for at, into in sorted(switches, key=lambda switch: switch[0]):
            index = _OTHER if into is None else self._index_at(into)
            if segments and segments[-1][1] == index:
                continue
            segments.append((float(at), index))
        ends = [start for start, _ in segments[1:]] + [max(until, segments[-1][0])] if segments else []
        played = [(start, end, index) for (start, index), end in zip(segments, ends, strict=True)]
        first = next((i for i, (_, _, index) in enumerate(played) if index is not None and index != _OTHER), None)
        if first is None:
            return None
        measurable_from = max((end for _, end, index in played[:first] if index == _OTHER), default=-math.inf)
        last = next((i for i in range(first, len(played)) if played[i][2] == _OTHER), len(played))
        measurable_until = played[last][0] if last < len(played) else math.inf
        kept = played[first:last]
        while kept[-1][2] is None:
            kept.pop()
        steps = tuple(ChallengeStep(end - start, *BASE) if index is None
                      else replace(self.steps[index], duration_s=end - start) for start, end, index in kept)
        return Playback(LightChallenge(steps), played[first][0], measurable_from, measurable_until)

    def _index_at(self, t: float) -> int | None:
        if t < 0:
            return None
        elapsed = 0.0
        for index, step in enumerate(self.steps):
            elapsed += step.duration_s
            if t < elapsed:
                return index
        return None

    def step_at(self, t: float) -> ChallengeStep | None:
        """The step playing `t` seconds after the challenge began (None before and after)."""
        index = self._index_at(t)
        return None if index is None else self.steps[index]

    def gains_at(self, t: float) -> tuple[float, float]:
        """(left, right) gains `t` seconds after the challenge began."""
        step = self.step_at(t)
        return BASE if step is None else (step.left, step.right)

    def colour_at(self, t: float) -> RGB:
        step = self.step_at(t)
        return WHITE if step is None else step.colour

    def channel_gains(self, start: float, end: float, samples: int = 16) -> np.ndarray:
        """(2, 3) average gains of the (left, right) halves in each (red, green, blue) channel over
        [start, end]: what a frame exposed over it received."""
        times = np.array([start]) if end <= start else np.linspace(start, end, samples)
        ends = np.cumsum([step.duration_s for step in self.steps])
        table: np.ndarray = np.array([[np.multiply(step.left, step.colour), np.multiply(step.right, step.colour)]
                          for step in self.steps] + [[WHITE, WHITE]])
        index = np.searchsorted(ends, times, side="right")
        index[times < 0] = len(self.steps)
        return table[np.minimum(index, len(self.steps))].mean(axis=0)

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

    def pixel_colours(self, t: float, positions: Sequence[float]) -> list[RGB]:
        """(red, green, blue) gain of each ring pixel: its intensity gain times the step's colour."""
        r, g, b = self.colour_at(t)
        return [(gain * r, gain * g, gain * b) for gain in self.pixel_gains(t, positions)]

    def to_payload(self) -> dict[str, object]:
        """Each step as [seconds, left, right] and, for a coloured step, its [red, green, blue] gains."""
        steps: list[list[object]] = []
        for s in self.steps:
            entry: list[object] = [round(s.duration_s, 3), round(s.left, 3), round(s.right, 3)]
            if s.colour != WHITE:
                entry.append([round(c, 3) for c in s.colour])
            steps.append(entry)
        return {"duration_s": round(self.duration_s, 3), "steps": steps}


@dataclass(frozen=True)
class Playback:
    """A challenge as the ring showed it: its steps with the durations they were really shown, the
    clock time the first appeared, and the span of frames that can be measured against it. A frame
    exposed before `measurable_from` or from `measurable_until` on may have seen other light (a
    tick still showing when the challenge was set, the lens cue after it) and is left out."""

    challenge: LightChallenge
    started_at: float
    measurable_from: float = -math.inf
    measurable_until: float = math.inf


_OTHER = -1  # a segment of light that is neither a step nor the steady level


# The vocabulary steps are drawn from: both sides dimmed by two depths, and one side dimmed.
_UNIFORM = ((0.35, 0.35), (0.6, 0.6))
_SIDED = ((0.2, 1.0), (1.0, 0.2), (0.4, 1.0), (1.0, 0.4))
# Colours of an RGB ring's steps: one or two channels dimmed, the light stays bright enough to see
# by (a warm, a cool, a green and a magenta tint; no channel above the approved level).
COLOURS: tuple[RGB, ...] = ((1.0, 0.6, 0.3), (0.35, 0.7, 1.0), (0.45, 1.0, 0.45), (1.0, 0.4, 0.9))


def random_challenge(
    rng: np.random.Generator,
    *,
    steps: int = 6,
    step_min_s: float = 0.12,
    step_max_s: float = 0.2,
    two_sided: bool = True,
    coloured: bool = False,
) -> LightChallenge:
    """A fresh challenge: dimmed steps back to back, in random order, depths and durations.

    On a two-sided ring a third of the steps dim both sides, a third the left and a third the right
    side, so every cue can be measured from any draw; the base level before and after the
    challenge is the reference. On an RGB ring every step but the first of each kind also takes a
    random tint: each channel then varies on its own, and white steps remain in every draw so that
    the intensity cues do not depend on the tint.
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
    seen: set[int] = set()
    for left, right in sequence:
        duration = float(rng.uniform(step_min_s, step_max_s))
        kind = int(np.sign(right - left))  # both sides, the left or the right side dimmed
        colour = WHITE
        if coloured and kind in seen:
            colour = COLOURS[int(rng.integers(len(COLOURS)))]
        seen.add(kind)
        out.append(ChallengeStep(duration, left, right, colour))
    return LightChallenge(tuple(out))
