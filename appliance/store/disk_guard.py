"""Refuses new captures while there is still room for what is already accepted.

The reserve must cover the database's own writes (upload receipts, review results, WAL growth);
running the disk to zero would put the accepted-but-not-uploaded photos at risk.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from appliance.store.errors import StorageFullError

FULL_MESSAGE = (
    "存储空间已满，暂停拍摄；已通过的照片安全，请联系管理员清理或等待上传完成。"
    " / Storage full: new captures paused; accepted photos are safe - ask the operator to free space"
    " or wait for the upload."
)
READ_ONLY_MESSAGE = (
    "存储为只读，无法保存照片，暂停拍摄；已通过的照片安全，请联系管理员。"
    " / Storage is read-only: photos cannot be saved, new captures paused; accepted photos are safe -"
    " ask the operator."
)


def free_bytes_of(path: Path) -> int:
    return shutil.disk_usage(path).free


class DiskGuard:
    def __init__(self, path: Path, reserve_bytes: int, probe: Callable[[Path], int] = free_bytes_of):
        self._path = Path(path)
        self._reserve = reserve_bytes
        self._probe = probe

    def free_bytes(self) -> int:
        return self._probe(self._path)

    def check(self, incoming_bytes: int = 0) -> None:
        """Raise StorageFullError unless `incoming_bytes` fit with the reserve left over."""
        if self.free_bytes() < self._reserve + 2 * incoming_bytes:
            raise StorageFullError(FULL_MESSAGE)
