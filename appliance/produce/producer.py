"""The collector's standard photo as the session's `Producer` port (session/ports.py)."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from appliance.inference.engine import Analyzer, Report
from appliance.inference.guidance import first_failure, verdict_of
from appliance.produce.encode import encode_in_window
from appliance.produce.photo import produce_photo
from appliance.session.ports import Product
from appliance.settings import Settings


class StandardProducer:
    """The collector's standard photo from the chosen still (appliance.produce), as the session's port.

    `settings` is public so the operator console's validated changes reach the next photo.
    Advisory checks (the demo's) do not block: a product refused only by them is encoded as the
    producer would have encoded it, and the report says which checks were advisory.
    """

    def __init__(self, analyzer: Analyzer, settings: Settings, advisory: Collection[str] = ()) -> None:
        self._analyzer = analyzer
        self.settings = settings
        self._advisory = frozenset(advisory)

    def produce(self, still: np.ndarray) -> Product:
        settings = self.settings
        # the still's face is where the live track left it a moment ago: searched there first
        analysis = self._analyzer.analyze(still, seed=self._analyzer.live_seed(still.shape))
        result = produce_photo(self._analyzer, still, settings, analysis=analysis)
        if result.report is None:
            return Product(False, None, result.reason_zh, result.reason_en, report={"refusal": result.code})
        jpeg = result.jpeg
        only_advisory = first_failure(result.report.checks, self._advisory) is None
        if jpeg is None and only_advisory and result.image is not None:
            cfg = settings.produce
            spec = cfg.spec()
            jpeg = encode_in_window(result.image, int(spec.min_kb * 1024), int(spec.max_kb * 1024),
                                    cfg.min_quality, cfg.max_quality, spec.dpi).data
        if jpeg is None:
            return Product(False, None, result.reason_zh, result.reason_en,
                           report={"refusal": result.code, "checks": [c.to_dict() for c in result.report.checks]})
        return product_from_report(jpeg, result.report, self._advisory, producer="standard")


def product_from_report(jpeg: bytes, report: Report, advisory: Collection[str], producer: str) -> Product:
    failed = first_failure(report.checks, advisory)
    summary = {
        "verdict": verdict_of(report.checks, advisory),
        "engine_verdict": report.verdict,
        "producer": producer,
        "advisory": sorted(advisory),
        "checks": [c.to_dict() for c in report.checks],
    }
    if failed is None:
        return Product(True, jpeg, report=summary)
    return Product(False, jpeg, failed.message_zh, failed.message_en, report=summary)
