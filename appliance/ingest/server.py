"""The collection server's HTTP face (Flask): the routes of docs/openapi.yaml.

Every refusal is JSON `{"error": code, "message": text}` with a specific status, and every answer
carries X-Server-Time so a booth with a wrong clock can correct itself. A 201 is sent only after
the photo file and its row are both durable; a repeat of the same sha256 answers 200 "duplicate".
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
from appliance.ingest.metadata import Metadata, ServerPhoto
from appliance.ingest.payloads import ReviewDecision, ReviewQuery, UploadRequest, describe_invalid
from appliance.ingest.photo_files import PhotoFiles
from appliance.privacy import mask_code
from appliance.uplink.signing import HEADER_SERVER_TIME

log = logging.getLogger(__name__)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"error": code, "message": message})


def _parse(model: type[BaseModel], body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _Refusal(400, "malformed_json", "body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _Refusal(422, "invalid", describe_invalid(exc.errors()[0])) from None


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def create_app(
    settings: IngestSettings,
    metadata: Metadata,
    files: PhotoFiles,
    keys: Mapping[str, bytes],
    clock: Callable[[], float] = time.time,
) -> Flask:
    app = Flask("appliance.ingest")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    reviewers = set(settings.reviewer_ids)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = {413: "too_large", 404: "not_found", 405: "method_not_allowed"}.get(exc.code or 500, "http")
        return _error(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(_Refusal)
    def refusal(exc: _Refusal) -> Response:
        return _error(exc.status, exc.code, str(exc))

    @app.errorhandler(AuthError)
    def auth_error(exc: AuthError) -> Response:
        return _error(exc.status, exc.code, str(exc))

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
            request.headers, request.method, request.path, body, keys, metadata, clock(), settings.max_skew_s
        )
        return body

    @app.get("/v1/health")
    def health() -> Response:
        return _json(200, {"status": "ok", "server_time": clock()})

    @app.post("/v1/photos")
    def upload() -> Response:
        payload: UploadRequest = _parse(UploadRequest, signed_json_body())
        binding = payload.binding
        if binding.device_id != g.device_id:
            raise _Refusal(403, "wrong_device", "binding.device_id is not the signing device")
        existing = metadata.get(binding.sha256)
        if existing is not None:
            return _json(200, _receipt("duplicate", existing))
        try:
            photo = base64.b64decode(payload.photo_jpeg_base64, validate=True)
        except (binascii.Error, ValueError):
            raise _Refusal(422, "invalid", "photo_jpeg_base64 is not base64") from None
        if hashlib.sha256(photo).hexdigest() != binding.sha256:
            raise _Refusal(422, "sha256_mismatch", "the photo's sha256 differs from binding.sha256")
        if len(photo) != binding.size_bytes:
            raise _Refusal(422, "size_mismatch", "the photo's size differs from binding.size_bytes")
        if not (photo.startswith(b"\xff\xd8") and photo.rstrip(b"\0").endswith(b"\xff\xd9")):
            raise _Refusal(422, "not_jpeg", "the photo is not a complete JPEG")
        record = ServerPhoto(
            sha256=binding.sha256, device_id=binding.device_id, session_code=binding.session_code,
            school_code=binding.school_code, capture_code=binding.capture_code,
            personal=payload.personal.model_dump(exclude_none=True) if payload.personal else None,
            report=payload.report, captured_at=binding.captured_at, accepted_at=binding.accepted_at,
            received_at=clock(), size_bytes=len(photo), review_state="pending", review_reason=None,
            reviewed_at=None,
        )
        files.write(binding.sha256, photo)
        stored = metadata.insert_photo(record)
        log.info(
            "photo %s for %s from %s: %s", binding.sha256[:12], mask_code(binding.capture_code),
            binding.device_id, "stored" if stored else "duplicate",
        )
        return _json(201 if stored else 200, _receipt("stored" if stored else "duplicate", record))

    @app.post("/v1/reviews/query")
    def reviews() -> Response:
        query: ReviewQuery = _parse(ReviewQuery, signed_json_body())
        rows = metadata.reviews(g.device_id, query.sha256)
        found = [{"sha256": sha, "state": state, "reason": reason} for sha, state, reason in rows]
        return _json(200, {"reviews": found})

    @app.post("/v1/reviews/decide")
    def decide() -> Response:
        decision: ReviewDecision = _parse(ReviewDecision, signed_json_body())
        if g.device_id not in reviewers:
            raise _Refusal(403, "not_reviewer", "this key may not record review decisions")
        if not metadata.set_review(decision.sha256, decision.state, decision.reason, clock()):
            raise _Refusal(404, "not_found", "no photo with this sha256")
        return _json(200, {"sha256": decision.sha256, "state": decision.state, "reason": decision.reason})

    return app


def _receipt(status: str, photo: ServerPhoto) -> dict[str, Any]:
    return {
        "status": status,
        "sha256": photo.sha256,
        "received_at": photo.received_at,
        "review_state": photo.review_state,
        "reason": photo.review_reason,
    }
