"""What the ring shows in each booth state, as pure functions of time.

Patterns tell the subject what is happening without reading the screen: breathing while idle, a
running light while the code is scanned, steady light while being guided, ticks during the
countdown, green or red at the end. While the face is being measured or photographed (guiding,
countdown, flash) the ring holds the closed-loop levels, since any other light would change the
very exposure the checks just approved; the countdown only dips briefly on each whole second and
stays steady for its last half second. White-only rings see colours as their brightest channel,
so every signal also differs in timing, not only in colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from appliance.capture.brightness import RingLevels
from appliance.capture.leds import BLACK, RGB
from appliance.capture.light_challenge import LightChallenge

WHITE: RGB = (1.0, 1.0, 1.0)
SCAN_BLUE: RGB = (0.3, 0.7, 1.0)
AMBER: RGB = (1.0, 0.65, 0.25)
GREEN: RGB = (0.2, 1.0, 0.3)
RED: RGB = (1.0, 0.12, 0.08)


@dataclass(frozen=True)
class PatternContext:
    angles: tuple[float, ...]
    levels: RingLevels  # closed-loop levels for the face
    idle_level: float
    max_level: float
    countdown_s: float = 3.0
    flash_gain: float = 1.0
    # The light challenge of this countdown and when it begins, seconds into the pattern.
    challenge: LightChallenge | None = None
    challenge_offset_s: float = 0.0

    @property
    def positions(self) -> list[float]:
        return [math.sin(math.radians(a)) for a in self.angles]


Pattern = Callable[[float, PatternContext], list[RGB]]


def _scaled(colour: RGB, level: float) -> RGB:
    return (colour[0] * level, colour[1] * level, colour[2] * level)


def _uniform(ctx: PatternContext, colour: RGB, level: float) -> list[RGB]:
    return [_scaled(colour, level)] * len(ctx.angles)


def off(t: float, ctx: PatternContext) -> list[RGB]:
    return [BLACK] * len(ctx.angles)


def idle(t: float, ctx: PatternContext) -> list[RGB]:
    """Slow breathing (4 s) between 35% and 100% of the idle level."""
    phase = (1.0 - math.cos(2.0 * math.pi * t / 4.0)) / 2.0
    return _uniform(ctx, WHITE, ctx.idle_level * (0.35 + 0.65 * phase))


def scanning(t: float, ctx: PatternContext) -> list[RGB]:
    """A bright spot running round the ring once a second (on two segments: left, right, ...)."""
    head = (360.0 * t) % 360.0
    low, high = ctx.idle_level * 0.5, min(ctx.max_level, max(ctx.idle_level * 2.0, 0.5))
    pixels = []
    for angle in ctx.angles:
        closeness = max(0.0, math.cos(math.radians(angle - head))) ** 6
        pixels.append(_scaled(SCAN_BLUE, low + (high - low) * closeness))
    return pixels


def guiding(t: float, ctx: PatternContext) -> list[RGB]:
    return [_scaled(WHITE, ctx.levels.at(x)) for x in ctx.positions]


# Just before the countdown's steady last half second the ring marks where the lens is: a spot
# runs once round it (the lens is its centre), or both halves pulse twice on a two-segment ring.
LENS_CUE_S = (0.9, 0.5)  # from .. to, seconds before the shot


def countdown(t: float, ctx: PatternContext) -> list[RGB]:
    """Closed-loop light with a 150 ms dip at each whole second left; colour rings also show
    the time left as the share of pixels still white (the rest turn amber). While the light
    challenge plays the ring shows only its steps, and neither dips nor amber while one is set; then the lens
    cue; then steady light."""
    if ctx.challenge is not None:
        into = t - ctx.challenge_offset_s
        if 0.0 <= into < ctx.challenge.duration_s:
            colours = ctx.challenge.pixel_colours(into, ctx.positions)
            return [_scaled(c, ctx.levels.at(x)) for x, c in zip(ctx.positions, colours, strict=True)]
    remaining = max(ctx.countdown_s - t, 0.0)
    if LENS_CUE_S[1] < remaining <= LENS_CUE_S[0]:
        return lens_cue(LENS_CUE_S[0] - remaining, ctx)
    into_second = t % 1.0
    # While a challenge is set its recording reads the light before and after the steps as the
    # base level: a tick's dip or an amber pixel there would be taken for the face's answer to a
    # step never played.
    ticking = ctx.challenge is None
    dip = 0.6 if ticking and into_second < 0.15 and remaining > 0.5 else 1.0
    lit = math.ceil(len(ctx.angles) * remaining / ctx.countdown_s) if ctx.countdown_s > 0 else 0
    lit = lit if ticking else len(ctx.angles)
    pixels = []
    for i, x in enumerate(ctx.positions):
        colour = WHITE if i < lit or len(ctx.angles) <= 2 else AMBER
        pixels.append(_scaled(colour, ctx.levels.at(x) * dip))
    return pixels


def lens_cue(t: float, ctx: PatternContext) -> list[RGB]:
    """`t` seconds into the cue: the subject's eyes are drawn to the ring, that is to the lens."""
    span = LENS_CUE_S[0] - LENS_CUE_S[1]
    if len(ctx.angles) <= 2:
        pulse = 1.0 if (t / span * 2.0) % 1.0 < 0.5 else 0.7
        return [_scaled(WHITE, ctx.levels.at(x) * pulse) for x in ctx.positions]
    head = 360.0 * min(t / span, 1.0)
    pixels = []
    for angle, x in zip(ctx.angles, ctx.positions, strict=True):
        closeness = max(0.0, math.cos(math.radians(angle - head))) ** 8
        level = ctx.levels.at(x)
        pixels.append(_scaled(WHITE, level * 0.7 + (ctx.max_level - level * 0.7) * closeness))
    return pixels


def flash(t: float, ctx: PatternContext) -> list[RGB]:
    return [_scaled(WHITE, min(ctx.levels.at(x) * ctx.flash_gain, ctx.max_level)) for x in ctx.positions]


def _pulses(t: float, count: int, period: float, duty: float) -> float | None:
    """1.0/0.0 during `count` on-off pulses, None once they are over."""
    if t >= count * period:
        return None
    return 1.0 if (t % period) < duty * period else 0.0


def accepted(t: float, ctx: PatternContext) -> list[RGB]:
    """Two slow green pulses, then a calm green glow."""
    on = _pulses(t, 2, 0.6, 0.6)
    level = ctx.idle_level if on is None else max(on * ctx.max_level * 0.8, ctx.idle_level * 0.3)
    return _uniform(ctx, GREEN, level)


def rejected(t: float, ctx: PatternContext) -> list[RGB]:
    """Three quick red blinks, then a dim red glow."""
    on = _pulses(t, 3, 0.3, 0.5)
    level = ctx.idle_level * 0.6 if on is None else on * ctx.max_level * 0.8
    return _uniform(ctx, RED, level)


PATTERNS: dict[str, Pattern] = {
    "off": off,
    "idle": idle,
    "scanning": scanning,
    "guiding": guiding,
    "countdown": countdown,
    "flash": flash,
    "accepted": accepted,
    "rejected": rejected,
}
