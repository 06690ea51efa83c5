"""Rows of a legacy Excel (.xls) or OpenDocument (.ods) roster, read by python-calamine in a child
process whose address space is capped.

calamine reads a whole sheet into one dense grid from its first to its last used cell: a 6 KB
.xls with one cell at row 65,536, column 256 asks for about 1 GB (measured: 8.5 s, 1,040 MB RSS),
and an .ods row repeated a million times does the same. Nothing cheap tells the true extent before
reading, so the reading happens where running out of memory ends only the child: the parent sees
the child die and refuses the file as too large, in well under a second. XLSX stays with openpyxl,
which streams rows and needs no such cap.

The child writes one JSON array per row to stdout, at most `rows` of them, with trailing empty
cells dropped (a million blank rows cost a few bytes each), and an error as one JSON object on
stderr's last line.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from appliance.binding.errors import RosterError

# Address space of the child: a 20,000-row roster of 8 columns peaks at about 37 MB of RSS; the
# interpreter and the library map about 60 MB more.
CHILD_ADDRESS_SPACE_BYTES = 320 << 20
CHILD_TIMEOUT_S = 60.0
_KINDS = {"xls": "XLS", "ods": "ODS"}


def _json_cell(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _child(path: str, rows: int) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE_BYTES, CHILD_ADDRESS_SPACE_BYTES))
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own kinds for each damaged format
        print(json.dumps({"error": type(exc).__name__}), file=sys.stderr)
        return 3
    out = sys.stdout
    for count, row in enumerate(sheet.iter_rows()):
        if count >= rows:
            break
        cells = [_json_cell(value) for value in row]
        while cells and cells[-1] in ("", None):
            cells.pop()
        out.write(json.dumps(cells, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def sheet_rows(path: Path, kind: str, max_rows: int) -> Iterator[list[object]]:
    """The first sheet's rows (at most `max_rows`), or a RosterError saying why the file is unusable."""
    name = _KINDS[kind]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "appliance.binding.legacy_sheets", str(path), str(max_rows)],
            capture_output=True, timeout=CHILD_TIMEOUT_S, text=True, encoding="utf-8",
        )
    except subprocess.TimeoutExpired:
        raise RosterError(
            f"名单文件读取超时（超过 {CHILD_TIMEOUT_S:.0f} 秒），文件过大或已损坏"
            f" / reading the {name} roster took over {CHILD_TIMEOUT_S:.0f} s: too large or damaged"
        ) from None
    if result.returncode < 0 or "memory allocation" in result.stderr or "MemoryError" in result.stderr:
        raise RosterError(
            f"名单文件过大（表格范围超出内存上限 {CHILD_ADDRESS_SPACE_BYTES >> 20} MB），"
            "请删除多余的空行和空列后重新导出"
            f" / the {name} roster's sheet is too large to read (over {CHILD_ADDRESS_SPACE_BYTES >> 20} MB):"
            " delete empty rows and columns and export again"
        )
    if result.returncode != 0:
        reason = "unreadable"
        lines = result.stderr.strip().splitlines()
        if lines and lines[-1].startswith("{"):
            reason = json.loads(lines[-1]).get("error", reason)
        raise RosterError(f"名单文件无法打开（不是有效的{name}） / roster is not a valid {name} file: {reason}")
    for line in result.stdout.splitlines():
        yield json.loads(line)


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1], int(sys.argv[2])))
