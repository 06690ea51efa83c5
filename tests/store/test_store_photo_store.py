import errno
import os
import sqlite3

import pytest

from appliance.store.cipher import AesGcmCipher
from appliance.store.disk_guard import DiskGuard
from appliance.store.errors import StorageFullError, StoreError
from appliance.store.photo_store import DB_NAME, PhotoStore
from appliance.store.schema import MIGRATIONS, migrate, schema_version
from appliance.testing.uplink_fixtures import make_jpeg

REPORT = {"verdict": "pass", "checks": {"eyes_open": 0.31}}


def open_store(tmp_path, **kwargs):
    kwargs.setdefault("disk_guard", DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))
    return PhotoStore(tmp_path / "store", **kwargs)


def test_commit_is_idempotent_and_survives_reopen(tmp_path):
    store = open_store(tmp_path)
    photo = make_jpeg(1)
    first = store.commit_accepted("26031601", "c8bade99b9b2edca", "10403", photo, REPORT)
    again = store.commit_accepted("26031601", "c8bade99b9b2edca", "10403", photo, REPORT)
    assert first.sha256 == again.sha256
    assert store.queue_summary().total == 1
    store.close()

    reopened = open_store(tmp_path)
    assert reopened.read_photo(first.sha256) == photo
    assert [r.sha256 for r in reopened.recent()] == [first.sha256]
    assert reopened.get(first.sha256).masked_capture_code == "c8ba********edca"
    items = reopened.due_uploads(now=1e12)
    assert items[0].binding["capture_code"] == "c8bade99b9b2edca"
    assert items[0].report == REPORT


def test_database_is_wal_and_queue_states_move(tmp_path):
    store = open_store(tmp_path)
    sha = store.commit_accepted("s1", "code1", "10403", make_jpeg(2), REPORT).sha256
    conn = sqlite3.connect(tmp_path / "store" / DB_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.mark_retry(sha, "HTTP 500", next_attempt_at=100.0)
    assert store.due_uploads(now=50.0, max_wait_s=3600) == []
    # A retry time far in the future (the clock jumped back) counts as due.
    assert len(store.due_uploads(now=-10_000.0, max_wait_s=3600)) == 1
    store.mark_uploaded(sha, when=200.0)
    assert store.awaiting_review() == [sha]
    store.record_review(sha, "rejected", "露齿 / teeth visible", when=300.0)
    summary = store.queue_summary()
    assert (summary.pending, summary.uploaded, summary.review_rejected) == (0, 1, 1)
    assert store.get(sha).review_reason == "露齿 / teeth visible"


def test_full_disk_refuses_new_capture_but_keeps_accepted(tmp_path):
    free = {"bytes": 10**9}
    store = open_store(tmp_path, disk_guard=DiskGuard(tmp_path, 1000, probe=lambda _p: free["bytes"]))
    kept = store.commit_accepted("s1", "code1", "10403", make_jpeg(3), REPORT)
    free["bytes"] = 500
    with pytest.raises(StorageFullError, match="存储空间已满"):
        store.check_space()
    with pytest.raises(StorageFullError):
        store.commit_accepted("s1", "code2", "10403", make_jpeg(4), REPORT)
    assert store.queue_summary().total == 1
    assert store.read_photo(kept.sha256) == make_jpeg(3)


def test_enospc_during_file_write_leaves_no_trace(tmp_path, monkeypatch):
    store = open_store(tmp_path)
    real_write = os.write

    def failing_write(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", failing_write)
    with pytest.raises(StorageFullError):
        store.commit_accepted("s1", "code1", "10403", make_jpeg(5), REPORT)
    monkeypatch.setattr(os, "write", real_write)
    assert os.listdir(tmp_path / "store" / "photos") == []
    assert store.queue_summary().total == 0


def test_encryption_at_rest(tmp_path):
    cipher = AesGcmCipher(bytes(range(32)))
    store = open_store(tmp_path, cipher=cipher)
    photo = make_jpeg(6)
    rec = store.commit_accepted("s1", "secretcode123", "10403", photo, REPORT, personal={"name": "黄小正"})
    [path] = (tmp_path / "store" / "photos").iterdir()
    assert photo not in path.read_bytes()
    raw = sqlite3.connect(tmp_path / "store" / DB_NAME).execute("SELECT capture_code, personal FROM photos")
    capture, personal = raw.fetchone()
    assert "secretcode123" not in capture and "黄" not in personal
    assert store.read_photo(rec.sha256) == photo
    assert store.due_uploads(now=1e12)[0].personal == {"name": "黄小正"}
    store.close()
    with pytest.raises(StoreError, match="does not match the key"):
        open_store(tmp_path, cipher=AesGcmCipher(bytes(32))).read_photo(rec.sha256)


def test_retention_removes_only_confirmed_old_files(tmp_path):
    store = open_store(tmp_path, retention_s=100.0)
    old = store.commit_accepted("s1", "c1", "10403", make_jpeg(7), REPORT).sha256
    unsent = store.commit_accepted("s1", "c2", "10403", make_jpeg(8), REPORT).sha256
    store.mark_uploaded(old, when=1000.0)
    assert store.purge_expired(now=5000.0) == 0  # received but not yet reviewed: kept
    store.record_review(old, "accepted", None, 1000.0)
    assert store.purge_expired(now=1050.0) == 0
    assert store.purge_expired(now=1200.0) == 1
    assert store.get(old).file_purged
    with pytest.raises(StoreError, match="not held locally"):
        store.read_photo(old)
    assert store.read_photo(unsent) == make_jpeg(8)


def test_orphan_and_temp_files_are_removed_on_open(tmp_path):
    store = open_store(tmp_path)
    store.commit_accepted("s1", "c1", "10403", make_jpeg(9), REPORT)
    store.close()
    photos = tmp_path / "store" / "photos"
    (photos / ("f" * 64 + ".jpg")).write_bytes(b"orphan")
    (photos / ".x.jpg.1.part").write_bytes(b"half")
    open_store(tmp_path)
    assert len(list(photos.iterdir())) == 1


def test_migration_backs_up_first_and_refuses_newer_schema(tmp_path):
    store = open_store(tmp_path)
    store.commit_accepted("s1", "c1", "10403", make_jpeg(10), REPORT)
    store.close()
    db = tmp_path / "store" / DB_NAME
    conn = sqlite3.connect(db, isolation_level=None)
    backup = migrate(conn, db, (*MIGRATIONS, "ALTER TABLE photos ADD COLUMN note TEXT;"))
    assert backup is not None and backup.name.startswith(f"store.db.bak-v{len(MIGRATIONS)}-")
    assert sqlite3.connect(backup).execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 1
    assert schema_version(conn) == len(MIGRATIONS) + 1
    with pytest.raises(StoreError, match="failed"):
        migrate(conn, db, (*MIGRATIONS, "", "ALTER TABLE nowhere ADD COLUMN x;"))
    assert schema_version(conn) == len(MIGRATIONS) + 1
    conn.close()
    with pytest.raises(StoreError, match="newer than this software"):
        open_store(tmp_path)
