"""The collection server's HTTP face (Flask): the routes of docs/openapi.yaml.

Every refusal is JSON `{"error": code, "message": text}` with a specific status, and every answer
carries X-Server-Time so a booth with a wrong clock can correct itself. A 201 is sent only after
the photo and its row are both durable; a repeat of the same sha256 answers 200 "duplicate". A
database that cannot be reached is a 503 for that request only (the booth retries).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from appliance.ingest.auth import AuthError, authenticate
from appliance.ingest.config import IngestSettings
from appliance.ingest.devices import DeviceRegistry, FixedDevices
from appliance.ingest.metadata import Heartbeat, Metadata, MetadataError, ServerPhoto
from appliance.ingest.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from appliance.ingest.metrics import IngestMetrics
from appliance.ingest.payloads import HeartbeatRequest, ReviewDecision, ReviewQuery, UploadRequest, describe_invalid
from appliance.ingest.photo_check import jpeg_problem
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.photo_storage import FilePhotos, PhotoStorage
from appliance.privacy import mask_code
from appliance.uplink.signing import HEADER_SERVER_TIME

log = logging.getLogger(__name__)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"error": code, "message": message})


def _parse(model: type[BaseModel], body: bytes) -> Any:
    """pydantic's own JSON parser: it bounds nesting depth (a 100k-deep body is a 400, not a
    RecursionError) and builds the model without an intermediate tree of Python objects."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] in ("json_invalid", "json_type", "recursion_loop"):
            raise _Refusal(400, "malformed_json", f"body is not valid JSON: {first['msg']}") from None
        raise _Refusal(422, "invalid", describe_invalid(first)) from None


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def create_app(
    settings: IngestSettings,
    metadata: Metadata,
    photos: PhotoStorage | PhotoFiles,
    devices: DeviceRegistry | Mapping[str, bytes],
    clock: Callable[[], float] = time.time,
) -> Flask:
    """`photos` may be a bare PhotoFiles folder and `devices` a fixed id -> key mapping (tests,
    single tools); production passes the storage and the database's device registry."""
    app = Flask("appliance.ingest")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    if isinstance(photos, PhotoFiles):
        photos = FilePhotos(photos, metadata)
    if isinstance(devices, Mapping):
        devices = FixedDevices(devices, settings.reviewer_ids)
    metrics = IngestMetrics(metadata)
    app.extensions["appliance.ingest"] = {"metadata": metadata}  # for whoever closes the app's pool

    def refused(status: int, code: str, message: str) -> Response:
        metrics.refusals.labels(code).inc()
        return _error(status, code, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = {413: "too_large", 404: "not_found", 405: "method_not_allowed"}.get(exc.code or 500, "http")
        return refused(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(_Refusal)
    def refusal(exc: _Refusal) -> Response:
        return refused(exc.status, exc.code, str(exc))

    @app.errorhandler(MetadataError)
    def database_down(exc: MetadataError) -> Response:
        log.warning("%s", exc)
        answer = refused(503, "unavailable", "the server's database is unavailable; retry later")
        answer.headers["Retry-After"] = "5"
        return answer

    @app.errorhandler(AuthError)
    def auth_error(exc: AuthError) -> Response:
        return refused(exc.status, exc.code, str(exc))

    @app.after_request
    def server_time(response: Response) -> Response:
        response.headers[HEADER_SERVER_TIME] = f"{clock():.3f}"
        return response

    def signed_json_body() -> bytes:
        """Size, content type and signature, in that order; returns the raw body."""
        if request.content_length is not None and request.content_length > settings.max_body_bytes:
            raise _Refusal(413, "too_large", f"body larger than {settings.max_body_bytes} bytes")
        if request.mimetype != "application/json":
            raise _Refusal(415, "unsupported_media_type", "Content-Type must be application/json")
        body = request.get_data(cache=True)
        g.device_id = authenticate(
            request.headers, request.method, request.path, body, devices.key_of, metadata, clock(),
            settings.max_skew_s,
        )
        return body

    @app.get("/v1/health")
    def health() -> Response:
        """What a load balancer asks: 503 while this host cannot reach its database, so booths are
        sent to a host that can take their photos."""
        try:
            metadata.ping()
        except MetadataError:
            return _json(503, {"status": "database_unavailable", "server_time": clock()})
        return _json(200, {"status": "ok", "server_time": clock()})

    @app.post("/v1/photos")
    def upload() -> Response:
        payload: UploadRequest = _parse(UploadRequest, signed_json_body())
        binding = payload.binding
        if binding.device_id != g.device_id:
            raise _Refusal(403, "wrong_device", "binding.device_id is not the signing device")
        # The bytes are checked against their hash and the caller's rights before anything about a
        # stored photo is answered: a sha256 alone proves nothing.
        try:
            photo = base64.b64decode(payload.photo_jpeg_base64, validate=True)
        except (binascii.Error, ValueError):
            raise _Refusal(422, "invalid", "photo_jpeg_base64 is not base64") from None
        if hashlib.sha256(photo).hexdigest() != binding.sha256:
            raise _Refusal(422, "sha256_mismatch", "the photo's sha256 differs from binding.sha256")
        if len(photo) != binding.size_bytes:
            raise _Refusal(422, "size_mismatch", "the photo's size differs from binding.size_bytes")
        _check_times(binding.captured_at, binding.accepted_at, clock())
        existing = metadata.get(binding.sha256)
        if existing is not None:
            receipt = _receipt("duplicate", _same_binding(existing, binding))
            metrics.uploads.labels("duplicate").inc()
            return _json(200, receipt)
        problem = jpeg_problem(photo)
        if problem is not None:
            raise _Refusal(422, "not_jpeg", problem)
        record = ServerPhoto(
            sha256=binding.sha256, device_id=binding.device_id, session_code=binding.session_code,
            school_code=binding.school_code, capture_code=binding.capture_code,
            personal=payload.personal.model_dump(exclude_none=True) if payload.personal else None,
            report=payload.report, captured_at=binding.captured_at, accepted_at=binding.accepted_at,
            received_at=clock(), size_bytes=len(photo), review_state="pending", review_reason=None,
            reviewed_at=None,
        )
        stored = photos.store(record, photo)
        if not stored:  # an overlapping upload of the same bytes got there first
            existing = metadata.get(binding.sha256)
            record = _same_binding(existing, binding) if existing is not None else record
        log.info(
            "photo %s for %s from %s: %s", binding.sha256[:12], mask_code(binding.capture_code),
            binding.device_id, "stored" if stored else "duplicate",
        )
        metrics.uploads.labels("stored" if stored else "duplicate").inc()
        return _json(201 if stored else 200, _receipt("stored" if stored else "duplicate", record))

    @app.post("/v1/heartbeat")
    def heartbeat() -> Response:
        beat: HeartbeatRequest = _parse(HeartbeatRequest, signed_json_body())
        metadata.record_heartbeat(Heartbeat(device_id=g.device_id, received_at=clock(), **beat.model_dump()))
        return _json(200, {"status": "ok", "server_time": clock()})

    @app.get("/metrics")
    def prometheus() -> Response:
        """Unsigned, like /v1/health: no personal data (device ids and counts only); keep it off
        the public listener at the reverse proxy (docs/deploying-serve-ingest.md)."""
        return Response(metrics.exposition(), mimetype=None, content_type=METRICS_CONTENT_TYPE)

    @app.post("/v1/reviews/query")
    def reviews() -> Response:
        query: ReviewQuery = _parse(ReviewQuery, signed_json_body())
        rows = metadata.reviews(g.device_id, query.sha256)
        found = [{"sha256": sha, "state": state, "reason": reason} for sha, state, reason in rows]
        return _json(200, {"reviews": found})

    @app.post("/v1/reviews/decide")
    def decide() -> Response:
        decision: ReviewDecision = _parse(ReviewDecision, signed_json_body())
        if not devices.is_reviewer(g.device_id):
            raise _Refusal(403, "not_reviewer", "this key may not record review decisions")
        if not metadata.set_review(decision.sha256, decision.state, decision.reason, clock()):
            raise _Refusal(404, "not_found", "no photo with this sha256")
        return _json(200, {"sha256": decision.sha256, "state": decision.state, "reason": decision.reason})

    return app


# A booth without RTC or NTP can say 1975; such a time would misdate the photo in every export.
EARLIEST_CAPTURE_TIME = 1_577_836_800.0  # 2020-01-01 UTC, before any booth of this product
LATEST_AHEAD_S = 7 * 86400.0  # a booth clock ahead by days is wrong, but its photo is still real


def _check_times(captured_at: float, accepted_at: float, now: float) -> None:
    for name, value in (("captured_at", captured_at), ("accepted_at", accepted_at)):
        if not EARLIEST_CAPTURE_TIME <= value <= now + LATEST_AHEAD_S:
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(value))
            raise _Refusal(
                422, "bad_time",
                f"binding.{name} is {when} UTC, outside the sane window (from 2020-01-01 to 7 days"
                " after the server's time): set the booth's clock (NTP) / 采集机时间不正确，请校准时间",
            )


def _same_binding(existing: ServerPhoto, binding: Any) -> ServerPhoto:
    """The stored photo if this is a repeat of the same upload; a 409 if the same bytes are stored
    for another device or another student (nothing about that photo is revealed)."""
    same = (existing.device_id, existing.capture_code, existing.school_code, existing.session_code) == (
        binding.device_id, binding.capture_code, binding.school_code, binding.session_code,
    )
    if not same:
        raise _Refusal(
            409, "photo_conflict",
            "these exact photo bytes are already stored under another binding; a photo belongs to one"
            " student: take a new photo / 该照片已属于其他采集记录，请重新拍摄",
        )
    return existing


def _receipt(status: str, photo: ServerPhoto) -> dict[str, Any]:
    return {
        "status": status,
        "sha256": photo.sha256,
        "received_at": photo.received_at,
        "review_state": photo.review_state,
        "reason": photo.review_reason,
    }
