"""The collection server's metadata against a real PostgreSQL server (a throw-away cluster)."""

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from uplink_fixtures import DEVICE_ID, DEVICE_KEY, LiveServer, make_jpeg

from appliance.ingest.metadata import PostgresMetadata, ServerPhoto
from appliance.uplink.client import CollectionClient

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def pg_tool(name):
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def as_user(command, user):
    """initdb refuses to run as root: run the cluster as an unprivileged user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *command]
    return command


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = pg_tool("initdb"), pg_tool("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed: run scripts/setup.sh --dev")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "")
    root = Path(tempfile.mkdtemp(prefix="ingest-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, user)
        shutil.chown(sockets, user)
    init = [initdb, "-D", str(data), "-U", "ingest", "--auth=trust", "-E", "UTF8"]
    subprocess.run(as_user(init, user), check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
    subprocess.run(as_user(start, user), check=True, capture_output=True)
    try:
        yield f"postgresql://ingest@127.0.0.1:{port}/postgres"
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(as_user(stop, user), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def photo(seed, school="10403"):
    data = make_jpeg(seed)
    return ServerPhoto(
        sha256=hashlib.sha256(data).hexdigest(), device_id=DEVICE_ID, session_code="26031601",
        school_code=school, capture_code=f"code{seed}", personal={"name": "李四"}, report={"v": seed},
        captured_at=1.0, accepted_at=float(seed), received_at=time.time(), size_bytes=len(data),
        review_state="pending", review_reason=None, reviewed_at=None,
    )


def test_postgres_metadata_is_idempotent_and_reviews(postgres_url):
    metadata = PostgresMetadata(postgres_url)
    metadata.create_schema()
    metadata.create_schema()  # a second start must not fail
    first, second = photo(1), photo(2)
    assert metadata.insert_photo(first) is True
    assert metadata.insert_photo(first) is False
    assert metadata.insert_photo(second) is True
    assert sorted(metadata.all_sha256()) == sorted([first.sha256, second.sha256])
    assert metadata.get(first.sha256).personal == {"name": "李四"}
    assert metadata.set_review(first.sha256, "rejected", "反光 / glare", 5.0)
    assert metadata.reviews(DEVICE_ID, [first.sha256]) == [(first.sha256, "rejected", "反光 / glare")]
    assert [p.sha256 for p in metadata.school_photos("10403")] == [first.sha256, second.sha256]
    assert metadata.use_nonce(DEVICE_ID, "ab" * 8, 100.0, 600.0) is True
    assert metadata.use_nonce(DEVICE_ID, "ab" * 8, 200.0, 600.0) is False
    metadata.close()


def test_live_server_on_postgres_stores_once(postgres_url, tmp_path):
    metadata = PostgresMetadata(postgres_url)
    with LiveServer(tmp_path / "srv", metadata=metadata) as server:
        client = CollectionClient(server.url, DEVICE_ID, DEVICE_KEY)
        record = photo(7, school="10999")
        data = make_jpeg(7)
        payload = {
            "binding": {
                "sha256": record.sha256, "session_code": "s1", "school_code": "10999",
                "capture_code": "c0de000000000007", "device_id": DEVICE_ID, "captured_at": 1.0, "accepted_at": 2.0,
                "size_bytes": len(data),
            },
            "report": {},
            "photo_jpeg_base64": base64.b64encode(data).decode(),
        }
        assert client.post_json("/v1/photos", payload).status == 201
        assert client.post_json("/v1/photos", payload).status == 200
    assert [p.sha256 for p in PostgresMetadata(postgres_url).school_photos("10999")] == [record.sha256]
