"""Human-readable and JSON renderings of a check report, shared by the CLI and the booth's logs."""

from __future__ import annotations

import json
from typing import Any

from appliance.inference.checks.base import CheckResult


def report_json(path: str, verdict: str, checks: list[CheckResult], error: str | None = None) -> str:
    record: dict[str, Any] = {
        "path": path,
        "verdict": verdict,
        "error": error,
        "checks": [c.to_dict() for c in checks],
    }
    return json.dumps(record, ensure_ascii=False)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def report_text(path: str, verdict: str, checks: list[CheckResult], error: str | None = None) -> str:
    mark = {"pass": "PASS 通过", "fail": "FAIL 不通过", "error": "ERROR 错误"}[verdict]
    lines = [f"{path}: {mark}"]
    if error:
        lines.append(f"  {error}")
    for check in checks:
        flag = "!! " if check.notice else "ok " if check.passed else "XX "
        line = f"  {flag}{check.family:<10} {check.id:<20} {_fmt(check.value):>8} (limit {_fmt(check.threshold)})"
        if not check.passed or check.notice:
            line += f"  {check.message_zh} / {check.message_en}"
        lines.append(line)
    return "\n".join(lines)
