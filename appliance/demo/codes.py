"""The demo's capture codes: reference-format codes under a public demo key, or plain codes.

The demo key is published (docs/capture-code-format.md) so that anyone can make codes the demo
booth reads (`appliance code make --key-id DEMO --key <hex>`); it is in the demo's settings only
and must never be configured on a real booth.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from appliance.binding.model import CodeFields
from appliance.binding.reference_format import ReferenceCodec, sample_fields

DEMO_KEY_ID = "DEMO"
DEMO_KEY_HEX = "3335d3b8940c671d2f76dc3a355e065cd2af3f401441157f03e5fe76298e2a37"
DEMO_SCHOOL_CODE = "10403"
# Session code of the demo's collection run: the format of SPEC §1's example.
DEMO_SESSION_CODE = "26031601"
DemoCodeFormat = Literal["reference", "plain"]
DEMO_CODE_FORMATS: tuple[DemoCodeFormat, ...] = ("reference", "plain")


def demo_code(fmt: DemoCodeFormat, session_code: str, rng: np.random.Generator) -> tuple[str, CodeFields]:
    """A fresh payload in the given format and the fields it carries."""
    fields = sample_fields(rng, session=session_code, school_code=DEMO_SCHOOL_CODE)
    if fmt == "plain":
        return fields.capture_code, CodeFields(capture_code=fields.capture_code)
    codec = ReferenceCodec({DEMO_KEY_ID: bytes.fromhex(DEMO_KEY_HEX)})
    return codec.encode(fields, DEMO_KEY_ID), fields
