"""The collection server's metadata: SQLite by default, PostgreSQL for a company with many booths.

Both backends run the same SQL (qmark placeholders are rewritten for psycopg); the sha256 primary
key is what makes uploads idempotent - a second upload of the same photo inserts nothing.

SQLite keeps one connection per thread (the driver shares none across threads). PostgreSQL goes
through a psycopg_pool pool whose connections are checked before each use: after a database
restart the requests in flight fail (503, the booth retries), the next ones get fresh connections,
and the host never needs a restart. A process that forks (gunicorn --preload) makes its own pool.

The schema is versioned (table schema_version) and changed only by `migrate()`, i.e. by
`appliance serve-ingest migrate`; on PostgreSQL it runs under an advisory lock in one transaction,
so several hosts may run it at once and exactly one applies each step.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError

# Append only: a deployed database has run every step up to its version. Step 1 is the schema
# from before versioning (IF NOT EXISTS, so such a database adopts it). {blob} is the backend's
# bytes type.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "photos and nonces", (
        """CREATE TABLE IF NOT EXISTS photos (
            sha256 TEXT PRIMARY KEY,
            device_id TEXT NOT NULL,
            session_code TEXT NOT NULL,
            school_code TEXT NOT NULL,
            capture_code TEXT NOT NULL,
            personal_json TEXT,
            report_json TEXT NOT NULL,
            captured_at DOUBLE PRECISION NOT NULL,
            accepted_at DOUBLE PRECISION NOT NULL,
            received_at DOUBLE PRECISION NOT NULL,
            size_bytes INTEGER NOT NULL,
            review_state TEXT NOT NULL DEFAULT 'pending',
            review_reason TEXT,
            reviewed_at DOUBLE PRECISION
        )""",
        "CREATE INDEX IF NOT EXISTS photos_school ON photos(school_code, accepted_at)",
        """CREATE TABLE IF NOT EXISTS nonces (
            device_id TEXT NOT NULL,
            nonce TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (device_id, nonce)
        )""",
    )),
    (2, "photo bytes in the database, devices", (
        "CREATE TABLE photo_blobs (sha256 TEXT PRIMARY KEY REFERENCES photos(sha256), data {blob} NOT NULL)",
        """CREATE TABLE devices (
            device_id TEXT PRIMARY KEY,
            key_hex TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('booth', 'reviewer')),
            note TEXT,
            added_at DOUBLE PRECISION NOT NULL,
            revoked_at DOUBLE PRECISION
        )""",
    )),
    (3, "booth heartbeats", (
        """CREATE TABLE heartbeats (
            device_id TEXT PRIMARY KEY,
            received_at DOUBLE PRECISION NOT NULL,
            queue_depth INTEGER NOT NULL,
            oldest_pending_at DOUBLE PRECISION,
            disk_free_bytes BIGINT,
            temperature_c DOUBLE PRECISION,
            software_version TEXT NOT NULL,
            last_error TEXT
        )""",
        "CREATE INDEX photos_review ON photos(review_state, received_at)",
        "CREATE INDEX nonces_expiry ON nonces(expires_at)",  # every request deletes the expired ones
    )),
)
LATEST_VERSION = MIGRATIONS[-1][0]
_ADVISORY_LOCK_KEY = 0x1A6E57  # any constant; one per application sharing the database

_COLUMNS = (
    "sha256, device_id, session_code, school_code, capture_code, personal_json, report_json,"
    " captured_at, accepted_at, received_at, size_bytes, review_state, review_reason, reviewed_at"
)


class MetadataError(ApplianceError):
    """The metadata database cannot be reached or used."""


class SchemaError(MetadataError):
    """The database's schema is not the one this version of the software needs."""


@dataclass(frozen=True)
class ServerPhoto:
    sha256: str
    device_id: str
    session_code: str
    school_code: str
    capture_code: str
    personal: dict[str, Any] | None
    report: dict[str, Any]
    captured_at: float
    accepted_at: float
    received_at: float
    size_bytes: int
    review_state: str
    review_reason: str | None
    reviewed_at: float | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ServerPhoto:
        values = list(row)
        values[5] = json.loads(values[5]) if values[5] else None
        values[6] = json.loads(values[6])
        return cls(*values)


@dataclass(frozen=True)
class Device:
    device_id: str
    key: bytes
    role: str
    note: str | None
    added_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class Heartbeat:
    device_id: str
    received_at: float
    queue_depth: int
    oldest_pending_at: float | None
    disk_free_bytes: int | None
    temperature_c: float | None
    software_version: str
    last_error: str | None


@dataclass(frozen=True)
class BoothState:
    device_id: str
    revoked_at: float | None
    heartbeat_at: float | None
    queue_depth: int | None
    oldest_pending_at: float | None
    disk_free_bytes: int | None
    temperature_c: float | None
    software_version: str | None
    last_error: str | None
    last_upload_at: float | None

    @property
    def last_seen_at(self) -> float | None:
        seen = [t for t in (self.heartbeat_at, self.last_upload_at) if t is not None]
        return max(seen) if seen else None


class Metadata:
    """Backend-neutral operations; subclasses say how to open a transaction, take the migration
    lock, spell a placeholder and the bytes type."""

    placeholder = "?"
    blob_type = "BLOB"

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        raise NotImplementedError
        yield

    @contextmanager
    def _migration_transaction(self) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def _has_table(self, cursor: Any, name: str) -> bool:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    # --- schema -------------------------------------------------------------------------------

    def _version(self, cursor: Any) -> int:
        if not self._has_table(cursor, "schema_version"):
            return 0
        cursor.execute("SELECT MAX(version) FROM schema_version")
        row = cursor.fetchone()
        return int(row[0] or 0)

    def schema_version(self) -> int:
        with self._transaction() as cursor:
            return self._version(cursor)

    def migrate(self, now: float = 0.0) -> list[int]:
        """Apply the steps this database lacks, in one transaction; returns the versions applied
        (empty when up to date, also when another host applied them a moment ago)."""
        with self._migration_transaction() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " description TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
            )
            current = self._version(cursor)
            if current > LATEST_VERSION:
                raise SchemaError(_newer_schema(current))
            applied = []
            for version, description, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    cursor.execute(statement.format(blob=self.blob_type))
                cursor.execute(
                    self._sql("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)"),
                    (version, description, now),
                )
                applied.append(version)
            return applied

    def check_schema(self) -> None:
        """Raise SchemaError unless the schema is exactly the one this software needs; a host
        checks this at start and changes nothing."""
        version = self.schema_version()
        if version < LATEST_VERSION:
            raise SchemaError(
                f"ingest: the database schema is version {version}, this software needs {LATEST_VERSION}:"
                " run `appliance serve-ingest migrate` (once, from any host) / 数据库结构需升级"
            )
        if version > LATEST_VERSION:
            raise SchemaError(_newer_schema(version))

    def ping(self) -> None:
        """Raise MetadataError unless the database answers now (for /v1/health)."""
        with self._transaction() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()

    # --- photos -------------------------------------------------------------------------------

    def insert_photo(self, photo: ServerPhoto, data: bytes | None = None) -> bool:
        """True if stored now, False if this sha256 was already there (an idempotent repeat). With
        `data`, the photo's bytes go into the same transaction as its row."""
        values = (
            photo.sha256, photo.device_id, photo.session_code, photo.school_code, photo.capture_code,
            None if photo.personal is None else json.dumps(photo.personal, ensure_ascii=False),
            json.dumps(photo.report, ensure_ascii=False, sort_keys=True),
            photo.captured_at, photo.accepted_at, photo.received_at, photo.size_bytes,
            photo.review_state, photo.review_reason, photo.reviewed_at,
        )
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"INSERT INTO photos ({_COLUMNS}) VALUES ({', '.join('?' * 14)})"
                    " ON CONFLICT (sha256) DO NOTHING"
                ),
                values,
            )
            stored = cursor.rowcount == 1
            if stored and data is not None:
                cursor.execute(self._sql("INSERT INTO photo_blobs (sha256, data) VALUES (?, ?)"), (photo.sha256, data))
            return stored

    def photo_bytes(self, sha256: str) -> bytes | None:
        rows = self._select("SELECT data FROM photo_blobs WHERE sha256 = ?", (sha256,))
        return bytes(rows[0][0]) if rows else None

    def get(self, sha256: str) -> ServerPhoto | None:
        rows = self._select(f"SELECT {_COLUMNS} FROM photos WHERE sha256 = ?", (sha256,))
        return ServerPhoto.from_row(rows[0]) if rows else None

    def reviews(self, device_id: str, sha256s: list[str]) -> list[tuple[str, str, str | None]]:
        if not sha256s:
            return []
        marks = ", ".join("?" * len(sha256s))
        return [
            tuple(row)
            for row in self._select(
                f"SELECT sha256, review_state, review_reason FROM photos WHERE device_id = ?"
                f" AND sha256 IN ({marks})",
                (device_id, *sha256s),
            )
        ]

    def set_review(self, sha256: str, state: str, reason: str | None, when: float) -> bool:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "UPDATE photos SET review_state = ?, review_reason = ?, reviewed_at = ? WHERE sha256 = ?"
                ),
                (state, reason, when, sha256),
            )
            return cursor.rowcount == 1

    def school_photos(self, school_code: str) -> list[ServerPhoto]:
        rows = self._select(
            f"SELECT {_COLUMNS} FROM photos WHERE school_code = ? ORDER BY accepted_at, sha256",
            (school_code,),
        )
        return [ServerPhoto.from_row(row) for row in rows]

    def all_sha256(self) -> list[str]:
        return [row[0] for row in self._select("SELECT sha256 FROM photos ORDER BY sha256", ())]

    # --- devices ------------------------------------------------------------------------------

    def device_key(self, device_id: str) -> bytes | None:
        """The current key of a device that is registered and not revoked; read on every request,
        so `device revoke` takes effect at once on every host."""
        rows = self._select("SELECT key_hex FROM devices WHERE device_id = ? AND revoked_at IS NULL", (device_id,))
        return bytes.fromhex(rows[0][0]) if rows else None

    def device_role(self, device_id: str) -> str | None:
        rows = self._select("SELECT role FROM devices WHERE device_id = ? AND revoked_at IS NULL", (device_id,))
        return rows[0][0] if rows else None

    def add_device(self, device_id: str, key: bytes, role: str, note: str | None, now: float,
                   replace: bool = False) -> bool:
        """Register a device; False if it exists already (and `replace` is not set). Replacing
        gives a new key and lifts a revocation."""
        with self._transaction() as cursor:
            conflict = (
                "DO UPDATE SET key_hex = excluded.key_hex, role = excluded.role, note = excluded.note,"
                " added_at = excluded.added_at, revoked_at = NULL" if replace else "DO NOTHING"
            )
            cursor.execute(
                self._sql(
                    "INSERT INTO devices (device_id, key_hex, role, note, added_at, revoked_at)"
                    f" VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (device_id) {conflict}"
                ),
                (device_id, key.hex(), role, note, now),
            )
            return cursor.rowcount == 1

    def revoke_device(self, device_id: str, now: float) -> bool:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql("UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL"),
                (now, device_id),
            )
            return cursor.rowcount == 1

    def devices(self) -> list[Device]:
        rows = self._select(
            "SELECT device_id, key_hex, role, note, added_at, revoked_at FROM devices ORDER BY device_id", ()
        )
        return [Device(r[0], bytes.fromhex(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # --- heartbeats and what monitoring reads ---------------------------------------------------

    def record_heartbeat(self, beat: Heartbeat) -> None:
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "INSERT INTO heartbeats (device_id, received_at, queue_depth, oldest_pending_at,"
                    " disk_free_bytes, temperature_c, software_version, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at,"
                    " queue_depth = excluded.queue_depth, oldest_pending_at = excluded.oldest_pending_at,"
                    " disk_free_bytes = excluded.disk_free_bytes, temperature_c = excluded.temperature_c,"
                    " software_version = excluded.software_version, last_error = excluded.last_error"
                ),
                (beat.device_id, beat.received_at, beat.queue_depth, beat.oldest_pending_at, beat.disk_free_bytes,
                 beat.temperature_c, beat.software_version, beat.last_error),
            )

    def booths(self) -> list[BoothState]:
        """Every registered booth (not reviewers) with its last heartbeat and last upload."""
        rows = self._select(
            "SELECT d.device_id, d.revoked_at, h.received_at, h.queue_depth, h.oldest_pending_at,"
            " h.disk_free_bytes, h.temperature_c, h.software_version, h.last_error,"
            " (SELECT MAX(p.received_at) FROM photos p WHERE p.device_id = d.device_id)"
            " FROM devices d LEFT JOIN heartbeats h ON h.device_id = d.device_id"
            " WHERE d.role = 'booth' ORDER BY d.device_id",
            (),
        )
        return [BoothState(*row) for row in rows]

    def photo_counts(self) -> dict[str, int]:
        return {state: int(n) for state, n in self._select(
            "SELECT review_state, COUNT(*) FROM photos GROUP BY review_state", ()
        )}

    def review_latencies(self, bounds: tuple[float, ...]) -> tuple[list[int], int, float]:
        """Cumulative counts of reviewed photos decided within each bound (seconds after arrival),
        their number and the sum of their latencies: a Prometheus histogram, computed in SQL."""
        buckets = ", ".join(f"SUM(CASE WHEN reviewed_at - received_at <= {float(b)} THEN 1 ELSE 0 END)" for b in bounds)
        row = self._select(
            f"SELECT {buckets}, COUNT(*), SUM(reviewed_at - received_at) FROM photos WHERE reviewed_at IS NOT NULL",
            (),
        )[0]
        return [int(v or 0) for v in row[: len(bounds)]], int(row[len(bounds)] or 0), float(row[-1] or 0.0)

    def pending_review(self, limit: int, school_code: str | None = None) -> list[ServerPhoto]:
        where, params = ("AND school_code = ?", (school_code,)) if school_code else ("", ())
        rows = self._select(
            f"SELECT {_COLUMNS} FROM photos WHERE review_state = 'pending' {where}"
            f" ORDER BY received_at, sha256 LIMIT {int(limit)}",
            params,
        )
        return [ServerPhoto.from_row(row) for row in rows]

    # --- nonces -------------------------------------------------------------------------------

    def use_nonce(self, device_id: str, nonce: str, now: float, ttl_s: float) -> bool:
        """Remember a nonce; False if it was seen within its lifetime (a replayed request)."""
        with self._transaction() as cursor:
            cursor.execute(self._sql("DELETE FROM nonces WHERE expires_at < ?"), (now,))
            cursor.execute(
                self._sql(
                    "INSERT INTO nonces (device_id, nonce, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (device_id, nonce) DO NOTHING"
                ),
                (device_id, nonce, now + ttl_s),
            )
            return cursor.rowcount == 1

    def _select(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._transaction() as cursor:
            cursor.execute(self._sql(sql), params)
            return cursor.fetchall()

    def close(self) -> None:
        raise NotImplementedError


def _newer_schema(version: int) -> str:
    return (
        f"ingest: the database schema is version {version}, newer than this software knows"
        f" ({LATEST_VERSION}): upgrade this host's software"
    )


class SqliteMetadata(Metadata):
    def __init__(self, path: Path):
        self._path = Path(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            # A 201 tells the booth it may forget the photo one day: the row must survive a power cut.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, begin: str | None = None) -> Iterator[Any]:
        conn = self._connection()
        cursor = conn.cursor()
        if begin is not None:
            conn.commit()
            cursor.execute(begin)
        try:
            yield cursor
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cursor.close()

    def _migration_transaction(self) -> Any:
        # The write lock at once: a second migrate waits here, then finds nothing to do.
        return self._transaction("BEGIN IMMEDIATE")

    def _has_table(self, cursor: Any, name: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresMetadata(Metadata):
    placeholder = "%s"
    blob_type = "BYTEA"

    def __init__(self, url: str, pool_size: int = 8, wait_s: float = 10.0):
        self._url = url
        self._pool_size = pool_size
        self._wait_s = wait_s
        self._pool: Any = None
        self._pool_pid = 0
        self._lock = threading.Lock()

    def _get_pool(self) -> Any:
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                from psycopg_pool import ConnectionPool  # only a PostgreSQL deployment needs it

                self._pool = ConnectionPool(
                    self._url, min_size=1, max_size=self._pool_size, open=False, timeout=self._wait_s,
                    check=ConnectionPool.check_connection, kwargs={"connect_timeout": 5},
                    reconnect_timeout=30.0, name="serve-ingest",
                )
                self._pool.open(wait=False)
                self._pool_pid = os.getpid()
            return self._pool

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._get_pool().connection() as conn, conn.cursor() as cursor:
                yield cursor
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            raise MetadataError(f"ingest: PostgreSQL unavailable: {_first_line(exc)}") from exc

    @contextmanager
    def _migration_transaction(self) -> Iterator[Any]:
        with self._transaction() as cursor:
            # Held to the end of this transaction: a second host's migrate waits here, then sees
            # the new version and applies nothing.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_KEY,))
            yield cursor

    def _has_table(self, cursor: Any, name: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return bool(cursor.fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pool_pid == os.getpid():
                self._pool.close()
            self._pool = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def metadata_for(database_url: str, data_dir: Path, pool_size: int = 8) -> Metadata:
    if database_url:
        return PostgresMetadata(database_url, pool_size=pool_size)
    return SqliteMetadata(data_dir / "ingest.db")
