"""journald formatting: priority prefixes and the last-resort masking of ID numbers."""

from __future__ import annotations

import io
import logging

from appliance.system.journal_logging import configure_journal_logging, mask_id_numbers


def test_id_numbers_are_masked_but_other_numbers_kept():
    text = "student 11010519491231002X code c8bade99b9b2edca session 26031601 photo 123456789012345678901"
    masked = mask_id_numbers(text)
    assert "11010519491231002X" not in masked and "002X" in masked
    assert "26031601" in masked and "c8bade99b9b2edca" in masked
    assert "123456789012345678901" in masked, "a longer digit run is not an ID number"


def test_lines_carry_syslog_priority_and_are_masked():
    stream = io.StringIO()
    handler = configure_journal_logging(logging.DEBUG, stream)
    try:
        log = logging.getLogger("appliance.test")
        log.warning("bound %s", "110105194912310021")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "<4>appliance.test: bound **************0021"
    assert lines[1] == "<3>appliance.test: failed"
    assert all(line.startswith("<3>") for line in lines[1:])
    assert any("ValueError: boom" in line for line in lines)
