"""The collection server on a temporary folder, as a Flask test client, for the ingest tests."""

from __future__ import annotations

import pytest

from appliance.ingest.config import IngestSettings
from appliance.ingest.metadata import SqliteMetadata
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.server import create_app
from appliance.testing.ingest_requests import NOW
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, REVIEWER_ID, REVIEWER_KEY


@pytest.fixture()
def server(tmp_path):
    settings = IngestSettings(data_dir=tmp_path, reviewer_ids=[REVIEWER_ID], max_body_bytes=200_000)
    metadata = SqliteMetadata(tmp_path / "ingest.db")
    metadata.migrate()
    files = PhotoFiles(tmp_path / "photos")
    keys = {DEVICE_ID: DEVICE_KEY, REVIEWER_ID: REVIEWER_KEY}
    app = create_app(settings, metadata, files, keys, clock=lambda: NOW)
    return app.test_client(), metadata, files
