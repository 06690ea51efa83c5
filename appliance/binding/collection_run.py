"""The collection run (场次) the operator set up on the console, shared by the code reader and the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.binding.roster import Roster


@dataclass
class CollectionRun:
    """The active collection run (场次) the operator set up: its code and its roster, if any."""

    session_code: str = ""
    roster: Roster | None = None
    roster_source: str = ""
    # An import with bad rows waiting for the operator's yes before it replaces `roster`.
    pending_roster: Any = None
