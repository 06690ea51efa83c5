"""The real `appliance run` start-up: settings recovery, journald logging and database recovery.

Each test runs the installed command the way systemd does (a subprocess with $STATE_DIRECTORY),
using the demo's one scripted session, and then asks `appliance doctor` what it sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.store.photo_store import DB_NAME, PHOTOS_DIR
from appliance.system.database_recovery import check_integrity
from appliance.system.settings_recovery import LAST_GOOD_NAME
from appliance.system.store_recovery import RECORD_NAME, RECOVERED_DIR

REPO = Path(__file__).resolve().parents[2]
ID_NUMBER = "110101199003071234"


pytestmark = [pytest.mark.subprocess]


def appliance(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), STATE_DIRECTORY=str(tmp_path / "state"))
    env.pop("NOTIFY_SOCKET", None)
    return subprocess.run([sys.executable, "-m", "appliance", *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def run_once(tmp_path: Path, settings: Path) -> subprocess.CompletedProcess[str]:
    result = appliance(tmp_path, "--settings", str(settings), "run", "--demo", "--once",
                       "--data", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def doctor(tmp_path: Path, settings: Path) -> dict[str, dict[str, object]]:
    result = appliance(tmp_path, "--settings", str(settings), "doctor", "--json", "--demo")
    return {record["name"]: record for record in map(json.loads, result.stdout.splitlines())}


def test_broken_settings_start_on_the_last_good_copy_and_the_log_masks_the_id(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    good = '[device]\ndevice_id = "booth-7"\n'
    settings.write_text(good)
    run_once(tmp_path, settings)
    assert (tmp_path / "state" / LAST_GOOD_NAME).read_text() == good

    # An operator pastes an ID number where the device name belongs: invalid, and personal data.
    settings.write_text(f'[device]\ndevice_id = "{ID_NUMBER} x"\n')
    result = run_once(tmp_path, settings)
    warning = [line for line in result.stderr.splitlines() if "using last-good copy" in line]
    assert len(warning) == 1 and warning[0].startswith("<4>"), result.stderr[-2000:]
    assert "device.device_id" in warning[0]
    assert ID_NUMBER not in result.stderr and "*" * 14 + "1234" in warning[0]
    assert all(line.startswith("<") for line in result.stderr.splitlines()), "journald priority prefixes"
    assert (tmp_path / "state" / LAST_GOOD_NAME).read_text() == good, "a broken file is never kept"

    check = doctor(tmp_path, settings)["settings"]
    assert check["ok"] is False
    assert "device.device_id" in str(check["detail"]) and LAST_GOOD_NAME in str(check["detail"])


def _corrupt(path: Path) -> None:
    """Scribble over every page but the header page, as a failing SD card might."""
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset + 8 : offset + 64] = b"\xa5" * 56
    path.write_bytes(bytes(data))


def test_a_corrupt_database_is_set_aside_and_no_accepted_photo_is_deleted(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    data = tmp_path / "data"  # the same folders --data gives the run, so the doctor looks there too
    settings.write_text(f'[device]\ndata_dir = "{data}"\n[store]\ndir = "{data / "store"}"\n')
    first = json.loads(run_once(tmp_path, settings).stdout.strip().splitlines()[-1])
    store = tmp_path / "data" / "store"
    photo = Path(first["photo"])
    kept_bytes = photo.read_bytes()
    _corrupt(store / DB_NAME)
    assert not check_integrity(store / DB_NAME).ok

    second = json.loads(run_once(tmp_path, settings).stdout.strip().splitlines()[-1])
    assert check_integrity(store / DB_NAME).ok, "a fresh database was started"
    assert list(store.glob(f"{DB_NAME}.corrupt-*")), "the damaged database is kept for inspection"
    (folder,) = (store / RECOVERED_DIR).iterdir()
    assert (folder / photo.name).read_bytes() == kept_bytes, "the accepted photo survived"
    assert json.loads((folder / RECORD_NAME).read_text())["files"] == [photo.name]
    assert [p.name for p in (store / PHOTOS_DIR).iterdir()] == [Path(second["photo"]).name]

    check = doctor(tmp_path, settings)["database"]
    assert check["ok"] is False
    assert "1 accepted photo file(s)" in str(check["detail"]) and str(folder) in str(check["detail"])
