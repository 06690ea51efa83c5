"""scripts/provision/install-pi.sh: shellcheck, the dry run (every step printed, nothing run), the rollback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "provision" / "install-pi.sh"
# Commands that change a machine; in a dry run none of them may be executed.
MUTATING = [
    "apt-get", "groupadd", "useradd", "usermod", "install", "systemctl", "runuser", "mount", "chown",
    "chmod", "rm", "touch", "raspi-config", "tar", "cp", "ln", "mv", "python3", "blkid",
]


pytestmark = [pytest.mark.subprocess]


def _stub_bin(folder: Path, log: Path, names, behaviour: str = "exit 0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        stub = folder / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{behaviour}\n')
        stub.chmod(0o755)
    return folder


def _env(path_prefix: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{path_prefix}:{env['PATH']}"
    env.update(extra)
    return env


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (apt: shellcheck)")
def test_shellcheck_clean():
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout


def test_dry_run_prints_every_step_and_runs_nothing(tmp_path):
    log = tmp_path / "executed.log"
    stubs = _stub_bin(tmp_path / "bin", log, MUTATING)
    result = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--read-only-root", "--data-device", "/dev/sda1"],
        capture_output=True, text=True, timeout=120, env=_env(stubs),
    )
    assert result.returncode == 0, result.stderr
    assert not log.exists(), f"dry run executed: {log.read_text()}"
    out = result.stdout
    expected = [
        "apt-get update",
        "apt-get install -y --no-install-recommends python3-venv python3-pip python3-picamera2 "
        "python3-lgpio libzbar0",
        "useradd --system --user-group --home-dir /var/lib/appliance --shell /usr/sbin/nologin appliance",
        "usermod --append --groups video,gpio,spi appliance",
        "--require-hashes --only-binary=:all: --no-binary=lgpio -r /opt/appliance/releases/",
        "/requirements/pi-",
        "--no-deps /opt/appliance/releases/",
        "install -m 0644 /opt/appliance/releases/",
        "systemd/journald-appliance.conf /etc/systemd/journald.conf.d/appliance.conf",
        "systemctl restart systemd-journald.service",
        "python3 -m venv --system-site-packages /opt/appliance/releases/",
        "-m pip install",
        "scripts/provision/fetch_models.py",
        "/etc/appliance/settings.toml doctor --json",
        "install -m 0644 /opt/appliance/releases/",
        "systemctl daemon-reload",
        "systemctl enable appliance.service appliance-kiosk.service",
        "activate_release /opt/appliance/releases/",
        "start_service",
        "rollback to /opt/appliance/previous",
        "/var/lib/appliance ext4",
        "mount /var/lib/appliance",
        "raspi-config nonint do_overlayfs 0",
    ]
    for fragment in expected:
        assert fragment in out, f"missing from the dry run: {fragment}"
    steps = [line for line in out.splitlines() if line.startswith("==> [")]
    assert len(steps) == 10
    assert "chromium" in out and "cage" in out


def test_dry_run_without_kiosk_and_bad_option(tmp_path):
    result = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--no-kiosk"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "appliance-kiosk" not in result.stdout and "chromium" not in result.stdout
    bad = subprocess.run(["bash", str(SCRIPT), "--bogus"], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "unknown option --bogus" in bad.stderr


def _library(app_root: Path, body: str, stubs: Path, **extra: str) -> subprocess.CompletedProcess:
    script = f'INSTALL_PI_LIBRARY=1 source "{SCRIPT}"\n{body}\n'
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60,
        env=_env(stubs, APPLIANCE_APP_ROOT=str(app_root), APPLIANCE_SETTLE_S="0", **extra),
    )


def _releases(root: Path) -> tuple[Path, Path]:
    old, new = root / "releases" / "0.1.0-old", root / "releases" / "0.1.0-new"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    return old, new


def test_activate_keeps_previous_and_rollback_restores_it(tmp_path):
    root = tmp_path / "opt"
    old, new = _releases(root)
    body = f'activate_release "{old}"; activate_release "{new}"; activate_release "{new}"'
    assert _library(root, body, tmp_path).returncode == 0
    assert os.readlink(root / "current") == str(new)
    assert os.readlink(root / "previous") == str(old), "re-activating the same release keeps previous"
    assert _library(root, "rollback", tmp_path).returncode == 0
    assert os.readlink(root / "current") == str(old)
    assert not (root / "previous").exists()
    assert _library(root, "rollback", tmp_path).returncode == 1  # nothing left to go back to


def test_failed_start_rolls_back_to_previous(tmp_path):
    root = tmp_path / "opt"
    old, new = _releases(root)
    log = tmp_path / "systemctl.log"
    # systemctl restart fails only while the new release is current.
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "systemctl").write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\n'
        f'[ "$(readlink "{root}/current")" = "{new}" ] && exit 1\nexit 0\n'
    )
    (stubs / "systemctl").chmod(0o755)
    body = (
        f'activate_release "{old}"; RELEASE_DIR="{new}"; RELEASE_ID=new; dry_run=0; with_kiosk=0; '
        "switch_and_start"
    )
    result = _library(root, body, stubs)
    assert result.returncode != 0
    assert "rolling back to 0.1.0-old" in result.stdout
    assert os.readlink(root / "current") == str(old)
    assert log.read_text().count("restart appliance.service") == 2


def test_successful_start_keeps_new_release(tmp_path):
    root = tmp_path / "opt"
    old, new = _releases(root)
    stubs = _stub_bin(tmp_path / "bin", tmp_path / "log", ["systemctl"])
    body = f'activate_release "{old}"; RELEASE_DIR="{new}"; RELEASE_ID=new; dry_run=0; switch_and_start'
    result = _library(root, body, stubs)
    assert result.returncode == 0, result.stderr
    assert os.readlink(root / "current") == str(new)
    assert os.readlink(root / "previous") == str(old)
    assert "restart appliance-kiosk.service" in (tmp_path / "log").read_text()


def test_self_check_fails_only_on_critical_checks(tmp_path):
    lines = [
        {"name": "camera", "ok": False, "detail": "no camera connected"},
        {"name": "models", "ok": False, "detail": "model file missing"},
        {"name": "disk", "ok": True, "detail": "fine"},
        {"name": "network", "ok": False, "detail": "no default route", "detail_zh": "没有默认路由"},
    ]
    feed = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = subprocess.run(
        ["bash", "-c", f'INSTALL_PI_LIBRARY=1 source "{SCRIPT}"; doctor_critical_failures'],
        input=feed, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["models"]
    assert "FAIL camera: no camera connected" in result.stderr
    assert "FAIL network: 没有默认路由 / no default route" in result.stderr


def test_a_changed_lock_makes_a_new_release(tmp_path):
    """The release name covers the locks: new pins must not reuse a release built with the old."""
    source = tmp_path / "src"
    for part in ("appliance/__init__.py", "scripts/x.sh", "systemd/a.service", "models/manifest.toml",
                 "pyproject.toml", "requirements/pi-bookworm.txt"):
        (source / part).parent.mkdir(parents=True, exist_ok=True)
        (source / part).write_text("v1\n")
    digest = f'INSTALL_PI_LIBRARY=1 source "{SCRIPT}"; source_dir="{source}"; source_digest'

    def current() -> str:
        result = subprocess.run(["bash", "-c", digest], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    before = current()
    (source / "requirements/pi-bookworm.txt").write_text("v2\n")
    assert current() != before
