"""The standard photo made from real photographs: every CHSI rule, the refusals and the file format."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

FACES = Path(__file__).resolve().parents[3] / "shared" / "faces"
GOOD = FACES / "a_good_frontal" / "dpf_img29.jpg"
# Large, sharp, frontal sources whose products must meet every pixel rule (their subjects may
# still fail expression checks: those are the engine's verdict on the person, not on the layout).
LAYOUT_SOURCES = [
    "a_good_frontal/dpf_img29.jpg",
    "a_good_frontal/dpf_img18.jpg",
    "c_mouth_open_teeth/dpf_img13.jpg",
    "c_mouth_open_teeth/frec_biden2.jpg",
]
BLUE_BGR = np.array([255, 197, 100], np.float32)

pytestmark = [
    pytest.mark.faces,
    pytest.mark.skipif(not GOOD.exists(), reason=f"real face photographs not present at {FACES}"),
]


@pytest.fixture(scope="module")
def settings():
    from appliance.settings import load_settings

    return load_settings()


@pytest.fixture(scope="module")
def analyzer(settings):
    from appliance.app import build_analyzer

    return build_analyzer(settings)


@pytest.fixture(scope="module")
def good(analyzer, settings):
    from appliance.produce.photo import produce_photo

    source = cv2.imread(str(GOOD))
    return source, produce_photo(analyzer, source, settings)


def produce(analyzer, settings, bgr, **kwargs):
    from appliance.produce.photo import produce_photo

    return produce_photo(analyzer, bgr, settings, **kwargs)


def checks_by_id(result) -> dict:
    return {c.id: c for c in result.report.checks}


@pytest.mark.parametrize("name", LAYOUT_SOURCES)
def test_product_meets_every_pixel_rule(analyzer, settings, name):
    result = produce(analyzer, settings, cv2.imread(str(FACES / name)))
    assert result.report is not None, f"refused: {result.reason_en}"
    assert result.image.shape == (640, 480, 3)
    checks = checks_by_id(result)
    assert 50 <= checks["crown_height"].value <= 110
    assert 200 <= checks["eye_line"].value <= 300
    assert 180 <= checks["face_width"].value <= 300
    assert abs(checks["centring"].value) <= 24
    assert checks["shoulders"].passed
    assert 30 <= checks["file_size_kb"].value <= 60
    assert checks["background_colour"].passed and checks["background_uniform"].passed
    corner = result.image[:40, :40].reshape(-1, 3).astype(np.float32)
    assert np.abs(corner - BLUE_BGR).max() <= 3


def test_good_source_gives_a_verified_file(good):
    _, result = good
    assert result.ok, result.reason_en
    assert result.report.verdict == "pass"
    decoded = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (640, 480, 3)
    assert 30 * 1024 <= len(result.jpeg) <= 60 * 1024
    assert result.quality >= 60


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every header segment up to the start of scan."""
    assert data[:2] == b"\xff\xd8", "no SOI"
    pos, segments = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segments.append((marker, data[pos + 4:pos + 2 + length]))
        if marker == 0xDA:
            break
        pos += 2 + length
    return segments


def test_file_is_baseline_jfif_300dpi_without_exif(good):
    _, result = good
    segments = jpeg_segments(result.jpeg)
    marker, app0 = segments[0]
    assert marker == 0xE0 and app0[:5] == b"JFIF\x00"
    units, x_density, y_density = struct.unpack(">BHH", app0[7:12])
    assert (units, x_density, y_density) == (1, 300, 300)
    markers = {m for m, _ in segments}
    assert 0xE1 not in markers, "APP1 (Exif/XMP) present"
    assert 0xC0 in markers, "not baseline (no SOF0)"
    assert not markers & {0xC1, 0xC2, 0xC3, 0xC9, 0xCA}, "progressive or extended frame"
    assert b"Exif" not in result.jpeg[:4096]
    assert result.jpeg.endswith(b"\xff\xd9")


def test_no_halo_and_no_colour_cast(analyzer, good):
    source, result = good
    product = result.image
    after = analyzer.analyze(product, product=True)
    before = analyzer.analyze(source)
    person = (after.person_mask > 0.5).astype(np.uint8)
    outer = cv2.dilate(person, np.ones((21, 21), np.uint8)) - cv2.dilate(person, np.ones((7, 7), np.uint8))
    ring = product[outer > 0].astype(np.float32)
    distance = np.linalg.norm(ring - BLUE_BGR, axis=1)
    assert np.percentile(distance, 95) < 30, "old background or fringe left around the person"

    def chroma(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        pixels = image[mask > 0].astype(np.float32)
        return pixels.mean(axis=0) / pixels.mean()

    shift = np.abs(chroma(product, after.skin_mask) - chroma(source, before.skin_mask))
    assert shift.max() < 0.03, f"skin colour changed: {shift}"


def test_twelve_megapixel_still(analyzer, settings):
    source = cv2.imread(str(GOOD))
    still = cv2.resize(source, (3000, 4000), interpolation=cv2.INTER_CUBIC)
    result = produce(analyzer, settings, still)
    assert result.ok, result.reason_en
    checks = checks_by_id(result)
    assert 50 <= checks["crown_height"].value <= 110 and 200 <= checks["eye_line"].value <= 300


def test_white_background_option(analyzer, settings):
    result = produce(analyzer, settings, cv2.imread(str(GOOD)), background="white")
    assert result.ok, result.reason_en
    assert np.abs(result.image[:40, :40].astype(int) - 255).max() <= 3


def test_exam_preset_has_its_own_size_and_colour(analyzer, settings):
    result = produce(analyzer, settings, cv2.imread(str(GOOD)), preset="exam_ncre")
    assert result.report is not None, result.reason_en
    assert result.image.shape == (480, 360, 3)
    checks = checks_by_id(result)
    assert checks["head_length"].passed and checks["crown_height"].passed and checks["eye_line"].passed
    assert 20 <= checks["file_size_kb"].value <= 100
    assert np.abs(result.image[:30, :30].astype(int) - 255).max() <= 3


def test_colour_not_in_preset_is_an_error(analyzer, settings):
    from appliance.produce.photo import ProduceError

    with pytest.raises(ProduceError):
        produce(analyzer, settings, cv2.imread(str(GOOD)), preset="exam_ncre", background="blue")


def test_refuses_tiny_face_instead_of_enlarging(analyzer, settings):
    source = cv2.imread(str(GOOD))
    small = cv2.resize(source, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)
    result = produce(analyzer, settings, small)
    assert not result.ok and result.jpeg is None
    assert result.code == "resolution"
    canvas = np.full((1400, 1800, 3), 180, np.uint8)
    canvas[900:900 + small.shape[0], 700:700 + small.shape[1]] = small
    far = produce(analyzer, settings, canvas)
    # one rule, one message: the same as the check's on the same source
    assert not far.ok and far.code == "resolution"
    check = next(c for c in analyzer.check(canvas).checks if c.id == "resolution")
    assert not check.passed and (far.reason_zh, far.reason_en) == (check.message_zh, check.message_en)
    assert "靠近" in far.reason_zh and "closer" in far.reason_en


def test_refuses_head_at_the_edge(analyzer, settings):
    source = cv2.imread(str(GOOD))
    analysis = analyzer.analyze(source)
    forehead_y = int(analysis.pts[10, 1])
    cut_top = produce(analyzer, settings, source[forehead_y - 15:])
    assert not cut_top.ok and cut_top.code == "edge_top"
    cheek_x = int(analysis.pts[234, 0])  # subject's right cheek: the image's left side
    cut_side = produce(analyzer, settings, source[:, cheek_x - 10:])
    assert not cut_side.ok and cut_side.code == "edge_left"


def test_refuses_cut_shoulders(analyzer, settings):
    source = cv2.imread(str(GOOD))
    analysis = analyzer.analyze(source)
    chin_y = int(analysis.pts[152, 1])
    result = produce(analyzer, settings, source[: chin_y + 40])
    assert not result.ok and result.code in ("shoulders_cut", "no_shoulders")
    assert "肩膀" in result.reason_zh


def test_refuses_when_there_is_no_face(analyzer, settings):
    result = produce(analyzer, settings, np.full((800, 600, 3), 200, np.uint8))
    assert not result.ok and result.code == "no_face"
