"""Closed-loop ring brightness: the face's measured exposure and balance steer the ring.

The engine's lighting check measures the face; this controller turns that into ring levels so the
check passes without anyone touching a dial. Light on the face grows roughly in proportion to the
ring level, so the overall level is corrected multiplicatively (target / measured), damped by a
gain below 1 because ambient light does not scale with the ring. A half-lit face is corrected by
shifting light between the left and right halves. Every change is bounded per second so the
subject is not startled and the camera's exposure control can follow, and the levels stay inside
[min_level, max_level]. Within the dead bands nothing moves, so the light does not hunt.

Sign convention of `balance`: (right - left) / (right + left) of the face's mean luma, in image
coordinates; positive means the image's right half of the face is brighter.
"""

from __future__ import annotations

from dataclasses import dataclass

# A long gap between measurements (no face for a while) must not permit one large jump; guidance
# measures several times a second, so this bounds the step to what a normal frame would allow.
_MAX_DT_S = 0.2


@dataclass(frozen=True)
class RingLevels:
    left: float
    right: float

    def at(self, position: float) -> float:
        """Level of a pixel at horizontal position -1 (image left) .. +1 (image right)."""
        weight = (min(max(position, -1.0), 1.0) + 1.0) / 2.0
        return self.left + (self.right - self.left) * weight

    @property
    def mean(self) -> float:
        return (self.left + self.right) / 2.0


class BrightnessController:
    def __init__(
        self,
        *,
        target_luma: float = 135.0,
        luma_deadband: float = 8.0,
        balance_deadband: float = 0.04,
        max_change_per_s: float = 0.4,
        min_level: float = 0.1,
        max_level: float = 0.9,
        max_balance_offset: float = 0.5,
        start_level: float = 0.5,
        two_sided: bool = True,
        luma_gain: float = 0.8,
        balance_gain: float = 1.0,
    ) -> None:
        if not 0.0 <= min_level <= max_level <= 1.0:
            raise ValueError("levels must satisfy 0 <= min_level <= max_level <= 1")
        self.target_luma = target_luma
        self.luma_deadband = luma_deadband
        self.balance_deadband = balance_deadband
        self.max_change_per_s = max_change_per_s
        self.min_level = min_level
        self.max_level = max_level
        self.max_balance_offset = max_balance_offset
        self.two_sided = two_sided
        self.luma_gain = luma_gain
        self.balance_gain = balance_gain
        self._start_level = start_level
        self._base = self._clamp(start_level)
        self._offset = 0.0  # > 0 moves light to the image's left half
        self._last: float | None = None

    @property
    def levels(self) -> RingLevels:
        left = self._clamp(self._base * (1.0 + self._offset))
        right = self._clamp(self._base * (1.0 - self._offset))
        return RingLevels(left, right)

    def reset(self) -> None:
        self._base = self._clamp(self._start_level)
        self._offset = 0.0
        self._last = None

    def update(self, mean_luma: float | None, balance: float | None, now: float) -> RingLevels:
        """One measurement in, new levels out. None (no face measured) holds the levels."""
        # The first measurement only starts the clock: no step size is known yet.
        dt = 0.0 if self._last is None else min(max(now - self._last, 0.0), _MAX_DT_S)
        self._last = now
        budget = self.max_change_per_s * dt
        if mean_luma is not None:
            self._base = self._next_base(mean_luma, budget)
        if balance is not None and self.two_sided and self._base > 0:
            self._offset = self._next_offset(balance, budget)
        return self.levels

    def _next_base(self, mean_luma: float, budget: float) -> float:
        if abs(self.target_luma - mean_luma) <= self.luma_deadband:
            return self._base
        ratio = min(max(self.target_luma / max(mean_luma, 1.0), 0.5), 2.0)
        desired = max(self._base, 0.02) * ratio**self.luma_gain
        step = min(max(desired - self._base, -budget), budget)
        return self._clamp(self._base + step)

    def _next_offset(self, balance: float, budget: float) -> float:
        if abs(balance) <= self.balance_deadband:
            return self._offset
        # Brighter right half (balance > 0) needs more light on the left: a positive offset.
        step = self.balance_gain * balance
        limit = budget / self._base
        step = min(max(step, -limit), limit)
        bound = self.max_balance_offset
        return min(max(self._offset + step, -bound), bound)

    def _clamp(self, level: float) -> float:
        return min(max(level, self.min_level), self.max_level)
