"""Settings of the booth's durable store.

The free-space reserve is what keeps already accepted photos safe: new captures are refused while
there is still room for the queue's bookkeeping, instead of failing half-way through a commit.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dir: Path = Path("data/store")
    min_free_mb: int = Field(200, ge=1, le=100_000)
    retention_days: float = Field(14.0, ge=0.0, le=3650.0)
    # 32-byte key as 64 hex digits; when set, photos and personal fields are encrypted at rest.
    encryption_key_file: Path | None = None
