"""The standard photo from portraits people bring (studio head-and-shoulders files), judged from outside.

The CFD studio portraits in ../shared/faces are cropped close: little room above the hair, the shirt
cut by the bottom edge. The product's frame may then reach above the source (background, filled
with the preset's colour), never below it where the person continues. Every product is checked
here by measures written in this file, not by produce's own verification: the crown from the
pixels that differ from the blue, eye line, face width and centring from the face mesh, the
background's colour and the JPEG's header segments.
"""

from __future__ import annotations

import csv
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

FACES = Path(__file__).resolve().parents[3] / "shared" / "faces"
MANIFEST = FACES / "MANIFEST.tsv"
BLUE_BGR = np.array([255, 197, 100], np.float32)
# The CHSI ranges (../shared/SPEC.md section 2), written out again so the test does not read them
# from the code under test.
CROWN, EYE, FACE_W, CENTRE, TOLERANCE = (50, 110), (200, 300), (180, 300), 240, 24
# How close a product must be to the 480 x 640 rules for an independent measure to call it within:
# the crown read from colour and the mesh read from a JPEG differ from produce's by a pixel or two.
SLACK = 2.0

pytestmark = [
    pytest.mark.faces,
    pytest.mark.skipif(not MANIFEST.exists(), reason=f"real face photographs not present at {FACES}"),
]


def cfd_portraits() -> list[Path]:
    """The booth-like studio portraits: CFD files among the good frontal photos."""
    if not MANIFEST.exists():
        return []
    with MANIFEST.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [FACES / row["file"] for row in rows
            if row["category"] == "a_good_frontal" and "cfd" in Path(row["file"]).name.lower()
            and "booth-like" in row["notes"]]


@pytest.fixture(scope="module")
def settings():
    from appliance.settings import load_settings

    return load_settings()


def header_markers(data: bytes) -> dict[int, bytes]:
    """Marker -> payload of the header segments up to the start of scan."""
    assert data[:2] == b"\xff\xd8", "no SOI"
    pos, found = 2, {}
    while pos + 4 <= len(data):
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        found.setdefault(marker, data[pos + 4:pos + 2 + length])
        if marker == 0xDA:
            break
        pos += 2 + length
    return found


@dataclass
class Outside:
    """What an independent reader finds in a product file; `problems` lists the rules it breaks."""

    crown: float
    eye: float
    face_width: float
    centre: float
    problems: list[str]


def judge_from_outside(analyzer, data: bytes) -> Outside:
    problems = []
    markers = header_markers(data)
    app0 = markers.get(0xE0, b"")
    if app0[:5] != b"JFIF\x00" or struct.unpack(">BHH", app0[7:12]) != (1, 300, 300):
        problems.append("JFIF 300 dpi")
    if 0xE1 in markers or 0xC0 not in markers or markers.keys() & {0xC1, 0xC2, 0xC3, 0xC9, 0xCA}:
        problems.append("baseline without EXIF")
    if not data.endswith(b"\xff\xd9"):
        problems.append("EOI")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image.shape != (640, 480, 3):
        problems.append(f"size {image.shape}")
    distance = np.linalg.norm(image.astype(np.float32) - BLUE_BGR, axis=2)
    # background: the band above any allowed crown is all blue, and so are the top corners
    if np.percentile(distance[:CROWN[0] - 8], 99) > 12 or distance[:120, :60].max() > 20 \
            or distance[:120, -60:].max() > 20:
        problems.append("background")
    # shoulders to the bottom edge: no background opening up under the shirt in the last rows
    blue = distance < 30
    if int((blue[-1] & ~blue[-12]).sum()) > 8:
        problems.append("background under the shirt")
    analysis = analyzer.analyze(image)
    if analysis.mesh is None:
        return Outside(0, 0, 0, 0, [*problems, "no face in product"])
    pts = analysis.pts[:, :2]
    eye = float(np.mean([c[1] for c in analysis.eye_centres]))
    width = float(np.linalg.norm(pts[454] - pts[234]))
    centre = float((pts[454, 0] + pts[234, 0]) / 2)
    # crown: first row where a band over the face centre is mostly not the blue
    band = distance[:, int(centre - 0.15 * width):int(centre + 0.15 * width)] > 60
    crown = float(np.argmax(band.mean(axis=1) > 0.3))
    for name, value, (low, high) in (("crown", crown, CROWN), ("eye line", eye, EYE), ("face width", width, FACE_W)):
        if not low - SLACK <= value <= high + SLACK:
            problems.append(f"{name} {value:.1f}")
    if abs(centre - CENTRE) > TOLERANCE + SLACK:
        problems.append(f"centre {centre:.1f}")
    return Outside(crown, eye, width, centre, problems)


def room_for_the_rules(analyzer, source: np.ndarray, guard: float = 4.0) -> bool:
    """Whether some scale and eye height meet every CHSI range with `guard` px to spare while the
    source still reaches the product's bottom edge (the shirt is never extended), measured here:
    crown from where the pixels leave the backdrop's colour, eyes and cheeks from the mesh."""
    analysis = analyzer.analyze(source)
    if analysis.mesh is None:
        return False
    pts = analysis.pts[:, :2]
    eye = float(np.mean([c[1] for c in analysis.eye_centres]))
    width = float(np.linalg.norm(pts[454] - pts[234]))
    centre = float((pts[454, 0] + pts[234, 0]) / 2)
    backdrop = source[:40, :40].reshape(-1, 3).astype(np.float32).mean(axis=0)
    distance = np.linalg.norm(source.astype(np.float32) - backdrop, axis=2)
    band = distance[:, int(centre - 0.15 * width):int(centre + 0.15 * width)] > 60
    crown = float(np.argmax(band.mean(axis=1) > 0.3))
    if crown <= 0:
        return False
    scales = np.linspace((FACE_W[0] + guard) / width, (FACE_W[1] - guard) / width, 81)[:, None]
    eyes = np.linspace(EYE[0] + guard, EYE[1] - guard, 81)[None, :]
    top = eyes - scales * (eye - crown)
    bottom = eyes + scales * (source.shape[0] - eye)
    fits = (top >= CROWN[0] + guard) & (top <= CROWN[1] - guard) & (bottom >= 640) & (scales <= 1.15)
    return bool(fits.any())


def test_portraits_brought_give_files_that_pass_an_outside_check(analyzer, settings):
    from appliance.produce.photo import produce_photo

    portraits = cfd_portraits()
    assert len(portraits) >= 60, "the CFD portraits are missing from the manifest"
    passed, refused, failed_outside, missed = [], {}, {}, {}
    for path in portraits:
        source = cv2.imread(str(path))
        result = produce_photo(analyzer, source, settings, kind="file")
        if not result.ok:
            refused[path.name] = result.code
            layout = result.report is None or any(c.family == "product" for c in result.report.failed)
            if layout and room_for_the_rules(analyzer, source):
                missed[path.name] = result.code
            continue
        outside = judge_from_outside(analyzer, result.jpeg)
        if outside.problems:
            failed_outside[path.name] = outside.problems
        else:
            passed.append(path.name)
    assert not failed_outside, f"products that break a rule seen from outside: {failed_outside}"
    assert not missed, f"refused on layout although the rules fit with room to spare: {missed}"
    # Many of these close crops leave too little below the eyes for crown >= 50 px and eye line
    # <= 300 px with the shirt reaching the bottom edge, and 14 have hair touching the top: those
    # are refused, rightly (scripts/placement_feasibility.py: 36 of 68 have any valid placement by
    # the source's measures; 3 of those are refused by the engine's judgement of the person, and 2
    # fit only by the source mask's crown, which the product's own mask reads 1-2 px higher, on
    # the hair). 31 of 68 is what the rest gives today; the bar may only rise.
    assert len(passed) >= 31, f"{len(passed)}/{len(portraits)} passed; refused: {refused}"
    for code in refused.values():
        assert code in ("edge_top", "shoulders_cut", "no_shoulders", "verification"), refused


def paint_person_to_the_edge(source: np.ndarray, analysis, side: str) -> np.ndarray:
    """The source cut so the person runs off its `side`: just below the chin's shoulder line for
    "bottom", through the shoulder for "left"; as it was for "as_taken" (the shirt already runs
    off the bottom of these portraits)."""
    if side == "as_taken":
        return source.copy()
    pts = analysis.pts[:, :2]
    chin_y = int(pts[152, 1])
    width = float(np.linalg.norm(pts[454] - pts[234]))
    if side == "bottom":
        return source[: chin_y + int(0.5 * width)].copy()
    cheek_x = int(pts[234, 0])
    return source[:, max(cheek_x - int(0.45 * width), 0):].copy()


@pytest.mark.parametrize("side", ["as_taken", "bottom", "left"])
def test_no_product_shows_a_person_the_source_did_not(analyzer, settings, side):
    """A person painted to the source's edge: either refused, or the product shows nothing but the
    blue where the frame went beyond the source."""
    from appliance.produce.photo import produce_photo
    from appliance.produce.render import warp_to_product

    portraits = [p for p in cfd_portraits() if p.exists()][:12]
    produced = 0
    for path in portraits:
        source = cv2.imread(str(path))
        analysis = analyzer.analyze(source)
        cut = paint_person_to_the_edge(source, analysis, side)
        # paint the body solid red so any of it outside the source stands out in the product
        below_chin = np.arange(cut.shape[0])[:, None] > analysis.pts[152, 1] + 20
        cut[(analyzer.analyze(cut).person_mask > 0.5) & below_chin] = (0, 0, 255)
        result = produce_photo(analyzer, cut, settings, kind="file")
        if result.image is None or result.placement is None or not result.ok:
            assert result.jpeg is None
            continue
        _, coverage = warp_to_product(cut, result.placement.matrix(), (480, 640))
        outside = coverage < 0.01
        red = (result.image[..., 2] > 150) & (result.image[..., 0] < 120)
        assert not (red & outside).any(), f"{path.name}: person invented beyond the {side} edge"
        produced += 1
    if side == "as_taken":
        assert produced >= 3, "too few products to show that nothing is invented"


def test_a_file_is_refused_in_words_for_a_file(analyzer, settings):
    from appliance.produce.photo import produce_photo

    source = cv2.imread(str(cfd_portraits()[0]))
    analysis = analyzer.analyze(source)
    chin_y = int(analysis.pts[152, 1])
    short = source[: chin_y + 30]
    as_file = produce_photo(analyzer, short, settings, kind="file")
    assert as_file.code in ("shoulders_cut", "no_shoulders")
    assert "too little below the chin" in as_file.reason_en and "肩" in as_file.reason_zh
    assert "step back" not in as_file.reason_en
    at_booth = produce_photo(analyzer, short, settings)
    assert at_booth.code == as_file.code and "step back" in at_booth.reason_en


def test_cli_words_a_refusal_for_a_file_unless_told_it_is_the_camera(analyzer, tmp_path, capsys):
    from appliance.cli import main

    source = cv2.imread(str(cfd_portraits()[0]))
    chin_y = int(analyzer.analyze(source).pts[152, 1])
    short = tmp_path / "short.jpg"
    cv2.imwrite(str(short), source[: chin_y + 30])
    capsys.readouterr()
    assert main(["produce", str(short), str(tmp_path / "a.jpg")]) == 1
    err = capsys.readouterr().err.strip()
    assert "too little below the chin" in err and err.index("照片") < err.index("photo")
    assert main(["produce", "--from-camera", str(short), str(tmp_path / "b.jpg")]) == 1
    assert "step back" in capsys.readouterr().err
    assert not (tmp_path / "a.jpg").exists() and not (tmp_path / "b.jpg").exists()


@pytest.mark.parametrize(("turn", "side"), [(cv2.ROTATE_90_COUNTERCLOCKWISE, 1718), (cv2.ROTATE_90_CLOCKWISE, 1200)])
def test_a_sideways_file_gives_the_upright_product(analyzer, settings, turn, side):
    """A portrait saved sideways (no EXIF orientation) is turned upright by the analyser; the
    product is cut from that turned image, so it is the upright portrait's product. At 1718 px
    the analyser works on a reduced copy, at 1200 px on the photo itself: both paths."""
    from appliance.produce.photo import produce_photo

    source = next(cv2.imread(str(p)) for p in cfd_portraits() if "BM-011" in p.name)
    source = cv2.resize(source, (side, side), interpolation=cv2.INTER_AREA)
    upright = produce_photo(analyzer, source, settings, kind="file")
    assert upright.ok, upright.reason_en
    sideways = produce_photo(analyzer, cv2.rotate(source, turn), settings, kind="file")
    assert sideways.ok, sideways.reason_en
    assert not judge_from_outside(analyzer, sideways.jpeg).problems
    difference = np.abs(sideways.image.astype(np.int16) - upright.image.astype(np.int16))
    assert float(np.median(difference)) <= 2 and float(np.mean(difference)) < 8
