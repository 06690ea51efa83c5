"""Per-device signing keys of the collection server, read from a TOML table."""

from __future__ import annotations

from pathlib import Path

from appliance.errors import SettingsError
from appliance.ingest.config import read_toml
from appliance.uplink.signing import parse_key


def load_device_keys(path: Path) -> dict[str, bytes]:
    table = read_toml(path, "ingest keys")
    keys = {}
    for device_id, text in table.items():
        if not isinstance(text, str):
            raise SettingsError(f"ingest: key of {device_id!r} in {path} must be a hex string")
        keys[device_id] = parse_key(text, f"{path} [{device_id}]")
    if not keys:
        raise SettingsError(f"ingest: keys file {path} names no device")
    return keys
