"""The adapters `appliance run` puts behind the session's ports, and its settings assembly."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from appliance.binding.binder import CodeBinder
from appliance.binding.code_reader import BoundStudent, QrCodeReader
from appliance.binding.collection_run import CollectionRun
from appliance.binding.decoders import PlainCodeDecoder
from appliance.binding.phone_photo import PhoneShot, render_phone_photo
from appliance.capture.camera.base import Frame
from appliance.cli.run import run_settings
from appliance.errors import SettingsError, split_message
from appliance.inference.guidance import first_failure
from appliance.session.ports import CodeRejected, Product, Receipt
from appliance.settings import Settings
from appliance.store.photo_sink import StorePhotoSink
from appliance.store.photo_store import PhotoStore
from appliance.web.console_settings import CONSOLE_SETTINGS_FILE

CODE = "c8bade99b9b2edca"


def check(id_: str, passed: bool) -> SimpleNamespace:
    return SimpleNamespace(id=id_, passed=passed)


def test_first_failure_keeps_the_engines_order_and_skips_advisory_checks() -> None:
    checks = [check("face_count", True), check("framing_distance", False), check("pose_yaw", False)]
    assert first_failure(checks).id == "framing_distance"
    assert first_failure(checks, {"framing_distance"}).id == "pose_yaw"
    assert first_failure(checks, {"framing_distance", "pose_yaw"}) is None


def reader(session_code: str) -> QrCodeReader:
    codes = Settings().codes.model_copy(update={"school_code": "10403"})  # plain codes need the booth's school
    binder = CodeBinder(codes, [PlainCodeDecoder()], captured_lookup=lambda _key: None)
    return QrCodeReader(binder, CollectionRun(session_code), "zxing")


def phone(payload: str | None) -> Frame:
    """A guidance frame of a phone showing `payload` as a QR code (None: a blank screen)."""
    return Frame(render_phone_photo(payload, PhoneShot(module_px=4.0, frame_size=(640, 360)), np.random.default_rng(1)))


def test_code_reader_binds_a_capture_code_to_the_active_run() -> None:
    result = reader("26031601").read(phone(CODE))
    assert isinstance(result, BoundStudent)
    assert result.capture_code == CODE and result.binding.session_code == "26031601"


def test_code_reader_explains_refusals_in_both_languages() -> None:
    foreign = reader("26031601").read(phone("https://example.com/pay"))
    assert isinstance(foreign, CodeRejected)
    assert foreign.reason_zh and foreign.reason_en and foreign.reason_zh != foreign.reason_en
    no_run = reader("").read(phone(CODE))
    assert isinstance(no_run, CodeRejected)
    assert reader("26031601").read(phone(None)) is None
    assert split_message("只有中文") == ("只有中文", "只有中文")


def test_store_sink_commits_and_returns_a_masked_receipt(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "store")
    sink = StorePhotoSink(store, tmp_path / "store")
    binding = reader("26031601").read(phone(CODE))
    jpeg = cv2.imencode(".jpg", np.full((640, 480, 3), 128, np.uint8))[1].tobytes()
    receipt = sink.commit(binding, Product(True, jpeg, report={"verdict": "pass"}))
    assert receipt["capture_code"] == "c8ba********edca" and receipt["session"] == "26031601"
    photo = Path(receipt["photo"])
    assert photo.is_absolute() and hashlib.sha256(photo.read_bytes()).hexdigest() == receipt["sha256"]
    assert set(receipt) == Receipt.__required_keys__ and receipt["bytes"] == len(jpeg)  # the typed seam
    with pytest.raises(ValueError):
        sink.commit(binding, Product(True, None))


def args(data: Path, demo: bool = False) -> argparse.Namespace:
    return argparse.Namespace(settings=None, demo=demo, data=data, host=None, port=1234)


def test_run_settings_take_the_data_folder_port_and_the_consoles_recorded_changes(tmp_path: Path) -> None:
    (tmp_path / CONSOLE_SETTINGS_FILE).write_text(json.dumps({"checks": {"pose": {"max_yaw_deg": 7.5}}}))
    settings = run_settings(args(tmp_path))
    assert settings.store.dir == tmp_path.resolve() / "store"
    assert settings.web.port == 1234 and settings.checks.pose.max_yaw_deg == 7.5
    demo = run_settings(args(tmp_path, demo=True))
    assert demo.capture.camera.kind == "demo" and demo.capture.button.kind == "simulated"
    assert not demo.session.liveness.required
    (tmp_path / CONSOLE_SETTINGS_FILE).write_text(json.dumps({"checks": {"pose": {"max_yaw_deg": 99}}}))
    with pytest.raises(SettingsError, match="max_yaw_deg"):
        run_settings(args(tmp_path))
