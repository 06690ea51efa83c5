"""Recovery from a corrupt settings file and a corrupt database (the helpers doctor and start-up use)."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from appliance.errors import SettingsError
from appliance.system.database_recovery import (
    DatabaseState,
    check_integrity,
    prepare_database,
    quarantine_database,
)
from appliance.system.settings_recovery import (
    LAST_GOOD_NAME,
    default_last_good_path,
    load_settings_with_recovery,
)

GOOD = b'[device]\ndevice_id = "booth-7"\n'


def test_good_settings_refresh_the_last_good_copy(tmp_path):
    current = tmp_path / "settings.toml"
    last_good = tmp_path / "state" / LAST_GOOD_NAME
    current.write_bytes(GOOD)
    loaded = load_settings_with_recovery(current, last_good)
    assert not loaded.recovered
    assert loaded.settings.device.device_id == "booth-7"
    assert last_good.read_bytes() == GOOD


@pytest.mark.parametrize(
    "broken",
    [
        b'[device]\ndevice_id = "booth 7 with spaces"\n',  # fails validation
        b'[device\ndevice_id = "booth-7"\n',  # not TOML
        b"\xff\xfe\x00garbage",  # truncated / binary
        b'[device]\ndevice_id = "booth-7"\n[system]\nmax_cpu_temp_c = 500\n',
    ],
)
def test_broken_settings_fall_back_with_a_warning(tmp_path, caplog, broken):
    current = tmp_path / "settings.toml"
    last_good = tmp_path / LAST_GOOD_NAME
    current.write_bytes(GOOD)
    load_settings_with_recovery(current, last_good)
    current.write_bytes(broken)
    with caplog.at_level(logging.WARNING):
        loaded = load_settings_with_recovery(current, last_good)
    assert loaded.recovered
    assert loaded.source == last_good
    assert loaded.settings.device.device_id == "booth-7"
    assert any("using last-good copy" in r.message for r in caplog.records)
    # The broken file must not overwrite the last good one.
    assert last_good.read_bytes() == GOOD


def test_broken_settings_without_last_good_raise_one_line(tmp_path):
    current = tmp_path / "settings.toml"
    current.write_text('[system]\nmin_free_disk_mb = 1\n')
    with pytest.raises(SettingsError) as info:
        load_settings_with_recovery(current, tmp_path / "missing.toml")
    message = str(info.value)
    assert "system.min_free_disk_mb" in message and "no last-good copy" in message
    assert "\n" not in message


def test_last_good_path_from_the_file_itself_is_honoured_when_invalid(tmp_path):
    keep = tmp_path / "elsewhere" / "kept.toml"
    current = tmp_path / "settings.toml"
    current.write_text(f'[system]\nsettings_last_good_path = "{keep}"\n')
    load_settings_with_recovery(current)
    assert keep.is_file()
    current.write_text(f'[system]\nsettings_last_good_path = "{keep}"\nclock_min_year = 1900\n')
    assert load_settings_with_recovery(current).source == keep


def test_default_last_good_path_prefers_state_directory(tmp_path):
    settings = tmp_path / "etc" / "settings.toml"
    assert default_last_good_path(settings, {"STATE_DIRECTORY": "/var/lib/appliance"}).as_posix() == (
        "/var/lib/appliance/" + LAST_GOOD_NAME
    )
    assert default_last_good_path(settings, {}) == tmp_path / "etc" / LAST_GOOD_NAME


def _make_database(path):
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, blob TEXT)")
    connection.executemany("INSERT INTO photos (blob) VALUES (?)", [("x" * 500,) for _ in range(200)])
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _corrupt(path):
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page, len(data), page):  # scribble over every page except the header page
        data[offset + 8 : offset + 64] = b"\xa5" * 56
    path.write_bytes(bytes(data))


def test_integrity_of_healthy_missing_and_damaged(tmp_path):
    db = tmp_path / "booth.sqlite3"
    assert check_integrity(db).ok
    assert not db.exists(), "checking must not create the database"
    _make_database(db)
    assert check_integrity(db).ok
    _corrupt(db)
    report = check_integrity(db)
    assert not report.ok and "damaged" in report.detail
    assert "\n" not in report.detail
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database at all" * 100)
    assert not check_integrity(tmp_path / "junk.sqlite3").ok


def test_prepare_database_moves_damaged_file_aside(tmp_path):
    db = tmp_path / "booth.sqlite3"
    _make_database(db)
    assert prepare_database(db).state is DatabaseState.HEALTHY
    _corrupt(db)
    damaged = db.read_bytes()
    outcome = prepare_database(db, stamp=lambda: "20260316T080000")
    assert outcome.state is DatabaseState.QUARANTINED and outcome.needs_fresh_database
    assert outcome.moved_to == tmp_path / "booth.sqlite3.corrupt-20260316T080000"
    assert outcome.moved_to.read_bytes() == damaged
    assert not db.exists()
    # A second damage in the same second keeps both copies.
    db.write_bytes(b"not a database" * 300)
    second = prepare_database(db, stamp=lambda: "20260316T080000")
    assert second.moved_to == tmp_path / "booth.sqlite3.corrupt-20260316T080000-2"
    assert outcome.moved_to.read_bytes() == damaged
    assert prepare_database(db).state is DatabaseState.ABSENT


def test_quarantine_keeps_wal_and_shm_companions(tmp_path):
    db = tmp_path / "booth.sqlite3"
    for suffix, content in (("", b"main"), ("-wal", b"wal"), ("-shm", b"shm")):
        (tmp_path / f"booth.sqlite3{suffix}").write_bytes(content)
    moved = quarantine_database(db, "S")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "booth.sqlite3.corrupt-S", "booth.sqlite3.corrupt-S-shm", "booth.sqlite3.corrupt-S-wal"
    ]
    assert (tmp_path / "booth.sqlite3.corrupt-S-wal").read_bytes() == b"wal"
    assert moved.read_bytes() == b"main"
