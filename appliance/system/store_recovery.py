"""Start the store on a fresh database without losing the photo files a lost database pointed to.

The store deletes, on open, every photo file its database does not know (a crash between file write
and row commit leaves such a file, and that photo was never reported accepted). After the database
was found damaged and moved aside, or vanished, every file would look like such an orphan although
each one is an accepted photo that may not have been uploaded yet. So before a fresh database is
started, the photo files are moved into a recovery folder beside the store, with a small record,
and stay there until a person has handed them on: the doctor and the operator console report them.
The files keep their names (the sha256 of the photo) and their encryption; the identities that
belonged to them are only in the damaged database, which is kept too.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from appliance.store.durable_files import TEMP_SUFFIX, atomic_write, fsync_dir
from appliance.store.photo_store import DB_NAME, PHOTOS_DIR
from appliance.system.database_recovery import DatabaseOutcome, prepare_database

log = logging.getLogger(__name__)

RECOVERED_DIR = "recovered"
RECORD_NAME = "RECOVERY.json"


@dataclass(frozen=True)
class PreservedPhotos:
    """One recovery folder: the photo files of a database that is gone, awaiting a person."""

    folder: Path
    files: int
    reason: str

    @property
    def summary(self) -> str:
        return f"{self.files} accepted photo file(s) kept in {self.folder} ({self.reason})"


@dataclass(frozen=True)
class StoreRecovery:
    database: DatabaseOutcome
    preserved: PreservedPhotos | None = None


def _timestamp() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S")


def _free_folder(parent: Path, stamp: str) -> Path:
    folder = parent / stamp
    counter = 1
    while folder.exists():  # an earlier recovery's folder is never merged into or overwritten
        counter += 1
        folder = parent / f"{stamp}-{counter}"
    return folder


def preserve_photo_files(store_dir: Path, reason: str, stamp: str) -> PreservedPhotos | None:
    """Move every complete photo file out of the store's photo folder; None when there is none."""
    photos = Path(store_dir) / PHOTOS_DIR
    if not photos.is_dir():
        return None
    names = sorted(e.name for e in os.scandir(photos) if e.is_file() and not e.name.endswith(TEMP_SUFFIX))
    if not names:
        return None
    parent = Path(store_dir) / RECOVERED_DIR
    parent.mkdir(mode=0o700, exist_ok=True)
    folder = _free_folder(parent, stamp)
    folder.mkdir(mode=0o700)
    fsync_dir(parent)
    for name in names:
        os.replace(photos / name, folder / name)
    fsync_dir(folder)
    fsync_dir(photos)
    record = {"reason": reason, "files": names, "preserved_at": stamp}
    atomic_write(folder / RECORD_NAME, json.dumps(record, indent=1).encode("utf-8"))
    preserved = PreservedPhotos(folder, len(names), reason)
    log.error("store: %s; hand them to the collection unit, then remove the folder", preserved.summary)
    return preserved


def recover_store(store_dir: Path, stamp: Callable[[], str] = _timestamp) -> StoreRecovery:
    """Run before the store opens: check its database, and keep the photos a fresh one would drop."""
    store_dir = Path(store_dir)
    outcome = prepare_database(store_dir / DB_NAME, stamp)
    if not outcome.needs_fresh_database:
        return StoreRecovery(outcome)
    if outcome.moved_to is not None:
        reason = f"database damaged, kept as {outcome.moved_to.name}"
    else:
        reason = "database missing"
    return StoreRecovery(outcome, preserve_photo_files(store_dir, reason, stamp()))


def find_preserved(store_dir: Path) -> list[PreservedPhotos]:
    """Recovery folders still waiting for a person (what the doctor and the console report)."""
    parent = Path(store_dir) / RECOVERED_DIR
    if not parent.is_dir():
        return []
    found = []
    for folder in sorted(p for p in parent.iterdir() if p.is_dir()):
        files = sum(1 for p in folder.iterdir() if p.is_file() and p.name != RECORD_NAME)
        try:
            reason = str(json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))["reason"])
        except (OSError, ValueError, KeyError, TypeError):
            reason = "no record"
        if files:
            found.append(PreservedPhotos(folder, files, reason))
    return found
