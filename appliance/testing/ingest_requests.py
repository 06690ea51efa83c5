"""The collection server for its tests: the app on a temporary folder as a Flask test client, an
upload's payload and a signed POST."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from appliance.ingest.config import IngestSettings
from appliance.ingest.metadata import SqliteMetadata
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.server import create_app
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, REVIEWER_ID, REVIEWER_KEY, make_jpeg
from appliance.uplink.signing import signed_headers

NOW = 1_800_000_000.0


def upload_payload(seed=1, capture="c8bade99b9b2edca", school="10403", device=DEVICE_ID):
    photo = make_jpeg(seed)
    return photo, {
        "binding": {
            "sha256": hashlib.sha256(photo).hexdigest(), "session_code": "26031601", "school_code": school,
            "capture_code": capture, "device_id": device, "captured_at": NOW - 5, "accepted_at": NOW - 4,
            "size_bytes": len(photo),
        },
        "report": {"verdict": "pass"},
        "photo_jpeg_base64": base64.b64encode(photo).decode(),
        "personal": {"student_number": f"S{seed:05d}"},
    }


def post(client, path, payload, *, device=DEVICE_ID, key=DEVICE_KEY, now=NOW, body=None, headers=None,
         content_type="application/json"):
    body = json.dumps(payload).encode() if body is None else body
    signed = signed_headers(device, key, "POST", path, body, now)
    signed.update(headers or {})
    return client.post(path, data=body, headers=signed, content_type=content_type)


def ingest_server(root: Path, max_body_bytes: int = 200_000, keys: dict[str, bytes] | None = None):
    """(Flask test client, metadata, photo files) of a server in `root` whose clock stands at NOW,
    knowing the test booth and reviewer (and `keys`)."""
    settings = IngestSettings(data_dir=root, reviewer_ids=[REVIEWER_ID], max_body_bytes=max_body_bytes)
    metadata = SqliteMetadata(root / "ingest.db")
    metadata.migrate()
    files = PhotoFiles(root / "photos")
    known = {DEVICE_ID: DEVICE_KEY, REVIEWER_ID: REVIEWER_KEY, **(keys or {})}
    app = create_app(settings, metadata, files, known, clock=lambda: NOW)
    return app.test_client(), metadata, files
