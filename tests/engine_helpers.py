"""Small helpers shared by the tests of single checks on controlled photo variants."""

from __future__ import annotations

import numpy as np

from appliance.inference.checks.base import CheckResult


def check_result(analyzer, bgr: np.ndarray, check_id: str, grayscale: bool = False) -> CheckResult:
    """The one result with `check_id` from the full verdict on `bgr`."""
    return next(c for c in analyzer.check(bgr, grayscale=grayscale).checks if c.id == check_id)
