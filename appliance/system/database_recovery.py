"""Detect a damaged SQLite database, keep it for inspection and let a fresh one be started.

A damaged database must neither stop the booth for the day nor be silently deleted: what it held
may be needed to reconcile uploads. So the file (with its -wal and -shm companions, which may hold
committed transactions not yet checkpointed) is renamed aside in the same folder, and the caller is
told to create a fresh one. Accepted photos themselves live as files, so the store can rebuild.
"""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from appliance.store.durable_files import fsync_dir

log = logging.getLogger(__name__)

COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    detail: str


def check_integrity(path: Path, timeout_s: float = 5.0) -> IntegrityReport:
    """SQLite's own full check; a missing file is healthy (it is created on first start)."""
    path = Path(path)
    if not path.exists():
        return IntegrityReport(True, f"no database yet at {path} (created on first start)")
    try:
        connection = sqlite3.connect(path, timeout=timeout_s)
    except sqlite3.Error as exc:
        return IntegrityReport(False, f"cannot open {path}: {exc}")
    try:
        connection.execute("PRAGMA query_only = ON")
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        return IntegrityReport(False, f"{path} is damaged: {exc}")
    finally:
        connection.close()
    if rows == ["ok"]:
        return IntegrityReport(True, f"{path}: integrity_check ok")
    first = " ".join(str(rows[0]).split()) if rows else "no result"
    return IntegrityReport(False, f"{path} is damaged: {len(rows)} problem(s), first: {first}")


def quarantine_database(path: Path, stamp: str) -> Path:
    """Rename the database and its companions to '<name>.corrupt-<stamp>' beside it."""
    path = Path(path)
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():  # never overwrite an earlier damaged copy kept for inspection
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    for suffix in ("", *COMPANION_SUFFIXES):
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, Path(f"{target}{suffix}"))
    fsync_dir(path.parent)
    return target


class DatabaseState(enum.Enum):
    ABSENT = "absent"
    HEALTHY = "healthy"
    # The damaged file was moved aside: the caller must create a fresh database now.
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class DatabaseOutcome:
    state: DatabaseState
    detail: str
    moved_to: Path | None = None

    @property
    def needs_fresh_database(self) -> bool:
        return self.state is not DatabaseState.HEALTHY


def _timestamp() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S")


def prepare_database(path: Path, stamp: Callable[[], str] = _timestamp) -> DatabaseOutcome:
    """Run before the store opens its database at start-up."""
    path = Path(path)
    if not path.exists():
        return DatabaseOutcome(DatabaseState.ABSENT, f"no database at {path}; a fresh one is needed")
    report = check_integrity(path)
    if report.ok:
        return DatabaseOutcome(DatabaseState.HEALTHY, report.detail)
    moved_to = quarantine_database(path, stamp())
    log.error("database: %s; kept for inspection as %s, starting a fresh one", report.detail, moved_to)
    return DatabaseOutcome(DatabaseState.QUARANTINED, report.detail, moved_to)
