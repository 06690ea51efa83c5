"""Which devices may sign requests, and which of them may record review decisions.

In production the devices table is read on every request, so `serve-ingest device revoke` takes
effect at once on every host with no restart; the keys file only seeds that table. A fixed
mapping serves tests and tools that run the app without a database of devices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from appliance.ingest.keys import load_device_keys
from appliance.ingest.metadata import Metadata


class DeviceRegistry(Protocol):
    def key_of(self, device_id: str) -> bytes | None: ...

    def is_reviewer(self, device_id: str) -> bool: ...


class DatabaseDevices:
    def __init__(self, metadata: Metadata, reviewer_ids: Iterable[str] = ()):
        self._metadata = metadata
        self._reviewers = frozenset(reviewer_ids)

    def key_of(self, device_id: str) -> bytes | None:
        return self._metadata.device_key(device_id)

    def is_reviewer(self, device_id: str) -> bool:
        return device_id in self._reviewers or self._metadata.device_role(device_id) == "reviewer"


class FixedDevices:
    def __init__(self, keys: Mapping[str, bytes], reviewer_ids: Iterable[str] = ()):
        self._keys = dict(keys)
        self._reviewers = frozenset(reviewer_ids)

    def key_of(self, device_id: str) -> bytes | None:
        return self._keys.get(device_id)

    def is_reviewer(self, device_id: str) -> bool:
        return device_id in self._reviewers and device_id in self._keys


def seed_from_keys_file(metadata: Metadata, path: Path, reviewer_ids: Iterable[str], now: float) -> list[str]:
    """Add the keys file's devices that the database does not know yet (a revoked one stays
    revoked, a changed key is not taken: `device add --replace` does that); returns those added."""
    reviewers = set(reviewer_ids)
    added = []
    for device_id, key in load_device_keys(path).items():
        role = "reviewer" if device_id in reviewers else "booth"
        if metadata.add_device(device_id, key, role, "from keys file", now):
            added.append(device_id)
    return added
