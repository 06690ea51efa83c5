import random
import time

import pytest

from appliance.errors import SettingsError
from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_store import PhotoStore
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, REVIEWER_ID, REVIEWER_KEY, live_server, make_jpeg
from appliance.uplink.backoff import backoff_delay
from appliance.uplink.client import CollectionClient, TransientUplinkError
from appliance.uplink.config import UplinkSettings
from appliance.uplink.worker import UplinkWorker

FAST = UplinkSettings(backoff_base_s=0.01, backoff_max_s=0.1, review_poll_s=0.1, timeout_s=2.0)


def make_store(tmp_path):
    return PhotoStore(tmp_path / "booth", disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))


def wait_for(condition, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_worker_uploads_once_and_pulls_review(tmp_path):
    store = make_store(tmp_path)
    with live_server(tmp_path / "srv") as server:
        client = CollectionClient(server.url, DEVICE_ID, DEVICE_KEY)
        worker = UplinkWorker(store, client, DEVICE_ID, FAST, rng=random.Random(1))
        store.add_listener(worker.notify)
        worker.start()
        try:
            shas = [store.commit_accepted("s1", f"{i:016x}", "10403", make_jpeg(i), {"i": i}).sha256
                    for i in range(5)]
            assert wait_for(lambda: store.queue_summary().uploaded == 5)
            assert sorted(server.metadata.all_sha256()) == sorted(shas)
            assert all(server.files.read(s) == make_jpeg(i) for i, s in enumerate(shas))
            reviewer = CollectionClient(server.url, REVIEWER_ID, REVIEWER_KEY)
            answer = reviewer.post_json("/v1/reviews/decide", {"sha256": shas[0], "state": "rejected",
                                                               "reason": "闭眼 / eyes closed"})
            assert answer.status == 200
            assert wait_for(lambda: store.get(shas[0]).review_state == "rejected")
            assert store.get(shas[0]).review_reason == "闭眼 / eyes closed"
        finally:
            worker.stop()


def test_worker_retries_through_server_errors_and_clock_jump(tmp_path):
    store = make_store(tmp_path)
    offset = {"s": 7200.0}  # the booth's clock is two hours ahead
    with live_server(tmp_path / "srv") as server:
        failures = {"left": 3}
        inner = server.app.wsgi_app

        def flaky(environ, start_response):
            if environ["PATH_INFO"] == "/v1/photos" and failures["left"] > 0:
                failures["left"] -= 1
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
                return [b"boom"]
            return inner(environ, start_response)

        server.app.wsgi_app = flaky
        client = CollectionClient(server.url, DEVICE_ID, DEVICE_KEY, clock=lambda: time.time() + offset["s"])
        worker = UplinkWorker(store, client, DEVICE_ID, FAST, clock=lambda: time.time() + offset["s"])
        sha = store.commit_accepted("s1", "c0de000000000001", "10403", make_jpeg(1), {}).sha256
        worker.start()
        try:
            assert wait_for(lambda: store.queue_summary().uploaded == 1), store.queue_summary()
        finally:
            worker.stop()
        assert failures["left"] == 0
        assert server.metadata.all_sha256() == [sha]
        assert store.get(sha).attempts >= 3


def test_permanent_refusal_is_not_retried(tmp_path):
    store = make_store(tmp_path)
    with live_server(tmp_path / "srv", max_body_bytes=10_000) as server:
        client = CollectionClient(server.url, DEVICE_ID, DEVICE_KEY)
        worker = UplinkWorker(store, client, DEVICE_ID, FAST)
        sha = store.commit_accepted("s1", "c0de000000000001", "10403", make_jpeg(1, size=(200, 200)), {}).sha256
        worker.run_once()
        record = store.get(sha)
        assert record.upload_state == "refused" and "413" in record.last_error
        assert server.metadata.all_sha256() == []


def test_server_down_is_transient_and_commit_does_not_wait(tmp_path):
    store = make_store(tmp_path)
    client = CollectionClient("http://127.0.0.1:9", DEVICE_ID, DEVICE_KEY, timeout_s=0.5)
    with pytest.raises(TransientUplinkError):
        client.post_json("/v1/photos", {})
    worker = UplinkWorker(store, client, DEVICE_ID, FAST)
    store.add_listener(worker.notify)
    worker.start()
    try:
        for i in range(3):
            store.commit_accepted("s1", f"c{i}", "10403", make_jpeg(i), {})
        assert wait_for(lambda: (store.queue_summary().last_error or "").startswith("network"))
        assert store.queue_summary().pending == 3
    finally:
        worker.stop()


def test_plain_http_only_on_loopback_and_backoff_grows():
    with pytest.raises(SettingsError, match="https"):
        CollectionClient("http://collector.example.com", DEVICE_ID, DEVICE_KEY)
    rng = random.Random(0)
    delays = [backoff_delay(n, 1.0, 60.0, rng) for n in range(10)]
    assert all(0.5 * min(60, 2**n) <= d <= min(60, 2**n) for n, d in enumerate(delays))
    assert delays[-1] >= 30
