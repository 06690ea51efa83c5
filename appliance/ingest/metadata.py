"""The collection server's metadata: SQLite by default, PostgreSQL for a company with many booths.

Both backends run the same SQL (qmark placeholders are rewritten for psycopg); the sha256 primary
key is what makes uploads idempotent - a second upload of the same photo inserts nothing. Each
thread of the server gets its own connection, since neither driver shares one across threads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError

SCHEMA = (
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
)

_COLUMNS = (
    "sha256, device_id, session_code, school_code, capture_code, personal_json, report_json,"
    " captured_at, accepted_at, received_at, size_bytes, review_state, review_reason, reviewed_at"
)


class MetadataError(ApplianceError):
    """The metadata database cannot be reached or used."""


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


class Metadata:
    """Backend-neutral operations; subclasses only say how to connect and how to spell a placeholder."""

    placeholder = "?"

    def __init__(self) -> None:
        self._local = threading.local()

    def _connect(self) -> Any:
        raise NotImplementedError

    def _is_unique_violation(self, exc: Exception) -> bool:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        conn = self._connection()
        cursor = conn.cursor()
        try:
            yield cursor
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cursor.close()

    def create_schema(self) -> None:
        with self._transaction() as cursor:
            for statement in SCHEMA:
                cursor.execute(statement)

    def insert_photo(self, photo: ServerPhoto) -> bool:
        """True if stored now, False if this sha256 was already there (an idempotent repeat)."""
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
            return cursor.rowcount == 1

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
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class SqliteMetadata(Metadata):
    def __init__(self, path: Path):
        super().__init__()
        self._path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        # A 201 tells the booth it may forget the photo one day: the row must survive a power cut.
        conn.execute("PRAGMA synchronous=FULL")
        return conn


class PostgresMetadata(Metadata):
    placeholder = "%s"

    def __init__(self, url: str):
        super().__init__()
        self._url = url

    def _connect(self) -> Any:
        import psycopg  # only a PostgreSQL deployment needs the driver

        try:
            return psycopg.connect(self._url, connect_timeout=10)
        except psycopg.OperationalError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MetadataError(f"ingest: cannot connect to PostgreSQL: {first_line}") from None


def metadata_for(database_url: str, data_dir: Path) -> Metadata:
    if database_url:
        return PostgresMetadata(database_url)
    return SqliteMetadata(data_dir / "ingest.db")
