"""Photos of the collection server on the filesystem, one file per sha256 (content-addressed, so a
repeated upload rewrites identical bytes and never creates a second copy)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from appliance.store.durable_files import atomic_write

_SHA = re.compile(r"^[0-9a-f]{64}$")


class PhotoFiles:
    def __init__(self, root: Path):
        self._root = Path(root)
        self._root.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise ValueError("not a sha256")
        return self._root / sha256[:2] / f"{sha256}.jpg"

    def write(self, sha256: str, data: bytes) -> None:
        """A repeat finds its file complete (it was renamed into place whole) and leaves it; only
        a file whose bytes do not match its name is replaced."""
        path = self.path_of(sha256)
        path.parent.mkdir(exist_ok=True)
        try:
            if hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
                return
        except FileNotFoundError:
            pass
        atomic_write(path, data)

    def read(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()
