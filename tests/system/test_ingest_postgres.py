"""The collection server's metadata against a real PostgreSQL server (a throw-away cluster)."""

import base64
import hashlib
import time

import pytest

from appliance.ingest.metadata import PostgresMetadata, ServerPhoto
from appliance.testing.throwaway_postgres import ThrowawayPostgres, available
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, LiveServer, make_jpeg
from appliance.uplink.client import CollectionClient

pytestmark = [pytest.mark.postgres]


@pytest.fixture(scope="module")
def cluster():
    if not available():
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed: run scripts/setup.sh --dev")
    with ThrowawayPostgres() as pg:
        yield pg


@pytest.fixture(scope="module")
def postgres_url(cluster):
    return cluster.url


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
    metadata.migrate()
    metadata.migrate()  # a second start must not fail
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
                "capture_code": "c0de000000000007", "device_id": DEVICE_ID,
                "captured_at": 1.7e9, "accepted_at": 1.7e9 + 1,
                "size_bytes": len(data),
            },
            "report": {},
            "photo_jpeg_base64": base64.b64encode(data).decode(),
        }
        assert client.post_json("/v1/photos", payload).status == 201
        assert client.post_json("/v1/photos", payload).status == 200
    assert [p.sha256 for p in PostgresMetadata(postgres_url).school_photos("10999")] == [record.sha256]
