"""Retry delays: exponential with jitter, so a hundred booths coming back online after an outage
do not all hit the server in the same second."""

from __future__ import annotations

import random


def backoff_delay(attempts: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Delay before retry number `attempts + 1`: a uniform draw from the upper half of the
    exponential step (never zero, so a failing server is not hammered)."""
    step = min(max_s, base_s * (2 ** min(attempts, 30)))
    return rng.uniform(step / 2, step)
