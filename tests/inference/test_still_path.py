"""The still's path where the student waits: a JPEG decoded at the size the engine analyses, the
still's face searched where the live track left it (the full search when that does not hold), and
the booth's analysis of the still reused by produce_photo instead of made twice."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.imageio import decode_image
from appliance.inference import analysis as analysis_module
from appliance.inference.analysis import Analysis
from appliance.inference.engine import WORK_MAX_SIDE


def jpeg(width: int, height: int) -> bytes:
    rng = np.random.default_rng(3)
    image = cv2.resize(rng.integers(0, 255, (height // 50, width // 50, 3), dtype=np.uint8), (width, height))
    return cv2.imencode(".jpg", image)[1].tobytes()


def letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    scale = min(width / image.shape[1], height / image.shape[0])
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return canvas


def test_a_large_jpeg_is_decoded_at_the_work_size_and_says_its_scale():
    loaded = decode_image(jpeg(4000, 3000), reduce_to=WORK_MAX_SIDE)
    assert loaded.bgr.shape[:2] == (1500, 2000)
    assert loaded.scale == 2.0
    assert decode_image(jpeg(6400, 4800), reduce_to=WORK_MAX_SIDE).bgr.shape[:2] == (1200, 1600)
    # 1/4 would leave 1500 px, less than the engine analyses: 1/2 is taken
    assert decode_image(jpeg(6000, 4500), reduce_to=WORK_MAX_SIDE).bgr.shape[:2] == (2250, 3000)


def test_reduction_only_when_asked_and_only_for_jpeg():
    assert decode_image(jpeg(4000, 3000)).bgr.shape[:2] == (3000, 4000)
    assert decode_image(jpeg(3000, 2000), reduce_to=WORK_MAX_SIDE).scale == 1.0  # 1/2 would be < 1600
    png = cv2.imencode(".png", np.zeros((3300, 3300, 3), np.uint8))[1].tobytes()
    loaded = decode_image(png, reduce_to=WORK_MAX_SIDE)
    assert loaded.bgr.shape[:2] == (3300, 3300) and loaded.scale == 1.0


def test_pixel_limit_still_applies_to_the_file_not_the_reduced_decode():
    from appliance.errors import ImageError

    with pytest.raises(ImageError, match="too large"):
        decode_image(jpeg(4000, 3000), max_pixels=10_000_000, reduce_to=WORK_MAX_SIDE)


def test_sizes_are_reported_in_the_files_pixels_whichever_decode(analyzer, plain_portrait, tmp_path):
    still = letterbox(plain_portrait, 4000, 3000)
    data = cv2.imencode(".jpg", still, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    whole = decode_image(data)
    reduced = decode_image(data, reduce_to=WORK_MAX_SIDE)
    a = analyzer.check(whole.bgr)
    b = analyzer.check(reduced.bgr, pixel_scale=reduced.scale)
    assert b.analysis.pixel_scale == pytest.approx(reduced.scale)
    assert b.analysis.for_checks.pixel_scale == pytest.approx(a.analysis.for_checks.pixel_scale)
    assert sorted(c.id for c in a.failed) == sorted(c.id for c in b.failed)
    width = {c.id: c.value for c in a.checks}, {c.id: c.value for c in b.checks}
    for key in ("resolution", "face_resolution"):
        if key in width[0]:
            assert width[1][key] == pytest.approx(width[0][key], rel=0.03)


def test_no_seed_without_a_live_track_or_with_another_field_of_view(analyzer, plain_portrait):
    analyzer.reset_tracking()
    assert analyzer.live_seed((3000, 4000, 3)) is None
    for _ in range(2):
        analyzer.check(letterbox(plain_portrait, 640, 480), live=True)
    seed = analyzer.live_seed((3000, 4000, 3))
    assert seed is not None and seed[2] > seed[0] and seed[3] > seed[1]
    assert analyzer.live_seed((2250, 4000, 3)) is None  # 16:9 still after 4:3 frames: no mapping
    analyzer.reset_tracking()


def test_a_seeded_still_finds_the_tracked_face_and_a_wrong_seed_falls_back(analyzer, plain_portrait):
    frame, still = letterbox(plain_portrait, 640, 480), letterbox(plain_portrait, 4000, 3000)
    analyzer.reset_tracking()
    for _ in range(3):
        analyzer.check(frame, live=True)
    seed = analyzer.live_seed(still.shape)
    analyzer.reset_tracking()
    full = analyzer.analyze(still)
    seeded = analyzer.analyze(still, seed=seed)
    assert seeded.seeded and not full.seeded
    assert len(seeded.faces) == len(full.faces) == 1
    assert np.abs(seeded.face.centre - full.face.centre).max() < 0.05 * full.face.width
    # a seed where no face is (the person moved away before the shutter): the full search decides
    wrong = analyzer.analyze(still, seed=np.array([100.0, 100.0, 500.0, 600.0]))
    assert not wrong.seeded and len(wrong.faces) == 1
    assert np.abs(wrong.face.centre - full.face.centre).max() < 1e-6


def test_a_second_face_is_still_counted_on_a_seeded_still(analyzer, plain_portrait):
    """The seed skips the tiles, not the whole-frame view: a second person beside the subject in the
    still is found there, so the face-count check says so."""
    frame = letterbox(plain_portrait, 640, 480)
    analyzer.reset_tracking()
    for _ in range(3):
        analyzer.check(frame, live=True)
    pair = np.concatenate([plain_portrait, plain_portrait], axis=1)
    still = letterbox(pair, 4000, 3000)
    seed = analyzer.live_seed(still.shape)
    analyzer.reset_tracking()
    full = analyzer.analyze(still)
    seeded = analyzer.analyze(still, seed=seed)
    assert len(full.faces) == 2
    assert len(seeded.faces) == 2


def test_produce_reuses_the_analysis_it_is_given(analyzer, plain_portrait, monkeypatch):
    from appliance.produce.photo import produce_photo
    from appliance.settings import load_settings

    settings = load_settings()
    still = letterbox(plain_portrait, 4000, 3000)
    fresh = produce_photo(analyzer, still, settings)
    analysis = analyzer.analyze(still)
    seen = []
    original = analyzer.analyze

    def counting(bgr, **kwargs):
        seen.append(bgr.shape)
        return original(bgr, **kwargs)

    monkeypatch.setattr(analyzer, "analyze", counting)
    reused = produce_photo(analyzer, still, settings, analysis=analysis)
    assert (3000, 4000, 3) not in seen  # only the product was analysed (its verification)
    assert (reused.ok, reused.code) == (fresh.ok, fresh.code)
    assert reused.jpeg == fresh.jpeg


def test_a_reduced_stills_enlarged_person_mask_is_made_on_first_read_only(monkeypatch):
    """The checks read the reduced copy's mask; the still's own, enlarged, is made when the
    producer reads it, once, and is the same resize it always was."""
    rng = np.random.default_rng(2)
    mask = rng.random((120, 160)).astype(np.float32)
    work = Analysis(bgr=np.zeros((120, 160, 3), np.uint8), grayscale=False, live=False, person_mask=mask)
    calls = []
    resize = cv2.resize
    monkeypatch.setattr(analysis_module.cv2, "resize",
                        lambda *args, **kwargs: calls.append(args[1]) or resize(*args, **kwargs))
    full = work.scaled(2.5, np.zeros((300, 400, 3), np.uint8))
    assert calls == []
    enlarged = full.person_mask
    assert full.person_mask is enlarged and calls == [(400, 300)]
    assert np.array_equal(enlarged, resize(mask, (400, 300), interpolation=cv2.INTER_LINEAR))
    assert work.person_mask is mask and Analysis(bgr=work.bgr, grayscale=False, live=False).person_mask is None
