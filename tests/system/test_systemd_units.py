"""The unit files: systemd's own verifier, and the properties the booth relies on."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.system.config import SystemSettings
from appliance.testing.unit_files import one, parse_unit

UNITS = Path(__file__).resolve().parents[2] / "systemd"
SYSTEM_UNITS = Path("/lib/systemd/system")


pytestmark = [pytest.mark.systemd]


def seconds(value: str) -> float:
    return float(value.removesuffix("s"))


def test_main_unit_is_notify_with_watchdog_and_restart_limits():
    unit = parse_unit(UNITS / "appliance.service")
    service = unit["Service"]
    assert one(service, "Type") == "notify"
    assert one(service, "NotifyAccess") == "main"
    assert one(service, "Restart") == "always"
    watchdog = seconds(one(service, "WatchdogSec"))
    # The main loop's heartbeat must be judged stale before systemd's own deadline passes.
    assert SystemSettings().heartbeat_timeout_s < watchdog
    assert int(one(unit["Unit"], "StartLimitBurst")) >= 2
    assert seconds(one(unit["Unit"], "StartLimitIntervalSec")) > 0
    assert "--settings /etc/appliance/settings.toml" in one(service, "ExecStart")


def test_main_unit_hardening():
    service = parse_unit(UNITS / "appliance.service")["Service"]
    assert one(service, "User") == "appliance"
    assert set(one(service, "SupplementaryGroups").split()) == {"video", "gpio", "spi"}
    assert one(service, "ProtectSystem") == "strict"
    assert one(service, "PrivateTmp") == "yes"
    assert one(service, "NoNewPrivileges") == "yes"
    assert one(service, "StateDirectory") == "appliance"
    assert service["ReadWritePaths"] == ["/var/lib/appliance"]
    assert one(service, "DevicePolicy") == "closed"
    allowed = " ".join(service["DeviceAllow"])
    assert "video4linux" in allowed and "gpiochip" in allowed
    assert "/dev/spidev0.0 rw" in service["DeviceAllow"], "the SPI-driven WS2812 ring needs its spidev node"
    assert one(service, "StandardOutput") == "journal"


def test_kiosk_opens_subject_screen_after_main_unit():
    unit = parse_unit(UNITS / "appliance-kiosk.service")
    command = one(unit["Service"], "ExecStart")
    assert "--kiosk" in command and command.endswith("http://127.0.0.1:8080/")
    assert "appliance.service" in one(unit["Unit"], "After").split()
    assert one(unit["Service"], "User") != "appliance", "the browser must not share the data user"


NO_ANALYZE = "systemd-analyze not installed (apt: systemd)"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason=NO_ANALYZE)
@pytest.mark.skipif(not SYSTEM_UNITS.is_dir(), reason="no /lib/systemd/system to verify against")
def test_units_pass_systemd_analyze_verify(tmp_path):
    """Verify under a fake root that holds the commands the units run (they are absent here)."""
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    (root / "usr/lib/systemd/system").symlink_to(SYSTEM_UNITS)
    (root / "etc/systemd/system").mkdir(parents=True)
    names = sorted(p.name for p in UNITS.glob("*.service"))
    for name in names:
        shutil.copy(UNITS / name, root / "etc/systemd/system" / name)
        for section in parse_unit(UNITS / name).values():
            for command in section.get("ExecStart", []):
                binary = root / command.split()[0].lstrip("-@").lstrip("/")
                binary.parent.mkdir(parents=True, exist_ok=True)
                binary.write_text("#!/bin/sh\n")
                binary.chmod(0o755)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", *names],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


JOURNALD = Path("/lib/systemd/systemd-journald")
_SIZE = re.compile(r"^(\d+)([KMG]?)$")


def size_bytes(value: str) -> int:
    number, unit = _SIZE.match(value).groups()
    return int(number) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[unit]


def test_journald_drop_in_caps_the_journal_for_a_ram_backed_root():
    """On the read-only root the journal lives in RAM: its total must stay a small part of a Pi's
    memory, both the persistent (overlay) and the runtime (/run) journal."""
    journal = parse_unit(UNITS / "journald-appliance.conf")["Journal"]
    assert size_bytes(one(journal, "SystemMaxUse")) <= 128 << 20
    assert size_bytes(one(journal, "RuntimeMaxUse")) <= 64 << 20
    assert size_bytes(one(journal, "SystemMaxFileSize")) <= size_bytes(one(journal, "SystemMaxUse")) // 4
    assert size_bytes(one(journal, "RuntimeMaxFileSize")) <= size_bytes(one(journal, "RuntimeMaxUse")) // 2


@pytest.mark.skipif(not JOURNALD.exists(), reason="no systemd-journald binary to read its keys from")
def test_journald_drop_in_uses_only_keys_journald_knows():
    """journald ignores a misspelt key with only a log line; its own key table is in the binary."""
    known = set(re.findall(rb"Journal\.([A-Za-z]+)", JOURNALD.read_bytes()))
    keys = parse_unit(UNITS / "journald-appliance.conf")["Journal"]
    assert {key.encode() for key in keys} <= known, sorted(k for k in keys if k.encode() not in known)
