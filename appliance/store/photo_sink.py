"""The store behind the session's `PhotoSink` port and the binder's retake lookup.

The store files photos by session, capture-code key and school; the session hands over a masked
binding and a product. These adapters translate between them and nothing else.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from appliance.binding.contract import personal_of
from appliance.binding.model import Binding as CodeBinding
from appliance.binding.model import PriorCapture
from appliance.errors import split_message
from appliance.session.ports import Product, Receipt
from appliance.store.errors import PhotoConflictError
from appliance.store.photo_store import PhotoStore


class StorePriorCaptures:
    """The binder's `captured_lookup`: the latest photo the store holds for a capture-code key.

    A photo counts as server-confirmed once the collection server's review accepted it; until then
    the subject is told the retake replaces it, and the store keeps both.
    """

    def __init__(self, store: PhotoStore) -> None:
        self._store = store

    def __call__(self, key: str) -> PriorCapture | None:
        record = self._store.latest_for_capture(key)
        if record is None:
            return None
        return PriorCapture(
            photo_id=record.sha256,
            captured_at=time.strftime("%Y-%m-%d %H:%M", time.localtime(record.captured_at)),
            server_confirmed=record.review_state == "accepted",
        )


def _binding_of(student: Any) -> tuple[str, str, str]:
    """(session code, capture key, school code): what the store files a photo under."""
    code_binding: CodeBinding = student.binding
    return code_binding.session_code, code_binding.key, code_binding.fields.school_code


class StorePhotoSink:
    """Commits the accepted photo to the durable store and returns the subject's receipt; says
    beforehand when the store cannot take a photo at all, or cannot take this one for this subject."""

    def __init__(self, store: PhotoStore, store_dir: Path | None = None) -> None:
        # `store_dir` is no longer needed (the store names its files); kept for existing callers.
        self._store = store

    def commit(self, binding: Any, product: Product) -> Receipt:
        if product.jpeg is None:
            raise ValueError("an accepted product has no JPEG")
        code_binding: CodeBinding = binding.binding
        fields = code_binding.fields
        personal = personal_of(fields)
        record = self._store.commit_accepted(
            *_binding_of(binding), product.jpeg, product.report, personal=personal,
        )
        return {
            "session": record.session_code,
            "capture_code": record.masked_capture_code,
            "photo": str(self._store.photo_path(record.sha256)),
            "sha256": record.sha256,
            "verdict": str(product.report.get("verdict", "pass")),
            "bytes": record.size_bytes,
        }

    def refusal(self, binding: Any, product: Product) -> tuple[str, str] | None:
        if product.jpeg is None:
            return None
        try:
            self._store.check_binding(product.jpeg, *_binding_of(binding))
        except PhotoConflictError as exc:
            return split_message(str(exc))
        return None

    def unavailable(self) -> tuple[str, str] | None:
        problem = self._store.capture_problem()
        return None if problem is None else split_message(problem)
