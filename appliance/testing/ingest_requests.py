"""Signed requests to the collection server for its tests: an upload's payload and a signed POST."""

from __future__ import annotations

import base64
import hashlib
import json

from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, make_jpeg
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
