"""scripts/check_arm64.sh: the booth in a Debian bookworm arm64 root under qemu-user.

Slow (minutes with a cached root, about ten without) and needs root, binfmt_misc and the network
to the Debian mirror and PyPI, so it runs only when asked: APPLIANCE_ARM64=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check_arm64.sh"
RESULT_LINE = re.compile(r"^RESULT (?P<step>\S+) (?P<status>ok|FAIL) (?P<seconds>[\d.]+)s ?(?P<detail>.*)$")
STEPS = [
    "host-packages", "binfmt", "root-build", "root-packages", "source-copy", "venv",
    "wheels", "models", "check-demo", "check-default-paths", "install-dry-run", "bench-relative",
]

pytestmark = [
    pytest.mark.arm64,
    pytest.mark.subprocess,
    pytest.mark.skipif(os.environ.get("APPLIANCE_ARM64") != "1",
                       reason="slow arm64 root under qemu; set APPLIANCE_ARM64=1 to run it"),
    pytest.mark.skipif(os.geteuid() != 0, reason="debootstrap, chroot and binfmt need root"),
]


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, str]]:
    # One run of the script serves every test below; the module timeout covers a first build.
    completed = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=3600)
    found = {}
    for line in completed.stdout.splitlines():
        match = RESULT_LINE.match(line)
        if match:
            found[match["step"]] = match.groupdict()
    assert found, f"no RESULT lines; exit {completed.returncode}: {completed.stderr[-2000:]}"
    return found


def _assert_ok(results: dict[str, dict[str, str]], step: str) -> dict[str, str]:
    assert step in results, f"step {step} did not run (an earlier step stopped the script)"
    assert results[step]["status"] == "ok", f"{step}: {results[step]['detail']}"
    return results[step]


@pytest.mark.timeout(3900)
@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (apt: shellcheck)")
def test_shellcheck_clean():
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout


@pytest.mark.timeout(3900)
def test_every_step_reported(results):
    assert list(results) == STEPS


@pytest.mark.timeout(3900)
def test_root_is_arm64_bookworm_under_qemu(results):
    assert "qemu-aarch64 registered" in _assert_ok(results, "binfmt")["detail"]
    detail = _assert_ok(results, "root-packages")["detail"]
    assert detail.startswith("aarch64, Python 3.11"), detail
    assert "Debian 12." in detail


@pytest.mark.timeout(3900)
def test_venv_has_the_bookworm_pins(results):
    detail = _assert_ok(results, "venv")["detail"]
    numpy = re.search(r"numpy==(\d+)\.", detail)
    assert numpy and numpy[1] == "1", f"install-pi.sh pins NumPy 1 on Bookworm: {detail}"
    assert "ai-edge-litert==" in detail and "zxing-cpp==" in detail


@pytest.mark.timeout(3900)
def test_compiled_wheels_work(results):
    _assert_ok(results, "wheels")


@pytest.mark.timeout(3900)
def test_every_model_runs_once(results):
    detail = _assert_ok(results, "models")["detail"]
    ran = re.match(r"(\d+)/(\d+) models ran", detail)
    assert ran and ran[1] == ran[2] and int(ran[2]) >= 6, detail


@pytest.mark.timeout(3900)
def test_check_demo_gives_a_verdict_like_the_host(results):
    detail = _assert_ok(results, "check-demo")["detail"]
    assert re.match(r"verdict (pass|fail) with \d+ checks", detail), detail
    if "x86_64 host" in detail:
        assert "same verdict" in detail, detail


@pytest.mark.timeout(3900)
def test_install_dry_run_sees_a_supported_pi(results):
    detail = _assert_ok(results, "install-dry-run")["detail"]
    assert "found aarch64, bookworm" in detail, detail
    assert "no platform warning" in detail, detail


@pytest.mark.timeout(3900)
def test_installed_booth_finds_its_models(results):
    # The service runs the non-editable install from /opt/appliance/current with relative paths.
    _assert_ok(results, "check-default-paths")


@pytest.mark.timeout(3900)
def test_relative_bench_reports_ratios_or_why_not(results):
    detail = _assert_ok(results, "bench-relative")["detail"]
    ratio = re.search(r"live CPU p50 \d+ ms under qemu vs [\d.]+ ms on the host", detail)
    assert detail.startswith("skipped: ") or ratio, detail
