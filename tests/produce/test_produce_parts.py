"""The production step's parts on synthetic images: matte, decontamination, encoding, sheet, CLI."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.produce import encode
from appliance.produce.composite import composite
from appliance.produce.config import MatteSettings, PixelRange, ProduceSettings
from appliance.produce.encode import encode_in_window, encode_jpeg
from appliance.produce.matte import _solve_symmetric3, guided_filter, refine_matte
from appliance.produce.sheet import PAPER_H, PAPER_W, build_sheet, layout, sheet_files

FACES = Path(__file__).resolve().parents[3] / "shared" / "faces"
GOOD = FACES / "a_good_frontal" / "dpf_img29.jpg"


def disc_scene(size: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """A red disc with a soft rim over a green backdrop, and its true alpha."""
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    radius = np.hypot(xx - size / 2, yy - size / 2)
    alpha = np.clip((size * 0.3 - radius) / 4 + 0.5, 0, 1).astype(np.float32)
    fg, bg = np.array([30, 40, 200], np.float32), np.array([40, 180, 60], np.float32)
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    return np.clip(image, 0, 255).astype(np.uint8), alpha


def test_guided_filter_keeps_an_alpha_that_follows_the_guide():
    image, truth = disc_scene()
    refined = guided_filter(image.astype(np.float32) / 255, truth, 6, 1e-6)
    assert np.abs(refined - truth).max() < 0.01


def test_closed_form_solve_matches_a_general_solver_on_near_singular_covariances():
    rng = np.random.default_rng(3)
    # guide covariances of grey-ish windows: nearly rank one, plus the filter's smallest eps
    colour = rng.random((50, 40, 3))
    grey = rng.random((50, 40, 1)) * 0.1
    vectors = grey * np.array([1.0, 0.98, 1.02]) + 1e-3 * colour
    full = vectors[..., :, None] * vectors[..., None, :] + 1e-6 * np.eye(3)
    rhs = rng.normal(size=(50, 40, 3)) * 1e-3
    upper = {(a, b): full[..., a, b] for a in range(3) for b in range(a, 3)}
    expected = np.linalg.solve(full, rhs[..., None])[..., 0]
    assert np.allclose(_solve_symmetric3(upper, rhs), expected, rtol=1e-6, atol=1e-9)


def test_blocked_solve_is_bit_identical_to_the_whole_plane_expressions():
    """The row blocks and reused buffers only move memory: every pixel's float64 arithmetic is the
    plain adjugate formula's, in its order (a product's matte, and so its verdict, is unchanged)."""
    rng = np.random.default_rng(5)
    shape = (75, 41)  # not a multiple of the block height
    vectors = rng.random((*shape, 3))
    full = vectors[..., :, None] * vectors[..., None, :] + 1e-4 * np.eye(3)
    upper = {(a, b): full[..., a, b].copy() for a in range(3) for b in range(a, 3)}
    rhs = rng.normal(size=(*shape, 3))
    a, b, c = upper[0, 0], upper[0, 1], upper[0, 2]
    d, e, f = upper[1, 1], upper[1, 2], upper[2, 2]
    ca, cb, cc = d * f - e * e, c * e - b * f, b * e - c * d
    cd, ce, cf = a * f - c * c, b * c - a * e, a * d - b * b
    det = a * ca + b * cb + c * cc
    p0, p1, p2 = rhs[..., 0], rhs[..., 1], rhs[..., 2]
    plain = np.stack([ca * p0 + cb * p1 + cc * p2, cb * p0 + cd * p1 + ce * p2,
                      cc * p0 + ce * p1 + cf * p2], axis=-1) / det[..., None]
    solved = _solve_symmetric3(upper, rhs)
    assert solved.dtype == np.float32 and np.array_equal(solved, plain.astype(np.float32))


def test_refined_matte_pulls_an_overshooting_prior_onto_the_real_edge():
    image, truth = disc_scene()
    yy, xx = np.mgrid[:200, :200].astype(np.float32)
    # the model's silhouette 3 px too wide and blurred, as upsampled segmentation is
    prior = cv2.GaussianBlur((np.hypot(xx - 100, yy - 100) < 63).astype(np.float32), (0, 0), 2.5)
    refined = refine_matte(image, prior, 240, MatteSettings())
    assert np.abs(refined - truth).mean() < 0.6 * np.abs(prior - truth).mean()


def test_refined_matte_with_backdrop_is_closer_to_truth():
    image, truth = disc_scene()
    backdrop = np.zeros_like(image)
    backdrop[:] = (40, 180, 60)
    prior = cv2.GaussianBlur((truth > 0.5).astype(np.float32), (0, 0), 8)
    settings = MatteSettings()
    plain = refine_matte(image, prior, 100, settings)
    calibrated = refine_matte(image, prior, 100, settings, backdrop)
    assert np.abs(calibrated - truth).mean() < np.abs(plain - truth).mean()


def test_composite_leaves_no_fringe_of_the_old_background():
    image, alpha = disc_scene()
    out = composite(image, alpha, (255, 197, 100), 15).astype(np.float32)
    rim = (alpha > 0.05) & (alpha < 0.95)
    # green (old background) share in the rim must not exceed what red + blue mixing can give
    naive = alpha[..., None] * image.astype(np.float32) + (1 - alpha[..., None]) * np.array([255, 197, 100])
    assert out[rim][:, 1].mean() < naive[rim][:, 1].mean() - 10
    expected = alpha[..., None] * np.array([30, 40, 200]) + (1 - alpha[..., None]) * np.array([255, 197, 100])
    assert np.abs(out[rim] - expected[rim]).mean() < 12
    solid = alpha >= 0.99
    assert np.array_equal(out[solid], image[solid].astype(np.float32)), "the person must not be retouched"


def test_quality_search_lands_in_window_and_never_pads():
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.integers(0, 255, (640, 480, 3), dtype=np.uint8), (0, 0), 1.5)
    encoded = encode_in_window(image, 30 * 1024, 60 * 1024)
    assert encoded.in_window and encoded.quality >= 60
    assert encoded.data == encode_jpeg(image, encoded.quality), "bytes must be the plain encoding"
    higher = encode_jpeg(image, min(encoded.quality + 1, 100))
    assert encoded.quality == 95 or len(higher) > 60 * 1024
    flat = np.full((640, 480, 3), 128, np.uint8)
    assert not encode_in_window(flat, 30 * 1024, 60 * 1024).in_window


def test_quality_search_takes_the_top_quality_in_one_encoding_when_it_fits(monkeypatch):
    image = cv2.GaussianBlur(np.random.default_rng(2).integers(0, 255, (640, 480, 3), dtype=np.uint8), (0, 0), 3)
    sizes = {q: len(encode_jpeg(image, q)) for q in range(60, 96)}
    made: list[int] = []
    plain = encode.encode_jpeg
    monkeypatch.setattr(encode, "encode_jpeg", lambda bgr, q, dpi=300: made.append(q) or plain(bgr, q, dpi))
    roomy = encode_in_window(image, 1024, sizes[95] + 1)
    assert (roomy.quality, made) == (95, [95]) and roomy.in_window
    for cap in (sizes[95] - 1, sizes[80], sizes[61] + 1):
        # below the top: the highest quality that fits, as a scan from the top would find
        expected = max(q for q, size in sizes.items() if size <= cap)
        assert encode_in_window(image, 1024, cap).quality == expected


def test_settings_refuse_inconsistent_presets():
    with pytest.raises(ValueError):
        PixelRange(low=10, high=5, target=7)
    with pytest.raises(ValueError):
        ProduceSettings(preset="nope")


def test_sheet_has_twelve_prints_with_cut_marks_in_a_6x4_inch_pdf():
    photo = np.zeros((640, 480, 3), np.uint8)
    photo[:] = (255, 197, 100)
    sheet = build_sheet(photo)
    assert sheet.shape == (PAPER_H, PAPER_W, 3)
    slots = layout()
    assert len(slots) == 12
    sizes = sorted((max(s.width, s.height), min(s.width, s.height)) for s in slots)
    assert sizes.count((413, 295)) == 8 and sizes.count((579, 413)) == 4
    for slot in slots:
        assert (sheet[slot.y + slot.height // 2, slot.x + slot.width // 2] == (100, 197, 255)).all()
        assert (sheet[slot.y - 1, slot.x - 5] == 0).all(), "missing cut mark"
    picture, pdf = sheet_files(sheet, "PNG")
    assert picture.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    assert b"MediaBox [ 0 0 432.0 288.0 ]" in pdf, "page is not 6 x 4 inches"


@pytest.mark.faces
@pytest.mark.skipif(not GOOD.exists(), reason=f"real face photographs not present at {FACES}")
def test_cli_writes_only_a_passing_product(tmp_path, capsys):
    from appliance.cli import main

    out = tmp_path / "photo.jpg"
    assert main(["produce", str(GOOD), str(out)]) == 0
    assert out.exists() and 30 * 1024 <= out.stat().st_size <= 60 * 1024
    sheet = tmp_path / "sheet.png"
    assert main(["sheet", str(out), str(sheet)]) == 0
    assert sheet.exists() and sheet.with_suffix(".pdf").exists()
    small = tmp_path / "small.jpg"
    source = cv2.imread(str(GOOD))
    cv2.imwrite(str(small), cv2.resize(source, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA))
    refused = tmp_path / "refused.jpg"
    capsys.readouterr()
    assert main(["produce", str(small), str(refused)]) == 1
    assert not refused.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "分辨率" in err[0] and "resolution" in err[0]


def test_a_file_failing_a_check_of_the_person_is_asked_for_another_photo():
    """A check's guidance speaks to someone at the camera; a photo file cannot hold its head level,
    so its refusal quotes the reason and asks for another photo. Product rules read the same."""
    from appliance.inference.checks.base import CheckResult
    from appliance.produce.photo import failure_words

    tilted = CheckResult("pose_roll", "pose", 4.0, 3.0, False, "头部歪斜，请把头摆正",
                         "Head tilted: hold your head upright")
    crown = CheckResult("crown_height", "product", 49.0, "50-110", False, "头顶位置不符合要求",
                        "Top of the head is not at the required height")
    assert failure_words(tilted, "camera") == (tilted.message_zh, tilted.message_en)
    zh, en = failure_words(tilted, "file")
    assert zh.startswith("照片") and "头部歪斜" in zh and zh.endswith("请使用其他照片")
    assert "Head tilted" in en and en.endswith("use another photo")
    assert failure_words(crown, "file") == failure_words(crown, "camera") == (crown.message_zh, crown.message_en)
