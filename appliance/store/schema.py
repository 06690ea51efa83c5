"""The store's schema as numbered migrations, applied in order with a backup taken first.

A migration that fails half-way on a booth in the field must not cost the photos already queued,
so an existing database is copied (SQLite online backup, then atomically renamed) before the first
migration step runs. The version lives in PRAGMA user_version.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from appliance.store.durable_files import fsync_dir
from appliance.store.errors import StoreError

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions, photos, check reports and the upload queue.
    """
    CREATE TABLE sessions (
        session_code TEXT PRIMARY KEY,
        school_code TEXT NOT NULL,
        first_seen_at REAL NOT NULL
    );
    CREATE TABLE photos (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        session_code TEXT NOT NULL REFERENCES sessions(session_code),
        school_code TEXT NOT NULL,
        capture_code TEXT NOT NULL,
        personal TEXT,
        file_name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        encrypted INTEGER NOT NULL,
        captured_at REAL NOT NULL,
        accepted_at REAL NOT NULL,
        file_purged_at REAL
    );
    CREATE TABLE check_reports (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id),
        report_json TEXT NOT NULL
    );
    CREATE TABLE upload_queue (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id),
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'uploaded', 'refused')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        uploaded_at REAL,
        review_state TEXT NOT NULL DEFAULT 'pending'
            CHECK (review_state IN ('pending', 'accepted', 'rejected')),
        review_reason TEXT,
        reviewed_at REAL
    );
    CREATE INDEX upload_queue_due ON upload_queue(state, next_attempt_at);
    CREATE INDEX photos_accepted ON photos(accepted_at);
    """,
    # 2: a searchable digest of the capture code (the code itself may be sealed), for retakes.
    """
    ALTER TABLE photos ADD COLUMN capture_key TEXT;
    CREATE INDEX photos_capture_key ON photos(capture_key, id);
    """,
)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup_database(conn: sqlite3.Connection, db_path: Path, version: int) -> Path:
    """Copy the live database next to itself as `<name>.bak-v<version>-<unix time>`."""
    target = db_path.with_name(f"{db_path.name}.bak-v{version}-{int(time.time())}")
    temp = target.with_name(target.name + ".part")
    dest = sqlite3.connect(temp)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    temp.replace(target)
    fsync_dir(target.parent)
    return target


def migrate(conn: sqlite3.Connection, db_path: Path, migrations: Sequence[str] = MIGRATIONS) -> Path | None:
    """Bring the schema to len(migrations); returns the backup taken, if any."""
    current = schema_version(conn)
    if current > len(migrations):
        raise StoreError(
            f"store: database schema v{current} is newer than this software (v{len(migrations)}); update it"
        )
    if current == len(migrations):
        return None
    backup = backup_database(conn, db_path, current) if current > 0 else None
    for number in range(current, len(migrations)):
        # executescript commits first; wrap each step so a failure leaves the previous version.
        try:
            conn.executescript(f"BEGIN;\n{migrations[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            message = f"store: migration to schema v{number + 1} failed ({exc}); backup: {backup}"
            raise StoreError(message) from None
    return backup
