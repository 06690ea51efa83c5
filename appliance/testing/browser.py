"""Debian's chromium driven by Playwright, as the browser tests use it (Playwright cannot download
its own browser here)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SKIP_REASON = "Debian's chromium is not installed at /usr/bin/chromium (scripts/setup.sh --dev installs it)"


def wait_until(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll from Python: Playwright's wait_for_function evaluates strings with eval() inside the
    page, which the screen's Content-Security-Policy (rightly) forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.1)
