"""The result every check returns, and the helpers that keep check modules short."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from appliance.inference.analysis import Analysis

if TYPE_CHECKING:  # the settings tree imports the check modules that keep their settings beside them
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
    # An advisory finding for the operator (coloured contacts, heavy make-up): it never fails a
    # photo, `passed` stays True, and `notice` says whether the measure crossed its threshold.
    notice: bool = False
    # Measured parts of a combined value (e.g. liveness: frame edges, moire) for the session's
    # record; not part of to_dict, whose keys are the `appliance check --json` contract.
    detail: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # the check JSON contract is exact: a notice shows as a passed check with a message
        data.pop("notice")
        data.pop("detail")
        if isinstance(self.value, float):
            data["value"] = round(self.value, 4)
        if isinstance(self.threshold, float):
            data["threshold"] = round(self.threshold, 4)
        return data


CheckFn = Callable[[Analysis, "ChecksSettings"], list[CheckResult]]

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


def advisory(
    check_id: str,
    family: str,
    value: float | None,
    threshold: float,
    notice_zh: str,
    notice_en: str,
) -> CheckResult:
    """An operator's notice, never a refusal: it is raised when `value` exceeds `threshold`."""
    raised = value is not None and float(value) > threshold
    return CheckResult(
        id=check_id,
        family=family,
        value=None if value is None else float(value),
        threshold=threshold,
        passed=True,
        message_zh=notice_zh if raised else OK_ZH,
        message_en=notice_en if raised else OK_EN,
        notice=raised,
    )
