"""The QR scanner on synthetic phone-screen frames (perspective, glare, moire, blur, JPEG)."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.binding.phone_photo import PhoneShot, random_shot, render_phone_photo
from appliance.binding.reference_format import ReferenceCodec, sample_fields
from appliance.capture.qr import ScannerUnavailableError, ensure_engine_available, scan_qr
from appliance.errors import ImageError


def _payload(seed: int) -> str:
    codec = ReferenceCodec({"K1": bytes(range(32))})
    return codec.encode(sample_fields(np.random.default_rng(seed)), "K1")


@pytest.mark.parametrize("module_px", [2.5, 3.0, 4.0, 6.0])
def test_reads_phone_screen_frames_with_every_impairment(module_px: float) -> None:
    rng = np.random.default_rng(int(module_px * 10))
    payload = _payload(int(module_px * 10))
    shot = PhoneShot(
        module_px=module_px, rotation_deg=20, tilt=0.1, glare=0.35, moire=0.15,
        blur_sigma=0.6, noise_sigma=3, jpeg_quality=60,
    )
    frame = render_phone_photo(payload, shot, rng)
    found = scan_qr(frame)
    assert [r.text for r in found] == [payload]
    corners = np.array(found[0].corners)
    assert corners.shape == (4, 2)
    assert (corners >= 0).all() and (corners[:, 0] <= 1280).all() and (corners[:, 1] <= 720).all()


def test_combined_scanner_beats_plain_zxing_on_small_modules() -> None:
    """The retries exist because plain zxing misses 2.5 px frames; they must recover most of them."""
    rng = np.random.default_rng(3)
    frames = []
    for index in range(12):
        payload = _payload(100 + index)
        frames.append((payload, render_phone_photo(payload, random_shot(rng, 2.5), rng)))
    combined = sum(any(r.text == p for r in scan_qr(f)) for p, f in frames)
    plain = sum(any(r.text == p for r in scan_qr(f, "zxing")) for p, f in frames)
    assert combined >= 11
    assert combined > plain


def test_frame_without_code_gives_empty_list() -> None:
    rng = np.random.default_rng(5)
    assert scan_qr(render_phone_photo(None, random_shot(rng, 4.0), rng)) == []


def test_grayscale_and_bgra_frames_are_accepted() -> None:
    rng = np.random.default_rng(6)
    payload = _payload(6)
    frame = render_phone_photo(payload, PhoneShot(module_px=4.0), rng)
    gray = frame.mean(axis=2).astype(np.uint8)
    bgra = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    assert scan_qr(gray)[0].text == payload
    assert scan_qr(bgra)[0].text == payload


@pytest.mark.parametrize("bad", [np.zeros((0, 0), np.uint8), np.zeros((10, 10), np.float32), "frame"])
def test_non_images_raise_image_error(bad: object) -> None:
    with pytest.raises(ImageError):
        scan_qr(bad)  # type: ignore[arg-type]


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown QR engine"):
        scan_qr(np.zeros((10, 10), np.uint8), "magic")  # type: ignore[arg-type]


def test_pyzbar_engine_reads_a_clean_frame() -> None:
    try:
        ensure_engine_available("pyzbar")
    except ScannerUnavailableError as exc:
        pytest.skip(f"zbar not installed here: {exc}")
    rng = np.random.default_rng(8)
    payload = _payload(8)
    frame = render_phone_photo(payload, PhoneShot(module_px=5.0), rng)
    found = scan_qr(frame, "pyzbar")
    assert found and found[0].text == payload and found[0].engine == "pyzbar"
