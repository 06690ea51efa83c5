"""The server's systemd unit and gunicorn config: gunicorn really starts the app from them, takes
a signed upload, stops on SIGTERM; the unit never migrates the schema on start."""

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from appliance.testing.unit_files import one, parse_unit
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, make_jpeg
from appliance.uplink.client import CollectionClient

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "systemd" / "serve-ingest.gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")


pytestmark = [pytest.mark.subprocess, pytest.mark.systemd]


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unit_runs_gunicorn_with_the_repo_config_and_never_migrates():
    unit = parse_unit(REPO / "systemd" / "appliance-ingest.service")
    service = unit["Service"]
    command = one(service, "ExecStart")
    assert command.split()[0].endswith("/.venv/bin/gunicorn")
    assert command.endswith("/systemd/serve-ingest.gunicorn.conf.py") and CONF.exists()
    assert "migrate" not in " ".join([*service.get("ExecStartPre", []), command])
    assert "APPLIANCE_INGEST_CONFIG=/etc/appliance/ingest.toml" in service["Environment"]
    assert one(service, "ProtectSystem") == "strict" and one(service, "NoNewPrivileges") == "yes"
    assert one(service, "Restart") == "always"


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn not installed")
def test_gunicorn_serves_the_app_from_the_config(tmp_path):
    (tmp_path / "keys.toml").write_text(f'"{DEVICE_ID}" = "{DEVICE_KEY.hex()}"\n')
    (tmp_path / "ingest.toml").write_text(
        f'data_dir = "{tmp_path / "srv"}"\nkeys_file = "{tmp_path / "keys.toml"}"\n'
    )
    port = free_port()
    env = {**os.environ, "APPLIANCE_INGEST_CONFIG": str(tmp_path / "ingest.toml"),
           "APPLIANCE_INGEST_BIND": f"127.0.0.1:{port}", "APPLIANCE_INGEST_WORKERS": "2"}
    process = subprocess.Popen([str(GUNICORN), "--config", str(CONF)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/v1/health", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not answer: {process.stderr.read1(2000)!r}")
        photo = make_jpeg(4)
        payload = {
            "binding": {
                "sha256": hashlib.sha256(photo).hexdigest(), "session_code": "s1", "school_code": "10403",
                "capture_code": "c8bade99b9b2edca", "device_id": DEVICE_ID, "captured_at": time.time(),
                "accepted_at": time.time(), "size_bytes": len(photo),
            },
            "report": {}, "photo_jpeg_base64": base64.b64encode(photo).decode(),
        }
        client = CollectionClient(url, DEVICE_ID, DEVICE_KEY, timeout_s=10)
        assert client.post_json("/v1/photos", payload).status == 201
        assert client.post_json("/v1/photos", payload).status == 200
        for _ in range(6):  # spread over both workers: /metrics adds them up whichever answers
            assert client.post_json("/v1/photos", payload).status == 200
        with urllib.request.urlopen(url + "/metrics", timeout=5) as answer:
            text = answer.read().decode()
        assert 'ingest_uploads_total{result="stored"} 1.0' in text
        assert 'ingest_uploads_total{result="duplicate"} 7.0' in text
        assert "ingest_database_up 1.0" in text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
