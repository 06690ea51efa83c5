"""serve-ingest as several stateless hosts on one real PostgreSQL (issue L): a database restart
costs the requests in flight at most, the schema changes only by `migrate` (safe from many hosts
at once), devices live in the database, and photo bytes can live there too."""

import base64
import hashlib
import threading
import time
import urllib.error
import urllib.request

import pytest

from appliance.errors import SettingsError
from appliance.ingest.config import IngestSettings
from appliance.ingest.devices import DatabaseDevices
from appliance.ingest.export import export_school
from appliance.ingest.metadata import LATEST_VERSION, PostgresMetadata, SchemaError
from appliance.ingest.photo_storage import DatabasePhotos
from appliance.ingest.server import create_app
from appliance.ingest.wsgi import app_from_settings, open_storage
from appliance.testing.ingest_requests import post
from appliance.testing.throwaway_postgres import ThrowawayPostgres, available
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, LiveServer, make_jpeg
from appliance.uplink.client import CollectionClient, TransientUplinkError

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not available(), reason="PostgreSQL binaries not installed: scripts/setup.sh --dev"),
]


@pytest.fixture(scope="module")
def cluster():
    with ThrowawayPostgres() as pg:
        yield pg


@pytest.fixture()
def database(cluster, request):
    return cluster.new_database(request.node.name.replace("[", "_").replace("]", "").lower()[:60])


def payload_for(seed, device=DEVICE_ID):
    data = make_jpeg(seed)
    return data, {
        "binding": {
            "sha256": hashlib.sha256(data).hexdigest(), "session_code": "s1", "school_code": "10403",
            "capture_code": f"cafe{seed:012x}", "device_id": device, "captured_at": time.time() - 5,
            "accepted_at": time.time() - 4, "size_bytes": len(data),
        },
        "report": {}, "photo_jpeg_base64": base64.b64encode(data).decode(),
    }


def health(url):
    try:
        with urllib.request.urlopen(url + "/v1/health", timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_database_restart_costs_requests_in_flight_never_the_host(cluster, database, tmp_path):
    metadata = PostgresMetadata(database, pool_size=4, wait_s=2.0)
    metadata.migrate()
    with LiveServer(tmp_path / "srv", metadata=metadata) as server:
        client = CollectionClient(server.url, DEVICE_ID, DEVICE_KEY, timeout_s=10)
        answers: list[int | str] = []
        stop = threading.Event()

        def upload_all(first_seed):
            seed = first_seed
            while not stop.is_set():
                _, payload = payload_for(seed)
                try:
                    answers.append(client.post_json("/v1/photos", payload).status)
                except TransientUplinkError:
                    answers.append("transport")
                seed += 1

        threads = [threading.Thread(target=upload_all, args=(i * 100_000,)) for i in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        cluster.stop("fast")
        time.sleep(0.5)
        down_status = health(server.url)
        cluster.start()
        time.sleep(2.0)
        stop.set()
        for thread in threads:
            thread.join()
        assert down_status == 503
        assert 503 in answers  # the outage was seen as "retry later", not a 500
        assert 500 not in answers, answers
        # after the restart, without restarting the host: every new request works
        for seed in range(900_000, 900_010):
            _, payload = payload_for(seed)
            assert client.post_json("/v1/photos", payload).status == 201
        assert health(server.url) == 200
    metadata.close()


def test_migrate_from_several_hosts_at_once_applies_each_step_once(database):
    hosts = [PostgresMetadata(database) for _ in range(6)]
    with pytest.raises(SchemaError, match="migrate"):
        hosts[0].check_schema()  # a host on a fresh database refuses instead of creating tables
    results: list[list[int]] = []
    start = threading.Barrier(len(hosts))

    def run(metadata):
        start.wait()
        results.append(metadata.migrate(time.time()))

    threads = [threading.Thread(target=run, args=(m,)) for m in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=len) == [[]] * (len(hosts) - 1) + [list(range(1, LATEST_VERSION + 1))]
    hosts[0].check_schema()
    assert hosts[0].schema_version() == LATEST_VERSION
    for metadata in hosts:
        metadata.close()


def test_starting_a_host_never_alters_the_schema(database, tmp_path):
    settings = IngestSettings(data_dir=tmp_path, database_url=database, keys_file=tmp_path / "keys.toml")
    (tmp_path / "keys.toml").write_text(f'"{DEVICE_ID}" = "{DEVICE_KEY.hex()}"\n')
    with pytest.raises(SchemaError, match="serve-ingest migrate"):
        app_from_settings(settings)
    probe = PostgresMetadata(database)
    assert probe.schema_version() == 0  # nothing was created
    probe.migrate()
    app = app_from_settings(settings)  # now it starts, and the keys file seeded the devices
    assert [d.device_id for d in probe.devices()] == [DEVICE_ID]
    assert app.test_client().get("/v1/health").status_code == 200
    app.extensions["appliance.ingest"]["metadata"].close()
    probe.close()


def test_revoking_a_device_takes_effect_at_once_on_every_host(database, tmp_path):
    admin = PostgresMetadata(database)
    admin.migrate()
    admin.add_device(DEVICE_ID, DEVICE_KEY, "booth", None, time.time())
    hosts, pools = [], []
    for name in ("a", "b"):
        metadata = PostgresMetadata(database)
        pools.append(metadata)
        settings = IngestSettings(data_dir=tmp_path / name, database_url=database)
        photos = DatabasePhotos(metadata)
        hosts.append(create_app(settings, metadata, photos, DatabaseDevices(metadata)).test_client())
    def upload(host, seed):
        _, payload = payload_for(seed)
        return post(host, "/v1/photos", payload, now=time.time())

    assert upload(hosts[0], 1).status_code == 201
    assert upload(hosts[1], 2).status_code == 201
    assert admin.revoke_device(DEVICE_ID, time.time())
    for seed, host in enumerate(hosts, start=3):
        answer = upload(host, seed)
        assert (answer.status_code, answer.json["error"]) == (401, "bad_signature")
    assert admin.add_device(DEVICE_ID, bytes(range(7, 39)), "booth", None, time.time(), replace=True)
    _, payload = payload_for(9)
    assert post(hosts[1], "/v1/photos", payload, key=bytes(range(7, 39)), now=time.time()).status_code == 201
    for metadata in [*pools, admin]:
        metadata.close()


def test_photo_bytes_in_postgres_share_the_rows_transaction(database, tmp_path):
    settings = IngestSettings(data_dir=tmp_path, database_url=database, photo_storage="database")
    PostgresMetadata(database).migrate()
    metadata, photos = open_storage(settings)
    assert isinstance(photos, DatabasePhotos)
    data, payload = payload_for(5)
    app = create_app(settings, metadata, photos, {DEVICE_ID: DEVICE_KEY})
    assert post(app.test_client(), "/v1/photos", payload, now=time.time()).status_code == 201
    sha = payload["binding"]["sha256"]
    assert photos.read(sha) == data
    assert not (tmp_path / "photos").exists()  # no file system involved
    path, written, _ = export_school(metadata, photos, "10403", tmp_path / "out")
    assert written == 1 and path.exists()
    metadata.close()


def test_no_devices_anywhere_is_a_clear_error(database, tmp_path):
    PostgresMetadata(database).migrate()
    settings = IngestSettings(data_dir=tmp_path, database_url=database, keys_file=tmp_path / "none.toml")
    with pytest.raises(SettingsError, match="device add"):
        app_from_settings(settings)


def test_migrate_command_from_three_processes_at_once(database):
    import subprocess
    import sys

    command = [sys.executable, "-m", "appliance", "serve-ingest", "migrate", "--database-url", database]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    said = sorted(out for out, _ in outputs)
    assert sum("migrated to version" in out for out in said) == 1, said
    assert sum("nothing to do" in out for out in said) == 2, said
