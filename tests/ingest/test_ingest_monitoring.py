"""What a collection company watches (issue L): booth heartbeats listed per booth, and Prometheus
metrics - uploads, refusals by reason, review latency, per-booth last seen."""

import json
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_store import PhotoStore
from appliance.testing.ingest_requests import NOW, post, upload_payload
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, REVIEWER_ID, REVIEWER_KEY, LiveServer, make_jpeg
from appliance.uplink.client import CollectionClient
from appliance.uplink.config import UplinkSettings
from appliance.uplink.heartbeat import BoothProbes
from appliance.uplink.worker import UplinkWorker

BEAT = {"queue_depth": 3, "oldest_pending_at": NOW - 600, "disk_free_bytes": 5_000_000_000,
        "temperature_c": 61.5, "software_version": "0.1.0", "last_error": "HTTP 503 unavailable"}


def test_booth_worker_sends_its_heartbeat(tmp_path):
    with LiveServer(tmp_path / "srv") as live:
        live.metadata.add_device(DEVICE_ID, DEVICE_KEY, "booth", None, 1.0)
        store = PhotoStore(tmp_path / "booth", disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))
        store.commit_accepted("26031601", "c8bade99b9b2edca", "10403", make_jpeg(1), {})
        client = CollectionClient(live.url, DEVICE_ID, DEVICE_KEY, timeout_s=5)
        probes = BoothProbes(tmp_path, temperature=lambda: 55.0, disk_free=lambda _p: 123_456_789)
        worker = UplinkWorker(store, client, DEVICE_ID, UplinkSettings(server_url=live.url), probes=probes)
        assert worker.status().last_heartbeat_at is None
        worker.run_once()
        assert worker.status().last_heartbeat_at is not None  # the booth knows the server heard it
        [booth] = live.metadata.booths()
        assert (booth.device_id, booth.queue_depth, booth.disk_free_bytes, booth.temperature_c) == (
            DEVICE_ID, 0, 123_456_789, 55.0)
        assert booth.software_version and booth.heartbeat_at and booth.last_upload_at
        store.close()


def test_heartbeat_is_signed_and_checked(server):
    client, metadata, _ = server
    metadata.add_device(DEVICE_ID, DEVICE_KEY, "booth", "北大 东门", NOW)
    assert post(client, "/v1/heartbeat", BEAT).status_code == 200
    assert client.post("/v1/heartbeat", json=BEAT).status_code == 401
    assert post(client, "/v1/heartbeat", {**BEAT, "queue_depth": -1}).json["error"] == "invalid"
    [booth] = metadata.booths()
    assert booth.queue_depth == 3 and booth.last_error == "HTTP 503 unavailable" and booth.last_seen_at == NOW


def test_metrics_count_uploads_refusals_reviews_and_booths(server):
    client, metadata, _ = server
    metadata.add_device(DEVICE_ID, DEVICE_KEY, "booth", None, NOW)
    _, payload = upload_payload(seed=1)
    assert post(client, "/v1/photos", payload).status_code == 201
    assert post(client, "/v1/photos", payload).status_code == 200
    assert post(client, "/v1/photos", payload, key=REVIEWER_KEY).status_code == 401
    assert post(client, "/v1/heartbeat", BEAT).status_code == 200
    decision = {"sha256": payload["binding"]["sha256"], "state": "accepted"}
    assert post(client, "/v1/reviews/decide", decision, device=REVIEWER_ID, key=REVIEWER_KEY).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }
    booth = (("device", DEVICE_ID),)
    assert samples[("ingest_uploads_total", (("result", "stored"),))] == 1
    assert samples[("ingest_uploads_total", (("result", "duplicate"),))] == 1
    assert samples[("ingest_refusals_total", (("reason", "bad_signature"),))] == 1
    assert samples[("ingest_photos", (("review_state", "accepted"),))] == 1
    assert samples[("ingest_review_latency_seconds_count", ())] == 1
    assert samples[("ingest_booth_last_seen_timestamp_seconds", booth)] == NOW
    assert samples[("ingest_booth_queue_depth", booth)] == 3
    assert samples[("ingest_database_up", ())] == 1
    assert "c8bade99b9b2edca" not in text and "S00001" not in text  # no capture codes, no student numbers


def test_booths_command_lists_heartbeats(tmp_path):
    srv = tmp_path / "srv"
    appliance = [sys.executable, "-m", "appliance", "serve-ingest"]
    subprocess.run([*appliance, "device", "add", "booth-9", "--data-dir", str(srv)], check=True, capture_output=True)
    listing = subprocess.run([*appliance, "booths", "--json", "--data-dir", str(srv)],
                             check=True, capture_output=True, text=True)
    [booth] = json.loads(listing.stdout)
    assert booth["device_id"] == "booth-9" and booth["last_seen_at"] is None
    table = subprocess.run([*appliance, "booths", "--data-dir", str(srv)], check=True, capture_output=True, text=True)
    assert "booth-9" in table.stdout


def test_unreachable_database_is_503_and_database_up_0(tmp_path):
    """The app is built without touching the database; then health, uploads and metrics each
    say the database is away instead of failing."""
    import socket

    import pytest

    pytest.importorskip("psycopg_pool")
    from appliance.ingest.config import IngestSettings
    from appliance.ingest.metadata import PostgresMetadata
    from appliance.ingest.photo_files import PhotoFiles
    from appliance.ingest.server import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    metadata = PostgresMetadata(f"postgresql://ingest@127.0.0.1:{port}/none", wait_s=1.0)
    app = create_app(IngestSettings(data_dir=tmp_path), metadata, PhotoFiles(tmp_path / "photos"),
                     {DEVICE_ID: DEVICE_KEY}, clock=lambda: NOW)
    client = app.test_client()
    assert metadata._pool is None  # nothing connected yet
    health = client.get("/v1/health")
    assert (health.status_code, health.json["status"]) == (503, "database_unavailable")
    _, payload = upload_payload()
    answer = post(client, "/v1/photos", payload)
    assert (answer.status_code, answer.json["error"]) == (503, "unavailable")
    assert answer.headers["Retry-After"]
    assert "ingest_database_up 0.0" in client.get("/metrics").get_data(as_text=True)
    metadata.close()
