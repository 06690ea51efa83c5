"""The booth's heartbeat to the collection server: how full its queue is, how old the oldest
waiting photo, disk space, temperature, software version and the last upload error - what a
company with hundreds of booths needs to see which one needs a visit."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.store.photo_store import PhotoStore
from appliance.system.probes import read_cpu_temperature

HEARTBEAT_PATH = "/v1/heartbeat"


class BoothProbes:
    def __init__(
        self,
        data_dir: Path | None,
        temperature: Callable[[], float | None] = read_cpu_temperature,
        disk_free: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free,
    ):
        self._data_dir, self._temperature, self._disk_free = data_dir, temperature, disk_free

    def disk_free_bytes(self) -> int | None:
        if self._data_dir is None:
            return None
        try:
            return self._disk_free(self._data_dir)
        except OSError:
            return None

    def temperature_c(self) -> float | None:
        return self._temperature()


def heartbeat_payload(store: PhotoStore, probes: BoothProbes, last_error: str | None) -> dict[str, Any]:
    summary = store.queue_summary()
    return {
        "queue_depth": summary.pending,
        "oldest_pending_at": summary.oldest_pending_at,
        "disk_free_bytes": probes.disk_free_bytes(),
        "temperature_c": probes.temperature_c(),
        "software_version": __version__,
        "last_error": (last_error or summary.last_error or "")[:300] or None,
    }
