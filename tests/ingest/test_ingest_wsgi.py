"""The WSGI factories a production server calls (docs/deploying-serve-ingest.md): they build the
same signed-upload app from the settings file, or say in one line what is missing."""

import base64
import hashlib
import json
import time

import pytest

from appliance.errors import SettingsError
from appliance.ingest.wsgi import CONFIG_ENV, app_from_environment
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, make_jpeg
from appliance.uplink.signing import signed_headers


def test_factory_needs_the_config_variable(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(SettingsError, match=CONFIG_ENV):
        app_from_environment()


def test_factory_builds_an_app_that_stores_a_signed_upload(tmp_path, monkeypatch):
    (tmp_path / "keys.toml").write_text(f'"{DEVICE_ID}" = "{DEVICE_KEY.hex()}"\n')
    (tmp_path / "ingest.toml").write_text(f'data_dir = "{tmp_path / "srv"}"\nkeys_file = "{tmp_path / "keys.toml"}"\n')
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "ingest.toml"))
    client = app_from_environment().test_client()
    assert client.get("/v1/health").json["status"] == "ok"

    photo = make_jpeg(3)
    sha = hashlib.sha256(photo).hexdigest()
    binding = {"sha256": sha, "session_code": "26031601", "school_code": "10403",
               "capture_code": "c8bade99b9b2edca", "captured_at": 1.7e9, "accepted_at": 1.7e9,
               "size_bytes": len(photo), "device_id": DEVICE_ID}
    body = json.dumps(
        {"binding": binding, "report": {}, "photo_jpeg_base64": base64.b64encode(photo).decode()}
    ).encode()
    headers = signed_headers(DEVICE_ID, DEVICE_KEY, "POST", "/v1/photos", body, time.time())
    answer = client.post("/v1/photos", data=body, headers=headers, content_type="application/json")
    assert answer.status_code == 201, answer.json
    assert (tmp_path / "srv" / "photos" / sha[:2] / f"{sha}.jpg").read_bytes() == photo
