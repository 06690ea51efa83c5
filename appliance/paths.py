"""Where relative paths of the settings point: one rule for every part of the booth."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def resolve_path(path: Path) -> Path:
    """Where a relative path of the settings points.

    From a source checkout (the package installed in editable mode, as `scripts/setup.sh` does)
    it is the checkout, wherever the command is run from; an installed release (the Pi, where
    the package lives in site-packages) resolves against the working folder, which the systemd
    unit sets to the release folder. APPLIANCE_HOME overrides both.
    """
    path = Path(path)
    if path.is_absolute():
        return path
    home = os.environ.get("APPLIANCE_HOME")
    if home:
        return Path(home) / path
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / path
    return Path.cwd() / path
