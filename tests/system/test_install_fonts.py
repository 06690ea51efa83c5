"""The Pi install puts a Chinese font on the booth: without one the screens' guidance is boxes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "provision" / "install-pi.sh"


pytestmark = [pytest.mark.subprocess]


def test_dry_run_installs_the_chinese_font_with_or_without_the_kiosk() -> None:
    for options in (["--dry-run"], ["--dry-run", "--no-kiosk"]):
        result = subprocess.run(["bash", str(SCRIPT), *options], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        installs = [line for line in result.stdout.splitlines() if "apt-get install" in line]
        assert len(installs) == 1 and "fonts-wqy-microhei" in installs[0].split()
