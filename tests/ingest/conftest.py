"""The collection server on a temporary folder, as a Flask test client, for the ingest tests."""

from __future__ import annotations

import pytest

from appliance.testing.ingest_requests import ingest_server


@pytest.fixture()
def server(tmp_path):
    return ingest_server(tmp_path)
