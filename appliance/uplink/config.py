"""Settings of the uplink (the booth's side of the collection protocol)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class UplinkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Empty means "no collection server configured": the worker is not started and the console says so.
    server_url: str = Field("", max_length=500, pattern=r"^(|https?://[^\s]+)$")
    device_key_file: Path | None = None
    # CA bundle to check the server's certificate against; None uses the system's trust store.
    ca_file: Path | None = None
    timeout_s: float = Field(15.0, ge=0.1, le=300.0)
    backoff_base_s: float = Field(2.0, ge=0.01, le=600.0)
    backoff_max_s: float = Field(900.0, ge=0.1, le=86400.0)
    review_poll_s: float = Field(60.0, ge=0.1, le=86400.0)
    batch_size: int = Field(8, ge=1, le=500)
    # How often the booth tells the server its queue, disk, temperature and version (0: never).
    heartbeat_s: float = Field(300.0, ge=0.0, le=86400.0)
