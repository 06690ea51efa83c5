"""The operator's decisions that override the booth, kept where they can be read back.

An operator letting a refused subject through (or giving them another try) takes a decision the
booth could not: it must be answerable afterwards, with who, when, why and what the booth had
measured. Each entry is committed to SQLite (WAL, synchronous=FULL) before the override takes
effect, so a power cut never leaves an override that the audit does not know of.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.web.security import durable_database

AUDIT_FILE = "operator_audit.sqlite3"


@dataclass(frozen=True)
class AuditEntry:
    at: float
    operator: str
    action: str
    session: str
    reason: str
    detail: dict[str, Any]

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.at))


class OperatorAudit:
    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._db = durable_database(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS audit (at REAL NOT NULL, operator TEXT NOT NULL, action TEXT"
                         " NOT NULL, session TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL)")

    def record(self, operator: str, action: str, session: str, reason: str, detail: dict[str, Any]) -> AuditEntry:
        """Commit one entry (the detail must already be free of personal data) and return it."""
        entry = AuditEntry(self._clock(), operator, action, session, reason, detail)
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        with self._lock:
            self._db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?)",
                             (entry.at, operator, action, session, reason, text))
        return entry

    def recent(self, limit: int = 20) -> list[AuditEntry]:
        with self._lock:
            rows = self._db.execute("SELECT at, operator, action, session, reason, detail FROM audit"
                                    " ORDER BY rowid DESC LIMIT ?", (limit,)).fetchall()
        return [AuditEntry(at, op, action, session, reason, json.loads(detail))
                for at, op, action, session, reason, detail in rows]
