"""Every test in tests/system/ is a system test: it starts processes, a browser, systemd's tools,
PostgreSQL or an arm64 root, and is marked `system` so that `pytest -m "not system"` runs the rest
in a minute. Each file also names what it needs (browser, subprocess, systemd, postgres, arm64)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.system)
