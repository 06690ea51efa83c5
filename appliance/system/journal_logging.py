"""Logging for journald: syslog priority prefixes, no timestamps, ID numbers masked as a last resort.

journald stamps every line itself and reads a leading `<N>` as its priority (SyslogLevelPrefix=yes
in the unit), so `journalctl -p warning` works. Personal data is masked by the code that logs it
(appliance.privacy); the filter here only catches a mainland ID number that slipped through,
because once a line is in the journal it cannot be taken back.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from appliance.privacy import mask_id_number

# 18-character resident ID number: 17 digits and a digit or X check character.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")

_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def mask_id_numbers(text: str) -> str:
    return _ID_NUMBER.sub(lambda match: mask_id_number(match.group(0)), text)


class JournalFormatter(logging.Formatter):
    """`<priority>logger: message`, every line of a traceback with the same priority."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
        text = mask_id_numbers(super().format(record))
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def configure_journal_logging(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Install the journald handler on the root logger; called once by the composition root."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JournalFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
