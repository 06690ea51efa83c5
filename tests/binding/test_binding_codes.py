"""Decoding and validating capture codes: every bad input gets its own refusal."""

from __future__ import annotations

import base64
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from appliance.binding import errors
from appliance.binding.binder import CodeBinder
from appliance.binding.config import CodesSettings
from appliance.binding.decoders import decode_payload, load_decoders
from appliance.binding.model import CodeFields, PriorCapture
from appliance.binding.reference_format import ReferenceCodec, sample_fields
from appliance.binding.roster import Roster, RosterEntry
from appliance.errors import SettingsError
from appliance.settings import settings_from_dict

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
FEATURE = "5f3a9c0e1b2d4f6a8c0e1b2d"
SESSION = "26031601"


def _settings(**extra: object) -> CodesSettings:
    data = {"reference_keys": {"K1": KEY.hex()}, "school_feature_codes": [FEATURE], "school_code": "10403", **extra}
    return CodesSettings.model_validate(data)


def _binder(settings: CodesSettings | None = None, lookup=lambda key: None) -> CodeBinder:
    settings = settings or _settings()
    return CodeBinder(settings, load_decoders(settings, lambda: []), lookup)


def _fields(**overrides: str) -> CodeFields:
    return sample_fields(np.random.default_rng(1), name="黄小正", **overrides)


def _code(fields: CodeFields | None = None, key: bytes = KEY, key_id: str = "K1") -> str:
    return ReferenceCodec({key_id: key}).encode(fields or _fields(), key_id)


def test_reference_code_round_trip_binds_with_masked_display() -> None:
    fields = _fields()
    binding = _binder().bind(_code(fields), SESSION)
    assert binding.format == "reference"
    assert binding.fields == fields
    assert binding.key == fields.capture_code
    assert binding.display["name"] == "黄*正"
    assert binding.display["id_number"].endswith(fields.id_number[-4:])
    assert fields.id_number not in str(binding.display.values())
    assert not binding.retake_needed
    assert "黄小正" not in repr(binding) and fields.id_number not in repr(binding)


def test_lower_case_payload_is_read_too() -> None:
    fields = _fields()
    assert _binder().bind(_code(fields).lower(), SESSION).fields == fields


def test_plain_code_binds_without_fields() -> None:
    binding = _binder().bind("C8BADE99B9B2EDCA", SESSION)
    assert binding.format == "plain"
    assert binding.fields.capture_code == "c8bade99b9b2edca"
    assert binding.display == {"capture_code": "c8ba********edca", "school_code": "10403"}


def _refusal(payload: str, binder: CodeBinder | None = None, session: str | None = SESSION, **kw) -> type:
    with pytest.raises(errors.CodeRejected) as caught:
        (binder or _binder()).bind(payload, session, **kw)
    message = str(caught.value)
    assert " / " in message and message[0] > "\u2e80", "Chinese first, then English"
    return type(caught.value)


def _flip(text: str, index: int) -> str:
    swapped = "B" if text[index] != "B" else "C"
    return text[:index] + swapped + text[index + 1 :]


def test_every_bad_input_has_its_own_refusal() -> None:
    good = _code()
    cases = {
        "": errors.EmptyCode,
        "https://example.edu.cn/photo": errors.ForeignUrlCode,
        "wxp://f2f0abcdefg": errors.ForeignPaymentCode,
        "https://qr.alipay.com/fkx12345": errors.ForeignPaymentCode,
        "hello world": errors.ForeignCode,
        _code(key=OTHER_KEY): errors.WrongKey,
        _code(key_id="K9"): errors.UnknownKeyId,
        _flip(good, len(good) - 5): errors.TamperedCode,
        good[:-40]: errors.TruncatedCode,
        good.split(":")[0] + ":K1": errors.TruncatedCode,
        "GPC2:K1:ABCDEFGH": errors.UnsupportedCodeVersion,
        good + "AAAAAAAA": errors.TamperedCode,
        _code(_fields(feature_code="0" * 24)): errors.WrongSchool,
        _code(_fields(session="26031702")): errors.WrongSession,
    }
    seen = {}
    for payload, expected in cases.items():
        assert _refusal(payload) is expected, payload[:20]
        seen[expected] = expected.message
    assert len(set(seen.values())) == len(seen), "each reason has its own message"


def test_tampering_anywhere_in_the_body_is_detected() -> None:
    good = _code()
    start = len("GPC1:K1:")
    for index in range(start + 8, len(good) - 1, 23):  # past the key check, through nonce, text, tag
        assert _refusal(_flip(good, index)) in (errors.TamperedCode, errors.TruncatedCode)


def test_authenticated_but_malformed_content_is_refused() -> None:
    codec = ReferenceCodec({"K1": KEY})
    bad = CodeFields(capture_code="not-hex", name="x", id_number="1")
    assert _refusal(codec.encode(bad, "K1")) is errors.InvalidCodeContent


def test_no_active_session_is_refused_before_decoding() -> None:
    assert _refusal(_code(), session=None) is errors.NoActiveSession


def test_roster_match_fills_plain_code_and_refuses_strangers() -> None:
    entry = RosterEntry("2022001234", "李四", "11010519491231002X", capture_code="c8bade99b9b2edca")
    roster = Roster([entry])
    binding = _binder().bind("c8bade99b9b2edca", SESSION, roster)
    assert binding.fields.name == "李四" and binding.display["name"] == "李*"
    assert _refusal("0123456789abcdef", roster=roster) is errors.NotInRoster
    relaxed = _binder(_settings(require_roster_match=False))
    assert relaxed.bind("0123456789abcdef", SESSION, roster).fields.name == ""


def test_already_captured_code_asks_for_a_retake() -> None:
    prior = PriorCapture(photo_id="p-1", captured_at="2026-03-16T09:00:00+08:00", server_confirmed=False)
    asked: list[str] = []

    def lookup(key: str) -> PriorCapture | None:
        asked.append(key)
        return prior

    binding = _binder(lookup=lookup).bind("c8bade99b9b2edca", SESSION)
    assert asked == ["c8bade99b9b2edca"]
    assert binding.retake_needed and binding.retake_of == prior


class _UnitDecoder:
    name = "unit"

    def __init__(self, options: dict) -> None:
        self.prefix = options.get("prefix", "UNIT:")

    def decode(self, payload: str) -> CodeFields | None:
        if not payload.startswith(self.prefix):
            return None
        if payload.endswith("boom"):
            raise RuntimeError("unit decoder bug")
        return CodeFields(capture_code=payload[len(self.prefix):])


def _entry_points() -> list[EntryPoint]:
    return [EntryPoint("unit", f"{__name__}:_UnitDecoder", "appliance.code_decoders")]


def test_plugin_decoder_from_entry_point() -> None:
    settings = _settings(decoders=["unit", "plain"], decoder_options={"unit": {"prefix": "U:"}})
    decoders = load_decoders(settings, _entry_points)
    assert decode_payload("U:0123456789abcdef", decoders)[0] == "unit"
    with pytest.raises(errors.DecoderFailed):
        decode_payload("U:boom", decoders)


def test_unknown_decoder_name_stops_start_up() -> None:
    with pytest.raises(SettingsError, match="no decoder named 'missing'"):
        load_decoders(_settings(decoders=["missing"]), _entry_points)


def test_settings_refuse_bad_keys_without_printing_them() -> None:
    secret = "zz" + "1" * 62
    with pytest.raises(SettingsError) as caught:
        settings_from_dict({"codes": {"reference_keys": {"K1": secret}}})
    assert "codes.reference_keys" in str(caught.value) and secret not in str(caught.value)
    with pytest.raises(SettingsError):
        settings_from_dict({"codes": {"school_feature_codes": ["xyz"]}})
    loaded = settings_from_dict({"codes": {"reference_keys": {"K1": KEY.hex()}}})
    assert KEY.hex() not in repr(loaded) and loaded.codes.key_bytes() == {"K1": KEY}


def test_key_rotation_reads_codes_of_old_and_new_keys() -> None:
    settings = CodesSettings.model_validate(
        {"reference_keys": {"K1": KEY.hex(), "K2": OTHER_KEY.hex()}, "school_feature_codes": [FEATURE]}
    )
    binder = _binder(settings)
    old, new = _code(key=KEY, key_id="K1"), _code(key=OTHER_KEY, key_id="K2")
    assert binder.bind(old, SESSION).fields == binder.bind(new, SESSION).fields


def test_format_is_qr_alphanumeric() -> None:
    text = _code()
    allowed = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(text) <= allowed
    body = text.split(":")[2]
    assert len(base64.b32decode(body + "=" * (-len(body) % 8))) > 34
