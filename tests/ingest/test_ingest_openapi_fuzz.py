"""Property-based run (schemathesis) of docs/openapi.yaml against the collection server: positive
and negative bodies, each sent signed, unsigned and truncated; the server must never answer 500
and must only use the statuses the document lists."""

import json
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from appliance.ingest.config import IngestSettings
from appliance.ingest.metadata import SqliteMetadata
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.server import create_app
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, REVIEWER_ID, REVIEWER_KEY
from appliance.uplink.signing import signed_headers

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

schema = schemathesis.openapi.from_path(OPENAPI)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False, database="none"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    metadata = SqliteMetadata(root / "ingest.db")
    metadata.migrate()
    app = create_app(
        IngestSettings(data_dir=root, reviewer_ids=[REVIEWER_ID], max_body_bytes=50_000),
        metadata, PhotoFiles(root / "photos"), {DEVICE_ID: DEVICE_KEY, REVIEWER_ID: REVIEWER_KEY},
    )
    return app.test_client()


def documented(case, status):
    responses = case.operation.definition.raw.get("responses", {})
    return str(status) in responses


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_500_and_only_documented_statuses(case, client):
    path = case.formatted_path
    try:
        body = b"" if case.body is None or case.method == "GET" else json.dumps(case.body).encode()
    except (TypeError, ValueError):
        body = repr(case.body).encode()
    key_pairs = [(DEVICE_ID, DEVICE_KEY), (REVIEWER_ID, REVIEWER_KEY)]
    attempts = [(signed_headers(d, k, case.method, path, body, time.time()), body) for d, k in key_pairs]
    attempts.append(({}, body))  # unsigned
    if len(body) > 2:
        truncated = body[: len(body) // 2]
        headers = signed_headers(DEVICE_ID, DEVICE_KEY, case.method, path, truncated, time.time())
        attempts.append((headers, truncated))
    for headers, data in attempts:
        answer = client.open(path, method=case.method, data=data, headers=headers,
                             content_type="application/json" if case.method != "GET" else None)
        assert answer.status_code < 500, (answer.status_code, answer.get_data()[:300])
        if case.method.lower() != case.operation.method.lower():
            continue  # negative mode also tries other methods (OPTIONS, TRACE...): only "no 500" applies
        assert documented(case, answer.status_code), (answer.status_code, answer.get_data()[:300])
        assert answer.is_json, (case.method, path, answer.get_data()[:200])
