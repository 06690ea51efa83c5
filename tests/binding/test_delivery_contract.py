"""One delivery contract for every way a student is bound: what the booth accepts at scan time is
exactly what the collection server files (appliance/binding/contract.py, docs/openapi.yaml)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from appliance.binding import errors
from appliance.binding.binder import CodeBinder
from appliance.binding.code_reader import BoundStudent
from appliance.binding.config import CodesSettings
from appliance.binding.decoders import load_decoders
from appliance.binding.model import CodeFields
from appliance.binding.reference_format import ReferenceCodec, sample_fields
from appliance.binding.roster import Roster, RosterEntry
from appliance.ingest.payloads import UploadRequest, describe_invalid
from appliance.session.ports import Product
from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_sink import StorePhotoSink
from appliance.store.photo_store import PhotoStore
from appliance.testing.uplink_fixtures import make_jpeg

KEY = bytes(range(32))
SESSION = "26031601"


class _UnitDecoder:
    """A collection unit's plug-in: `UNIT:<capture code>[:<student number>]`."""

    name = "unit"

    def __init__(self, options: dict) -> None:
        pass

    def decode(self, payload: str) -> CodeFields | None:
        if not payload.startswith("UNIT:"):
            return None
        parts = payload.split(":")
        return CodeFields(capture_code=parts[1], student_number=parts[2] if len(parts) > 2 else "")


def _binder(school: str = "10403", **extra: object) -> CodeBinder:
    settings = CodesSettings.model_validate(
        {"reference_keys": {"K1": KEY.hex()}, "school_code": school, "decoders": ["reference", "unit", "plain"],
         **extra}
    )
    from importlib.metadata import EntryPoint

    points = [EntryPoint("unit", f"{__name__}:_UnitDecoder", "appliance.code_decoders")]
    return CodeBinder(settings, load_decoders(settings, lambda: points), lambda _key: None)


def _reference(**overrides: str) -> str:
    fields = sample_fields(np.random.default_rng(3), name="黄小正", **overrides)
    return ReferenceCodec({"K1": KEY}).encode(fields, "K1")


def _upload_of(binding, tmp_path) -> dict:
    """The exact body the booth's uplink would send for a photo bound this way."""
    store = PhotoStore(tmp_path / "store", disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))
    try:
        StorePhotoSink(store).commit(BoundStudent(binding), Product(True, make_jpeg(1), report={"verdict": "pass"}))
        item = store.due_uploads(now=1e10)[0]
    finally:
        store.close()
    body = {"binding": {**item.binding, "device_id": "booth-1"}, "report": item.report,
            "photo_jpeg_base64": "AAAA"}
    if item.personal:
        body["personal"] = item.personal
    return body


@pytest.mark.parametrize("payload", ["C8BADE99B9B2EDCA", "reference", "UNIT:0123456789ABCDEF", "login"])
def test_every_accepted_binding_is_a_valid_upload(payload: str, tmp_path) -> None:
    binder = _binder(allow_student_login=True)
    roster = Roster([RosterEntry("2022001234", "李四", "11010519491231002X")])
    if payload == "reference":
        binding = binder.bind(_reference(), SESSION)
    elif payload == "login":
        binding = binder.login("2022001234", "11010519491231002x", SESSION, roster)
    else:
        binding = binder.bind(payload, SESSION)
    body = _upload_of(binding, tmp_path)
    parsed = UploadRequest.model_validate(body)  # the server's own schema
    assert parsed.binding.school_code == "10403"
    assert parsed.binding.capture_code == binding.key
    personal = body.get("personal", {})
    assert "" not in personal.values(), "unknown personal fields are left out, never sent empty"
    if payload == "C8BADE99B9B2EDCA":
        assert "personal" not in body and parsed.binding.capture_code == "c8bade99b9b2edca"
    if payload == "reference":
        assert personal["name"] == "黄小正"
    if payload == "login":
        assert parsed.binding.capture_code == "student:2022001234"


def test_plain_code_without_a_school_code_is_refused_at_scan_time() -> None:
    with pytest.raises(errors.NoSchoolCode) as caught:
        _binder(school="").bind("c8bade99b9b2edca", SESSION)
    assert "codes.school_code" in str(caught.value) and str(caught.value)[0] > "\u2e80"
    # A code that carries its school needs no booth setting.
    assert _binder(school="").bind(_reference(), SESSION).fields.school_code == "10403"


def test_code_of_another_school_than_the_booths_is_refused() -> None:
    with pytest.raises(errors.WrongSchool):
        _binder(school="10001").bind(_reference(), SESSION)


@pytest.mark.parametrize("payload", ["UNIT:c8bade99", "UNIT:c8bade99b9b2edca:bad number!", "UNIT:"])
def test_plugin_output_outside_the_contract_is_refused_at_scan_time(payload: str) -> None:
    with pytest.raises(errors.InvalidCodeContent):
        _binder().bind(payload, SESSION)


def test_reference_code_with_a_malformed_student_number_is_refused_at_scan_time() -> None:
    with pytest.raises(errors.InvalidCodeContent):
        _binder().bind(_reference(student_number="2022 0012/34"), SESSION)


def test_plugin_capture_code_is_filed_lower_case() -> None:
    assert _binder().bind("UNIT:0123456789ABCDEF", SESSION).key == "0123456789abcdef"


def test_server_refusals_name_the_field_in_chinese_and_english(tmp_path) -> None:
    body = _upload_of(_binder().bind("c8bade99b9b2edca", SESSION), tmp_path)
    body["binding"]["school_code"] = ""
    with pytest.raises(ValidationError) as caught:
        UploadRequest.model_validate(body)
    message = describe_invalid(caught.value.errors()[0])
    assert message.startswith("binding.school_code: 学校代码") and "codes.school_code" in message


def test_server_takes_empty_personal_fields_as_unknown_and_passports() -> None:
    body = {"binding": {"sha256": "0" * 64, "session_code": SESSION, "school_code": "10403",
                        "capture_code": "c8bade99b9b2edca", "device_id": "b", "captured_at": 1, "accepted_at": 1,
                        "size_bytes": 1},
            "report": {}, "photo_jpeg_base64": "AAAA",
            "personal": {"name": "", "student_number": "", "id_number": "E12345678"}}
    parsed = UploadRequest.model_validate(body)
    assert parsed.personal.model_dump(exclude_none=True) == {"id_number": "E12345678"}
