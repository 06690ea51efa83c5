"""The subject's receipt names the file the store really committed, also when it is encrypted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.binding.code_reader import BoundStudent
from appliance.binding.model import Binding, CodeFields
from appliance.session.ports import Product
from appliance.store.cipher import AesGcmCipher
from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_sink import StorePhotoSink
from appliance.store.photo_store import PhotoStore

KEY = bytes(range(32))


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_receipt_photo_is_the_absolute_path_of_the_committed_file(tmp_path: Path, monkeypatch, encrypted) -> None:
    monkeypatch.chdir(tmp_path)  # a relative store folder must still give an absolute path
    store = PhotoStore(Path("store"), cipher=AesGcmCipher(KEY) if encrypted else None,
                       disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))
    student = BoundStudent(Binding("plain", "26031601", CodeFields(capture_code="c8bade99b9b2edca")))
    jpeg = cv2.imencode(".jpg", np.full((640, 480, 3), 128, np.uint8))[1].tobytes()
    receipt = StorePhotoSink(store).commit(student, Product(True, jpeg, report={"verdict": "pass"}))
    photo = Path(receipt["photo"])
    assert photo.is_absolute() and photo.is_file()
    assert photo == store.photo_path(receipt["sha256"])
    assert photo.name.endswith(".jpg.enc" if encrypted else ".jpg")
    stored = photo.read_bytes()
    if encrypted:
        assert hashlib.sha256(stored).hexdigest() != receipt["sha256"]  # sealed on disk
        assert AesGcmCipher(KEY).open(stored) == jpeg
    else:
        assert hashlib.sha256(stored).hexdigest() == receipt["sha256"]
    store.close()
