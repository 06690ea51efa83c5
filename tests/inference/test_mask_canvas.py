"""The enlarged person mask written into a reused buffer: cv2.resize's own values, and never a buffer
that an earlier analysis (or anything sliced from it) still reads."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.app import build_models
from appliance.inference.engine import Analyzer
from appliance.inference.mask_canvas import MaskCanvas
from appliance.settings import load_settings


def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


@pytest.mark.parametrize(("small", "size"), [((256, 192), (3000, 4000)), ((192, 256), (4000, 3000)),
                                             ((200, 150), (1001, 1333)), ((64, 64), (640, 480))])
def test_enlarged_values_are_cv2_resize_s(small, size):
    rng = np.random.default_rng(7)
    canvas = MaskCanvas()
    for _ in range(3):  # fresh, then reused, then reused again
        mask = rng.random(small, dtype=np.float32)
        expected = cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
        got = canvas.enlarge(mask, size)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert got.tobytes() == expected.tobytes()
        del got


def test_a_free_buffer_is_reused_and_a_held_one_is_not():
    rng = np.random.default_rng(3)
    canvas = MaskCanvas()
    first_mask, second_mask = (rng.random((120, 90), dtype=np.float32) for _ in range(2))
    first = canvas.enlarge(first_mask, (900, 1200))
    address = _address(first)
    kept_row = first[-1]  # a slice outlives the mask it was taken from
    del first
    second = canvas.enlarge(second_mask, (900, 1200))
    assert _address(second) != address, "the buffer was lent again while a slice of it was still read"
    assert kept_row.tobytes() == cv2.resize(first_mask, (900, 1200), interpolation=cv2.INTER_LINEAR)[-1].tobytes()
    del kept_row, second
    third = canvas.enlarge(second_mask, (1200, 900))  # same pixel count, turned: the buffer serves
    assert _address(third) == address
    assert third.tobytes() == cv2.resize(second_mask, (1200, 900), interpolation=cv2.INTER_LINEAR).tobytes()


@pytest.mark.faces
def test_a_still_s_mask_is_the_same_with_and_without_the_canvas(analyzer, plain_portrait):
    """The engine's analysis of a 12 MP still reads the same enlarged mask either way, twice in a row
    (the second time from the reused buffer)."""
    height, width = plain_portrait.shape[:2]
    still = cv2.resize(plain_portrait, (3000, 4000) if height >= width else (4000, 3000),
                       interpolation=cv2.INTER_CUBIC)
    assert analyzer._mask_canvas is not None, "the composition root gives the engine a canvas"
    settings = load_settings()
    plain = Analyzer(build_models(settings), settings.checks)  # no canvas: a fresh array each time
    expected = plain.analyze(still).person_mask
    assert expected is not None
    for _ in range(2):
        analysis = analyzer.analyze(still)
        assert analysis.person_mask is not None
        assert analysis.person_mask.tobytes() == expected.tobytes()
        del analysis


@pytest.mark.faces
def test_produce_leaves_the_buffer_free_for_the_next_still(analyzer, plain_portrait):
    """produce_photo drops the source analysis's enlarged mask when it returns, so the booth's next
    still is resized into the same pages (otherwise the canvas would never save anything)."""
    from appliance.produce.photo import produce_photo

    height, width = plain_portrait.shape[:2]
    still = cv2.resize(plain_portrait, (3000, 4000) if height >= width else (4000, 3000),
                       interpolation=cv2.INTER_CUBIC)
    canvas = analyzer._mask_canvas
    assert canvas is not None
    result = produce_photo(analyzer, still, load_settings())
    assert result.ok, result.code
    assert not canvas.lent, "the source analysis's mask outlived produce_photo"
    analysis = analyzer.analyze(still)
    assert analysis.person_mask is not None and canvas.lent
    del analysis
    assert not canvas.lent
