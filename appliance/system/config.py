"""Settings of unattended operation and of the self-checks (`appliance doctor`).

The thresholds are the ones an operator might reasonably tune per site; bounds refuse values that
would make a check meaningless (a free-space minimum of 0 never warns before the disk is full).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SystemSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The main loop must beat at least this often or the systemd watchdog is no longer fed; it is
    # longer than the slowest legitimate step (model warm-up happens before READY=1) and shorter
    # than the unit's WatchdogSec so that systemd, not the operator, notices a hang.
    heartbeat_timeout_s: float = Field(20.0, ge=1.0, le=600.0)
    # Where the last settings file that validated is kept; None means next to the data folder's
    # state (see appliance.system.settings_recovery.default_last_good_path).
    settings_last_good_path: Path | None = None
    min_free_disk_mb: int = Field(500, ge=50, le=1_000_000)
    # The Pi 4/5 firmware starts soft throttling at 80 C; warn a little before that.
    max_cpu_temp_c: float = Field(75.0, ge=40.0, le=95.0)
    # Without a synchronised clock, a year before this one means the clock was never set.
    clock_min_year: int = Field(2025, ge=2020, le=2100)
    network_timeout_s: float = Field(3.0, ge=0.2, le=30.0)
