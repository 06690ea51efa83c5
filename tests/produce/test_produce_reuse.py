"""A product made beyond the source reuses the matte and composite its crown recheck made (also when
the recheck's placement came out unchanged): the product must be exactly what the straightforward
steps make from the placement produce chose."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.inference.config import BACKGROUND_RGB
from appliance.produce.composite import composite
from appliance.produce.matte import refine_matte
from appliance.produce.measure import measure_head
from appliance.produce.photo import outside_is_background, produce_photo
from appliance.produce.render import warp_to_product
from appliance.settings import load_settings

pytestmark = pytest.mark.faces

# close-cropped studio portraits whose frame reaches above the source (the crown recheck moved the
# placement of the first two and left that of the third unchanged), and one placed inside its source
PORTRAITS = ("CFD-AM-234-355-N.jpg", "CFD-LM-213-061-N.jpg", "CFD-LM-214-165-N.jpg", "cfd_AF-214-N.jpg",
             "CFD-BM-011-016-N.jpg")


@pytest.mark.parametrize("name", PORTRAITS)
def test_product_equals_the_straightforward_steps(analyzer, face_photo, name):
    settings = load_settings()
    bgr = face_photo(f"a_good_frontal/{name}")
    result = produce_photo(analyzer, bgr, settings, kind="file")
    assert result.placement is not None and result.image is not None, result.code
    spec, cfg = settings.produce.spec(), settings.produce
    placement = result.placement
    image, coverage = warp_to_product(bgr, placement.matrix(), (spec.width, spec.height))
    prior = analyzer.segmenter.run(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    # the placement's scale times the face width produce measured (its crown recheck changes only
    # the crown's distance, never the face width)
    head = measure_head(analyzer.analyze(bgr))
    assert head is not None
    face_width = placement.scale * head.face_width
    alpha = outside_is_background(refine_matte(image, prior, face_width, cfg.matte), coverage)
    colour = BACKGROUND_RGB[spec.default_background][::-1]
    expected = composite(image, alpha, colour, max(9, round(face_width * 0.1)))
    assert np.array_equal(result.image, expected)
    if name.startswith("CFD-BM-011"):
        assert not (coverage < 0.5).any(), "this one was meant to be placed inside its source"
    else:
        assert (coverage < 0.5).any(), "this portrait was meant to be placed beyond its source"
