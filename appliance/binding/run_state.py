"""The collection run's set-up (session code and roster) kept across a restart.

An operator who set up the session and imported the school's list must not find both gone after a
power cut or a service restart in the middle of the day. The file is written atomically; the
roster holds names and ID numbers, so it is sealed with the store's field cipher when the booth
has an encryption key (store.encryption_key_file) and is readable by the booth's user only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from appliance.binding.model import SESSION_CODE
from appliance.binding.roster import Roster, RosterEntry
from appliance.store.durable_files import atomic_write

RUN_STATE_FILE = "run-state.json"
log = logging.getLogger(__name__)


def roster_entries(roster: Roster) -> list[RosterEntry]:
    return list(roster._by_number.values())


class RunState:
    def __init__(self, data_dir: Path, cipher: Any) -> None:
        self._path = Path(data_dir) / RUN_STATE_FILE
        self._cipher = cipher

    def save(self, session_code: str, roster: Roster | None, roster_source: str) -> None:
        entries = [] if roster is None else [asdict(e) for e in roster_entries(roster)]
        sealed = self._cipher.seal_text(json.dumps(entries, ensure_ascii=False))
        body = {"session_code": session_code, "roster_source": roster_source if roster else "",
                "roster": sealed if roster is not None else None}
        self._path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self._path, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def load(self) -> tuple[str, Roster | None, str] | None:
        """(session code, roster, roster source) as last saved; None without a (readable) file."""
        if not self._path.exists():
            return None
        try:
            body = json.loads(self._path.read_text(encoding="utf-8"))
            code = str(body.get("session_code", ""))
            roster = None
            if body.get("roster") is not None:
                rows = json.loads(self._cipher.open_text(body["roster"]))
                roster = Roster([RosterEntry(**row) for row in rows])
        except Exception as exc:  # a damaged file must not stop the booth: start without a set-up
            log.error("run state %s unreadable (%s): session and roster not restored", self._path,
                      type(exc).__name__)
            return None
        if code and not SESSION_CODE.match(code):
            code = ""
        return code, roster, str(body.get("roster_source", "")) if roster is not None else ""
