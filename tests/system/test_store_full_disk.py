"""The full disk on a real filesystem: the booth's data folder is a tiny tmpfs (needs root and a
permitted `mount`; skipped otherwise), filled with a filler file the way a runaway log would.

Two cases: (1) free space below the store's reserve - captures are refused with the bilingual
message and the uplink still uploads everything, since the reserve leaves room for the queue's
bookkeeping; (2) the disk at zero bytes behind the guard's back - the capture fails with the same
message and no partial file, the queue cannot record receipts until space returns, and then every
accepted photo goes up exactly once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from appliance.store.disk_guard import FULL_MESSAGE, DiskGuard, free_bytes_of
from appliance.store.durable_files import TEMP_SUFFIX
from appliance.store.errors import StorageFullError
from appliance.store.photo_store import DB_NAME, PHOTOS_DIR, PhotoStore
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, live_server, make_jpeg
from appliance.uplink.client import CollectionClient
from appliance.uplink.config import UplinkSettings
from appliance.uplink.worker import UplinkWorker

TMPFS_BYTES = 8 * 1024 * 1024
RESERVE_BYTES = 1024 * 1024
PHOTO_SIZE = (200, 200)  # noise JPEG of about 28 KB
SETTINGS = UplinkSettings(backoff_base_s=0.01, backoff_max_s=0.1, timeout_s=5.0, batch_size=16)


pytestmark = [pytest.mark.subprocess]


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the full-disk case is then covered by the fault run only")
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"mount of a tmpfs is not permitted here: {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(mount_point: Path, leave_bytes: int) -> Path:
    """Write a filler file until at most `leave_bytes` are free (0: until the disk says ENOSPC)."""
    filler = mount_point / "filler.log"
    chunk = b"\0" * 65536
    with open(filler, "ab") as out:
        while free_bytes_of(mount_point) > leave_bytes:
            want = min(len(chunk), free_bytes_of(mount_point) - leave_bytes)
            try:
                out.write(chunk[: max(want, 1)])
                out.flush()
            except OSError:
                break
    return filler


def accept(store: PhotoStore, count: int) -> dict[str, bytes]:
    photos = {}
    for i in range(count):
        jpeg = make_jpeg(i, size=PHOTO_SIZE)
        photos[store.commit_accepted("26031601", f"c8bade99b9b2ed{i:02d}", "10403", jpeg, {"i": i}).sha256] = jpeg
    return photos


def assert_intact(store: PhotoStore, directory: Path, photos: dict[str, bytes]) -> None:
    assert all(store.read_photo(sha) == jpeg for sha, jpeg in photos.items())
    with sqlite3.connect(directory / DB_NAME) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    leftovers = [p.name for p in (directory / PHOTOS_DIR).iterdir() if p.name.endswith(TEMP_SUFFIX)]
    assert leftovers == []
    assert len(list((directory / PHOTOS_DIR).iterdir())) == len(photos)


def test_below_reserve_refuses_captures_and_still_uploads(tiny_disk, tmp_path):
    directory = tiny_disk / "store"
    store = PhotoStore(directory, disk_guard=DiskGuard(tiny_disk, RESERVE_BYTES))
    photos = accept(store, 6)
    fill(tiny_disk, leave_bytes=RESERVE_BYTES // 2)
    assert 0 < free_bytes_of(tiny_disk) < RESERVE_BYTES

    with pytest.raises(StorageFullError) as refused:
        store.check_space()
    assert str(refused.value) == FULL_MESSAGE
    assert "存储空间已满" in FULL_MESSAGE and "Storage full" in FULL_MESSAGE
    with pytest.raises(StorageFullError, match="Storage full"):
        store.commit_accepted("26031601", "c8bade99b9b2ed99", "10403", make_jpeg(99, size=PHOTO_SIZE), {})
    assert store.queue_summary().total == len(photos)
    assert_intact(store, directory, photos)

    with live_server(tmp_path / "srv") as server:  # the server's disk is not the tiny one
        worker = UplinkWorker(store, CollectionClient(server.url, DEVICE_ID, DEVICE_KEY), DEVICE_ID, SETTINGS)
        worker.run_once()
        assert store.queue_summary().uploaded == len(photos), store.queue_summary()
        assert sorted(server.metadata.all_sha256()) == sorted(photos)
        assert all(server.files.read(sha) == jpeg for sha, jpeg in photos.items())
    assert free_bytes_of(tiny_disk) < RESERVE_BYTES  # it uploaded while the disk stayed "full"
    assert_intact(store, directory, photos)
    store.close()


def test_zero_bytes_free_loses_nothing_and_uploads_once_space_returns(tiny_disk, tmp_path):
    directory = tiny_disk / "store"
    # The guard read the free space before something else filled the disk: it lets the capture in.
    store = PhotoStore(directory, disk_guard=DiskGuard(tiny_disk, 0, probe=lambda _p: 10**12))
    photos = accept(store, 5)
    filler = fill(tiny_disk, leave_bytes=0)
    assert free_bytes_of(tiny_disk) == 0

    with pytest.raises(StorageFullError) as refused:
        store.commit_accepted("26031601", "c8bade99b9b2ed99", "10403", make_jpeg(99, size=PHOTO_SIZE), {})
    assert str(refused.value) == FULL_MESSAGE
    assert_intact(store, directory, photos)

    with live_server(tmp_path / "srv") as server:
        worker = UplinkWorker(store, CollectionClient(server.url, DEVICE_ID, DEVICE_KEY), DEVICE_ID, SETTINGS)
        # With no byte left even SQLite cannot record a receipt: the upload is not counted as done.
        with pytest.raises(StorageFullError):
            worker.run_once()
        assert store.queue_summary().uploaded == 0
        assert_intact(store, directory, photos)

        filler.unlink()  # the operator frees space
        worker.run_once()
        assert store.queue_summary().uploaded == len(photos), store.queue_summary()
        assert sorted(server.metadata.all_sha256()) == sorted(photos)  # each once, none doubled
        assert all(server.files.read(sha) == jpeg for sha, jpeg in photos.items())
    assert_intact(store, directory, photos)
    store.close()
