"""The result every check returns, and the helpers that keep check modules short."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from appliance.inference.analysis import Analysis
from appliance.inference.config import ChecksSettings


@dataclass(frozen=True)
class CheckResult:
    id: str
    family: str
    value: float | None
    threshold: float | str | None
    passed: bool
    message_zh: str
    message_en: str
    # Measured parts of a combined value (e.g. liveness: frame edges, moire) for the session's
    # record; not part of to_dict, whose keys are the `appliance check --json` contract.
    detail: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("detail")
        if isinstance(self.value, float):
            data["value"] = round(self.value, 4)
        if isinstance(self.threshold, float):
            data["threshold"] = round(self.threshold, 4)
        return data


CheckFn = Callable[[Analysis, ChecksSettings], list[CheckResult]]

OK_ZH, OK_EN = "通过", "OK"


def result(
    check_id: str,
    family: str,
    value: float | None,
    threshold: float | str | None,
    passed: bool,
    fail_zh: str,
    fail_en: str,
) -> CheckResult:
    """A result whose message is the guidance when it fails and a plain OK when it passes."""
    return CheckResult(
        id=check_id,
        family=family,
        value=None if value is None else float(value),
        threshold=threshold,
        passed=bool(passed),
        message_zh=OK_ZH if passed else fail_zh,
        message_en=OK_EN if passed else fail_en,
    )
