"""The booth's durable store: accepted photos, their check reports and the upload queue.

Nothing accepted may be lost or doubled: the photo file is written atomically before its row is
committed with synchronous=FULL, the sha256 of the JPEG makes a second commit of the same photo a
no-op, and the queue state lives in the same database so uploads resume after a restart.

A photo belongs to one binding (capture code, collection run, school). The same bytes offered for
another binding are refused, never merged: identical bytes mean the camera delivered no new
picture (a frozen sensor, the demo's fixed portrait), so they show the first student, and answering
with the first student's record would hand the second one a receipt for a photo that is not theirs. Other
writes (upload receipts, review results) use synchronous=NORMAL: losing one on power loss only
repeats an idempotent upload.

A retake files a second photo under the same capture code. Both stay: the newest one supersedes
the older for the subject and the operator, and either file is only removed by the retention
rule: after the server's final review of that photo and the retention period, never before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from appliance.privacy import mask_code
from appliance.store.cipher import FieldCipher, PlainCipher, cipher_from_key_file
from appliance.store.config import StoreSettings
from appliance.store.disk_guard import FULL_MESSAGE, READ_ONLY_MESSAGE, DiskGuard
from appliance.store.durable_files import TEMP_SUFFIX, atomic_write, fsync_dir, is_disk_full
from appliance.store.errors import PhotoConflictError, StorageFullError, StoreError
from appliance.store.records import CaptureLinks, PhotoRecord, QueueSummary, UploadItem
from appliance.store.schema import migrate

log = logging.getLogger(__name__)

CONFLICT_MESSAGE = (
    "这张照片与另一位同学已保存的照片完全相同（摄像头画面可能卡住了），没有保存，请重拍。"
    " / This photo is identical to one already stored for another student (the camera image may be"
    " frozen); it was not stored - please retake."
)

DB_NAME = "store.db"
PHOTOS_DIR = "photos"
# Room asked for before a session starts: the largest photo the producer may write (with the
# guard's factor for its temp file), so a student never poses for a photo that cannot be kept.
SESSION_PHOTO_BYTES = 1024 * 1024

_RECORD_SQL = """
    SELECT p.sha256, p.session_code, p.school_code, p.capture_code, p.size_bytes, p.captured_at,
           p.accepted_at, q.state, q.attempts, q.last_error, q.review_state, q.review_reason,
           p.file_purged_at
    FROM photos p JOIN upload_queue q ON q.photo_id = p.id
"""


class PhotoStore:
    """One per booth; safe to share between the session machine's thread and the uplink worker."""

    def __init__(
        self,
        directory: Path,
        *,
        cipher: FieldCipher | None = None,
        disk_guard: DiskGuard | None = None,
        retention_s: float = 14 * 86400.0,
        clock: Callable[[], float] = time.time,
    ):
        self._dir = Path(directory)
        self._photos = self._dir / PHOTOS_DIR
        self._photos.mkdir(parents=True, exist_ok=True)
        self._cipher = cipher or PlainCipher()
        self._guard = disk_guard or DiskGuard(self._dir, 200 * 1024 * 1024)
        self._retention_s = retention_s
        self._clock = clock
        self._lock = threading.RLock()
        self._listeners: list[Callable[[PhotoRecord], None]] = []
        self.backup_path: Path | None = None
        try:
            self._conn = sqlite3.connect(
                self._dir / DB_NAME, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self.backup_path = migrate(self._conn, self._dir / DB_NAME)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"store: cannot open {self._dir / DB_NAME}: {exc}") from None
        self._remove_orphan_files()
        self._fill_capture_keys()

    @classmethod
    def from_settings(cls, settings: StoreSettings, clock: Callable[[], float] = time.time) -> PhotoStore:
        directory = Path(settings.dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(
            directory,
            cipher=cipher_from_key_file(settings.encryption_key_file),
            disk_guard=DiskGuard(directory, settings.min_free_mb * 1024 * 1024),
            retention_s=settings.retention_days * 86400.0,
            clock=clock,
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add_listener(self, callback: Callable[[PhotoRecord], None]) -> None:
        """Called after each newly committed accepted photo (the uplink's wake-up); must not block."""
        self._listeners.append(callback)

    # --- accepting photos -------------------------------------------------------------------

    def check_space(self) -> None:
        """Raise StorageFullError (a one-line bilingual message) when new captures must stop."""
        self._guard.check()

    def capture_problem(self, photo_bytes: int = SESSION_PHOTO_BYTES) -> str | None:
        """Why a new photo could not be stored now (one bilingual line), or None: free space for one
        more photo above the reserve, the photo folder and the database really writable (a card
        remounted read-only, a wrong owner). Asked before each session starts."""
        try:
            self._guard.check(photo_bytes)
        except StorageFullError as exc:
            return str(exc)
        probe = self._photos / f".write-probe.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, b"\0")
            finally:
                os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            log.error("store: the photo folder is not writable: %s", exc)
            return FULL_MESSAGE if is_disk_full(exc) else READ_ONLY_MESSAGE
        try:
            with self._lock:
                # A real write (the version header rewritten as it is): a read-only database, file
                # or mount fails here rather than at the commit after the student posed.
                version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
                self._conn.execute(f"PRAGMA user_version = {version}")
        except sqlite3.Error as exc:
            log.error("store: the database is not writable: %s", exc)
            return FULL_MESSAGE if "full" in str(exc) else READ_ONLY_MESSAGE
        return None

    def commit_accepted(
        self,
        session_code: str,
        capture_code: str,
        school_code: str,
        jpeg_bytes: bytes,
        report: dict[str, Any],
        *,
        personal: dict[str, Any] | None = None,
        captured_at: float | None = None,
    ) -> PhotoRecord:
        """Store an accepted photo durably and queue it; committing the same bytes again for the
        same binding is a no-op, for another binding it raises PhotoConflictError."""
        if not jpeg_bytes.startswith(b"\xff\xd8"):
            raise StoreError("store: the accepted photo is not a JPEG")
        sha = hashlib.sha256(jpeg_bytes).hexdigest()
        binding = (session_code, capture_code, school_code)
        # One commit at a time: the check for an existing photo and its insert must not interleave
        # with another thread's commit of the same bytes.
        with self._lock:
            existing = self.get(sha)
            if existing is not None:
                return self._same_binding(existing, binding)
            self._guard.check(len(jpeg_bytes))
            now = self._clock()
            file_name = f"{sha}.jpg.enc" if self._cipher.encrypted else f"{sha}.jpg"
            try:
                atomic_write(self._photos / file_name, self._cipher.seal(jpeg_bytes))
            except OSError as exc:
                if is_disk_full(exc):
                    raise StorageFullError(FULL_MESSAGE) from None
                raise
            personal_text = None if personal is None else self._cipher.seal_text(json.dumps(personal))
            with self._full_sync_transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO sessions(session_code, school_code, first_seen_at) VALUES (?, ?, ?)",
                    (session_code, school_code, now),
                )
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO photos(sha256, session_code, school_code, capture_code, personal,"
                    " file_name, size_bytes, encrypted, captured_at, accepted_at, capture_key)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        sha, session_code, school_code, self._cipher.seal_text(capture_code), personal_text,
                        file_name, len(jpeg_bytes), int(self._cipher.encrypted),
                        now if captured_at is None else captured_at, now, self._cipher.lookup_key(capture_code),
                    ),
                )
                if cursor.rowcount == 1:
                    photo_id = cursor.lastrowid
                    conn.execute(
                        "INSERT INTO check_reports(photo_id, report_json) VALUES (?, ?)",
                        (photo_id, json.dumps(report, ensure_ascii=False, sort_keys=True)),
                    )
                    conn.execute("INSERT INTO upload_queue(photo_id, next_attempt_at) VALUES (?, 0)", (photo_id,))
            record = self.get(sha)
            assert record is not None
            if cursor.rowcount != 1:  # another process sharing the database committed it first
                return self._same_binding(record, binding)
        log.info("accepted photo %s for %s", sha[:12], record.masked_capture_code)
        for callback in self._listeners:
            callback(record)
        return record

    def check_binding(self, jpeg_bytes: bytes, session_code: str, capture_code: str, school_code: str) -> None:
        """Raise PhotoConflictError when these bytes are already filed under another binding: asked
        before the subject is offered the photo, so a refusal asks for a retake instead of a commit."""
        existing = self.get(hashlib.sha256(jpeg_bytes).hexdigest())
        if existing is not None:
            self._same_binding(existing, (session_code, capture_code, school_code))

    @staticmethod
    def _same_binding(record: PhotoRecord, binding: tuple[str, str, str]) -> PhotoRecord:
        if (record.session_code, record.capture_code, record.school_code) != binding:
            log.warning("photo %s offered for %s is filed under %s: refused", record.sha256[:12],
                        mask_code(binding[1]), record.masked_capture_code)
            raise PhotoConflictError(CONFLICT_MESSAGE)
        return record

    @contextmanager
    def _full_sync_transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        conn.execute("PRAGMA synchronous=FULL")
        try:
            with self._transaction() as inner:
                yield inner
        finally:
            conn.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if "disk is full" in str(exc) or "database or disk is full" in str(exc):
                raise StorageFullError(FULL_MESSAGE) from None
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- reading ----------------------------------------------------------------------------

    def get(self, sha256: str) -> PhotoRecord | None:
        with self._lock:
            row = self._conn.execute(_RECORD_SQL + " WHERE p.sha256 = ?", (sha256,)).fetchone()
        return None if row is None else self._record(row)

    def recent(self, limit: int = 20) -> list[PhotoRecord]:
        with self._lock:
            rows = self._conn.execute(_RECORD_SQL + " ORDER BY p.id DESC LIMIT ?", (limit,)).fetchall()
        return [self._record(row) for row in rows]

    def latest_for_capture(self, capture_code: str) -> PhotoRecord | None:
        """The newest photo filed under this capture code (or 'student:<number>'), if any."""
        key = self._cipher.lookup_key(capture_code)
        with self._lock:
            row = self._conn.execute(
                _RECORD_SQL + " WHERE p.capture_key = ? ORDER BY p.id DESC LIMIT 1", (key,)
            ).fetchone()
        return None if row is None else self._record(row)

    def capture_links(self, sha256s: list[str]) -> dict[str, CaptureLinks]:
        """For each photo: is it a retake of an earlier one, and has a later one superseded it."""
        rows = self._rows_for(
            "SELECT p.sha256,"
            " EXISTS(SELECT 1 FROM photos o WHERE o.capture_key = p.capture_key AND o.id < p.id),"
            " EXISTS(SELECT 1 FROM photos n WHERE n.capture_key = p.capture_key AND n.id > p.id)"
            " FROM photos p",
            sha256s,
        )
        return {sha: CaptureLinks(bool(retake), bool(superseded)) for sha, retake, superseded in rows}

    def reports(self, sha256s: list[str]) -> dict[str, dict[str, Any]]:
        """The check reports stored with these photos (as committed), by sha256."""
        rows = self._rows_for(
            "SELECT p.sha256, r.report_json FROM photos p JOIN check_reports r ON r.photo_id = p.id", sha256s
        )
        return {sha: json.loads(text) for sha, text in rows}

    def _rows_for(self, select: str, sha256s: list[str]) -> list[tuple[Any, ...]]:
        """`select` (over photos p) limited to the given photos; one query for a whole page."""
        if not sha256s:
            return []
        marks = ", ".join("?" * len(sha256s))
        with self._lock:
            return self._conn.execute(f"{select} WHERE p.sha256 IN ({marks})", list(sha256s)).fetchall()

    def photo_path(self, sha256: str) -> Path:
        """The absolute path of the committed file, whatever its naming (`.jpg`, `.jpg.enc`)."""
        return self._photos.resolve() / self._file_row(sha256)[0]

    def read_photo(self, sha256: str) -> bytes:
        file_name, purged = self._file_row(sha256)
        if purged:
            raise StoreError(f"store: photo {sha256[:12]} is not held locally")
        try:
            data = self._cipher.open((self._photos / file_name).read_bytes())
        except FileNotFoundError:
            raise StoreError(f"store: photo file {file_name} is missing") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(f"store: photo file {file_name} is damaged (sha256 differs)")
        return data

    def _file_row(self, sha256: str) -> tuple[str, bool]:
        with self._lock:
            row = self._conn.execute(
                "SELECT file_name, file_purged_at FROM photos WHERE sha256 = ?", (sha256,)
            ).fetchone()
        if row is None:
            raise StoreError(f"store: photo {sha256[:12]} is not held locally")
        return row[0], row[1] is not None

    def queue_summary(self) -> QueueSummary:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*),"
                " SUM(state = 'pending'), SUM(state = 'uploaded'), SUM(state = 'refused'),"
                " SUM(state = 'uploaded' AND review_state = 'pending'),"
                " SUM(review_state = 'accepted'), SUM(review_state = 'rejected'),"
                " MIN(CASE WHEN q.state = 'pending' THEN p.accepted_at END)"
                " FROM upload_queue q JOIN photos p ON p.id = q.photo_id"
            ).fetchone()
            error = self._conn.execute(
                "SELECT last_error FROM upload_queue WHERE state = 'pending' AND last_error IS NOT NULL"
                " ORDER BY next_attempt_at DESC LIMIT 1"
            ).fetchone()
        total, pending, uploaded, refused, in_review, accepted, rejected = (int(v or 0) for v in row[:7])
        return QueueSummary(total, pending, uploaded, refused, in_review, accepted, rejected,
                            oldest_pending_at=row[7], last_error=error[0] if error else None)

    # --- the uplink's side ------------------------------------------------------------------

    def due_uploads(self, now: float, limit: int = 16, max_wait_s: float = 3600.0) -> list[UploadItem]:
        """Pending items whose retry time has come; a retry time further away than `max_wait_s`
        (the wall clock jumped back) counts as due, so a clock jump cannot park the queue."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT p.sha256, q.attempts, p.session_code, p.school_code, p.capture_code, p.personal,"
                " p.captured_at, p.accepted_at, p.size_bytes, r.report_json"
                " FROM upload_queue q JOIN photos p ON p.id = q.photo_id"
                " JOIN check_reports r ON r.photo_id = p.id"
                " WHERE q.state = 'pending' AND (q.next_attempt_at <= ? OR q.next_attempt_at > ?)"
                " ORDER BY q.next_attempt_at, p.id LIMIT ?",
                (now, now + max_wait_s, limit),
            ).fetchall()
        items = []
        for sha, attempts, session, school, capture, personal, captured, accepted, size, report in rows:
            binding = {
                "sha256": sha,
                "session_code": session,
                "school_code": school,
                "capture_code": self._cipher.open_text(capture),
                "captured_at": captured,
                "accepted_at": accepted,
                "size_bytes": size,
            }
            personal_dict = None if personal is None else json.loads(self._cipher.open_text(personal))
            items.append(UploadItem(sha, attempts, binding, json.loads(report), personal_dict))
        return items

    def next_due_at(self) -> float | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(next_attempt_at) FROM upload_queue WHERE state = 'pending'"
            ).fetchone()
        return row[0]

    def mark_uploaded(self, sha256: str, when: float) -> None:
        self._set_queue(sha256, "state = 'uploaded', uploaded_at = ?, last_error = NULL", (when,))

    def mark_retry(self, sha256: str, error: str, next_attempt_at: float) -> None:
        self._set_queue(
            sha256, "attempts = attempts + 1, last_error = ?, next_attempt_at = ?", (error, next_attempt_at)
        )

    def mark_refused(self, sha256: str, reason: str) -> None:
        """The server refused the photo for good (it needs a person, not another retry)."""
        self._set_queue(sha256, "state = 'refused', attempts = attempts + 1, last_error = ?", (reason,))

    def awaiting_review(self, limit: int = 100) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT p.sha256 FROM upload_queue q JOIN photos p ON p.id = q.photo_id"
                " WHERE q.state = 'uploaded' AND q.review_state = 'pending' ORDER BY q.uploaded_at LIMIT ?",
                (limit,),
            ).fetchall()
        return [row[0] for row in rows]

    def record_review(self, sha256: str, state: str, reason: str | None, when: float) -> None:
        if state not in ("pending", "accepted", "rejected"):
            raise StoreError(f"store: unknown review state {state!r}")
        self._set_queue(sha256, "review_state = ?, review_reason = ?, reviewed_at = ?", (state, reason, when))

    def requeue_rejected(self, sha256: str) -> bool:
        """Send a photo the server rejected (in review) or refused (on upload) again, from scratch.

        For the operator, after the cause was fixed on the server's side. Returns False, changing
        nothing, unless the photo is rejected or refused and its file is still held locally.
        """
        changed = self._set_queue(
            sha256,
            "state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, uploaded_at = NULL,"
            " review_state = 'pending', review_reason = NULL, reviewed_at = NULL",
            (),
            only_if="(state = 'refused' OR review_state = 'rejected')"
            " AND (SELECT file_purged_at FROM photos WHERE sha256 = ?) IS NULL",
            only_if_values=(sha256,),
        )
        if changed:
            log.info("photo %s re-queued after the server rejected it", sha256[:12])
        return changed

    def _set_queue(self, sha256: str, assignments: str, values: tuple[Any, ...], *, only_if: str = "1",
                   only_if_values: tuple[Any, ...] = ()) -> bool:
        with self._lock, self._transaction() as conn:
            cursor = conn.execute(
                f"UPDATE upload_queue SET {assignments}"
                f" WHERE photo_id = (SELECT id FROM photos WHERE sha256 = ?) AND {only_if}",
                (*values, sha256, *only_if_values),
            )
        return cursor.rowcount == 1

    # --- housekeeping -----------------------------------------------------------------------

    def purge_expired(self, now: float | None = None) -> int:
        """Delete local photo files once the server has given its final review (accepted or
        rejected) and the retention period has passed since then. A photo that was only received,
        not yet reviewed, stays: the collection unit may still ask for it again."""
        now = self._clock() if now is None else now
        with self._lock:
            rows = self._conn.execute(
                "SELECT p.id, p.file_name FROM photos p JOIN upload_queue q ON q.photo_id = p.id"
                " WHERE q.state = 'uploaded' AND q.review_state IN ('accepted', 'rejected')"
                " AND p.file_purged_at IS NULL AND q.reviewed_at <= ?",
                (now - self._retention_s,),
            ).fetchall()
        for photo_id, file_name in rows:
            with self._lock, self._transaction() as conn:
                conn.execute("UPDATE photos SET file_purged_at = ? WHERE id = ?", (now, photo_id))
            with suppress(FileNotFoundError):
                (self._photos / file_name).unlink()
        if rows:
            fsync_dir(self._photos)
        return len(rows)

    def _remove_orphan_files(self) -> None:
        """A crash between file write and row commit leaves a file no row points to; the photo was
        never reported accepted, so removing it loses nothing."""
        with self._lock:
            known = {row[0] for row in self._conn.execute("SELECT file_name FROM photos")}
        for entry in os.scandir(self._photos):
            if entry.name.endswith(TEMP_SUFFIX) or entry.name not in known:
                os.unlink(entry.path)

    def _fill_capture_keys(self) -> None:
        """Photos stored before capture keys existed get theirs, so their retakes are noticed too.
        A code that cannot be opened (its key is not configured) stays without one."""
        with self._lock:
            rows = self._conn.execute("SELECT id, capture_code FROM photos WHERE capture_key IS NULL").fetchall()
        keys = []
        for photo_id, sealed in rows:
            with suppress(StoreError):
                keys.append((self._cipher.lookup_key(self._cipher.open_text(sealed)), photo_id))
        if keys:
            with self._lock, self._transaction() as conn:
                conn.executemany("UPDATE photos SET capture_key = ? WHERE id = ?", keys)

    def _record(self, row: tuple[Any, ...]) -> PhotoRecord:
        values = list(row)
        values[3] = self._cipher.open_text(values[3])
        values[-1] = values[-1] is not None
        return PhotoRecord(*values)
