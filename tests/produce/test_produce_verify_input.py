"""verify_product decodes the JPEG it was handed before any check runs: bytes that do not decode are
refused with a clear error instead of reaching the engine as None (found by the type checker)."""

from __future__ import annotations

import pytest

from appliance.errors import ImageError
from appliance.produce.config import ProduceSettings
from appliance.produce.encode import Encoded
from appliance.produce.verify import verify_product


def test_undecodable_product_bytes_are_refused_before_the_engine(analyzer) -> None:
    settings = ProduceSettings()
    with pytest.raises(ImageError, match="cannot be decoded"):
        verify_product(analyzer, Encoded(b"\xff\xd8 not a jpeg", 90, True), settings.spec(), "blue", settings)
