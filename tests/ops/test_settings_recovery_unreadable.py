"""An unreadable settings file or last-good copy never stops the booth with a traceback (under
systemd that is a crash loop): a last-good copy that cannot be read or written is skipped with a
warning, a settings file that cannot be read falls back like an invalid one, and when nothing is
usable the start fails with one SettingsError line."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

from appliance.errors import SettingsError
from appliance.system.settings_recovery import LAST_GOOD_NAME, inspect_settings, load_settings_with_recovery

GOOD = b'[device]\ndevice_id = "booth-7"\n'


@pytest.fixture
def unreadable(monkeypatch):
    """Paths whose reads fail with EACCES, as for a file owned by another user (tests run as root,
    where chmod 000 would not stop a read)."""
    denied: set[Path] = set()

    def guard(original):
        def read(self, *args, **kwargs):
            if Path(self) in denied:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return original(self, *args, **kwargs)
        return read

    monkeypatch.setattr(Path, "read_bytes", guard(Path.read_bytes))
    monkeypatch.setattr(Path, "read_text", guard(Path.read_text))
    return denied


def test_an_unreadable_last_good_copy_does_not_stop_a_good_start(tmp_path, unreadable, caplog) -> None:
    current, last_good = tmp_path / "settings.toml", tmp_path / LAST_GOOD_NAME
    current.write_bytes(GOOD)
    last_good.write_bytes(b"old")
    unreadable.add(last_good)
    with caplog.at_level(logging.WARNING):
        loaded = load_settings_with_recovery(current, last_good)
    assert not loaded.recovered and loaded.settings.device.device_id == "booth-7"


def test_a_last_good_path_that_is_a_folder_does_not_stop_a_good_start(tmp_path, caplog) -> None:
    current, last_good = tmp_path / "settings.toml", tmp_path / LAST_GOOD_NAME
    current.write_bytes(GOOD)
    last_good.mkdir()
    with caplog.at_level(logging.WARNING):
        loaded = load_settings_with_recovery(current, last_good)
    assert loaded.settings.device.device_id == "booth-7"
    assert any("last-good" in r.message for r in caplog.records)


def test_a_broken_file_with_an_unreadable_last_good_copy_fails_in_one_line(tmp_path, unreadable) -> None:
    current, last_good = tmp_path / "settings.toml", tmp_path / LAST_GOOD_NAME
    current.write_bytes(b"[device\n")
    last_good.write_bytes(GOOD)
    unreadable.add(last_good)
    with pytest.raises(SettingsError) as refused:
        load_settings_with_recovery(current, last_good)
    assert "last-good" in str(refused.value) and "\n" not in str(refused.value)
    assert inspect_settings(current).problem  # the doctor reports it instead of failing


def test_an_unreadable_settings_file_falls_back_to_the_last_good_copy(tmp_path, unreadable, caplog) -> None:
    current, last_good = tmp_path / "settings.toml", tmp_path / LAST_GOOD_NAME
    current.write_bytes(GOOD)
    load_settings_with_recovery(current, last_good)
    unreadable.add(current)
    with caplog.at_level(logging.WARNING):
        loaded = load_settings_with_recovery(current, last_good)
    assert loaded.recovered and loaded.source == last_good and "cannot be read" in loaded.problem
