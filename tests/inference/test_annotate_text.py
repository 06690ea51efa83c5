"""Annotation pictures write the failed checks' messages in Chinese (a CJK font), not as boxes."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.inference.annotate import cjk_font, text_panel


def test_panel_draws_chinese_glyphs() -> None:
    if cjk_font(15) is None:
        pytest.skip("no Chinese font installed (scripts/setup.sh --dev installs fonts-wqy-microhei)")
    grey = (230, 230, 230)
    chinese = text_panel([("请放平双肩", grey)], 300)
    other = text_panel([("请自然闭嘴", grey)], 300)
    blank = text_panel([("", grey)], 300)
    ink = np.count_nonzero(np.any(chinese != blank, axis=2))
    assert ink > 150, "the Chinese characters are drawn"
    assert np.count_nonzero(np.any(chinese != other, axis=2)) > 50, "different characters look different"
    assert chinese.shape == (30, 300, 3)
