"""The session's expected students, imported from the school's CSV, XLSX, XLS or ODS export.

Schools export from different systems: UTF-8 (with or without BOM) or GBK, Chinese or English
headers, ID numbers that Excel turned into floating-point numbers. Every row is checked on its own
and a bad row is reported with its row number and a bilingual reason, so the operator can fix the
file and import again; the good rows are usable right away. Reports show masked values only.

A file that is too big in any way is refused as a whole, cheaply and with a reason: an XLSX part
that unpacks beyond its limit (a shared strings table of hundreds of MB) before openpyxl parses
it, rows beyond the limit counting empty ones (millions of blank rows) as soon as they are
reached, a CSV field beyond the csv module's limit with its row number; an overlong value in an
otherwise usable row is a bad row. Legacy XLS (still what many school systems export) and ODS are
read by python-calamine in a memory-capped child process (see legacy_sheets.py): calamine holds a
sheet as one dense grid, which a tiny file can make enormous.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from appliance.binding.errors import RosterError
from appliance.binding.id_numbers import id_number_problem, normalize_id_number
from appliance.binding.legacy_sheets import sheet_rows
from appliance.binding.model import CAPTURE_CODE

# Header spellings seen in school exports, mapped to our column names.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "student_number": ("学号", "考生号", "student_number", "student number", "student_no", "sno"),
    "name": ("姓名", "name", "student_name"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "证件号", "id_number", "id number", "id_no"),
    "capture_code": ("采集码", "图像采集码", "capture_code", "capture code"),
    "sex": ("性别", "sex", "gender"),
    "major": ("专业", "专业名称", "major"),
    "level": ("层次", "学历层次", "level"),
}
REQUIRED_COLUMNS = ("student_number", "name", "id_number")
_STUDENT_NUMBER = re.compile(r"^[0-9A-Za-z-]{4,32}$")
_MAX_FILE_BYTES = 50_000_000
# Uncompressed sizes of an XLSX's parts: sheets are streamed, everything else (the shared strings,
# styles) is loaded whole by openpyxl. 20,000 students need about 1 MB of shared strings.
_MAX_SHEET_PART_BYTES = 64_000_000
_MAX_OTHER_PART_BYTES = 16_000_000
# A value longer than this is no name, number or code (the longest is a major's name).
_MAX_VALUE_CHARS = 200
# Rows read at most, counting empty ones, per allowed row: blank rows between groups are fine,
# a million formatted but empty rows are not worth the time it takes to skip them.
_BLANK_ALLOWANCE = 10_000
# The first bytes of an OLE2 compound file: an Excel 97-2003 workbook (.xls).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class RosterEntry:
    student_number: str
    name: str = field(repr=False)
    id_number: str = field(repr=False)
    capture_code: str = ""
    sex: str = ""
    major: str = field(default="", repr=False)
    level: str = ""


@dataclass(frozen=True)
class RowProblem:
    row: int  # as the operator sees it in the spreadsheet: the header is row 1
    message: str


class Roster:
    """Students by student number and by capture code, for lookups during a session."""

    def __init__(self, entries: list[RosterEntry]) -> None:
        self._by_number = {entry.student_number: entry for entry in entries}
        self._by_code = {entry.capture_code: entry for entry in entries if entry.capture_code}

    def __len__(self) -> int:
        return len(self._by_number)

    def by_student_number(self, number: str) -> RosterEntry | None:
        return self._by_number.get(number.strip())

    def by_capture_code(self, code: str) -> RosterEntry | None:
        return self._by_code.get(code.strip().lower())


@dataclass
class RosterImport:
    """What an import produced: the usable roster and the report of rows that were left out."""

    roster: Roster
    encoding: str
    rows_read: int
    problems: list[RowProblem]

    @property
    def rows_accepted(self) -> int:
        return len(self.roster)

    def report_lines(self) -> list[str]:
        bad = len(self.problems)
        lines = [
            f"读取 {self.rows_read} 行，导入 {self.rows_accepted} 行，{bad} 行有误（编码 {self.encoding}）"
            f" / read {self.rows_read} rows, imported {self.rows_accepted}, {len(self.problems)} bad"
            f" (encoding {self.encoding})"
        ]
        lines += [f"第 {p.row} 行 / row {p.row}: {p.message}" for p in self.problems]
        return lines


def _decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 first (a GBK file almost never decodes as UTF-8 by accident), then GB18030 (covers GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise RosterError(
            "名单文件编码无法识别（应为UTF-8或GBK） / roster file is neither UTF-8 nor GBK text"
        ) from None


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text; an integer-valued number loses its '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> tuple[Iterator[list[str]], str]:
    text, encoding = _decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect), encoding


def _check_zip_parts(path: Path) -> str:
    """'xlsx' or 'ods' (an OpenDocument spreadsheet has content.xml, an XLSX xl/); refuses one whose
    parts unpack too large, from the ZIP directory, before a reader loads them (zipfile never
    unpacks a member past the size its directory declares)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RosterError("名单文件无法打开（不是有效的XLSX） / roster is not a valid XLSX file: BadZipFile") from None
    names = {part.filename for part in parts}
    kind = "ods" if "content.xml" in names and not any(n.startswith("xl/") for n in names) else "xlsx"
    name = kind.upper()
    for part in parts:
        sheet = part.filename.startswith("xl/worksheets/") or part.filename == "content.xml"
        limit = _MAX_SHEET_PART_BYTES if sheet else _MAX_OTHER_PART_BYTES
        if part.file_size > limit:
            raise RosterError(
                f"名单文件中的 {part.filename} 解压后过大（{part.file_size / 1e6:.0f} MB，上限 {limit / 1e6:.0f} MB）"
                f" / roster {name} part {part.filename} is too large when unpacked"
                f" ({part.file_size / 1e6:.0f} MB, limit {limit / 1e6:.0f} MB)"
            )
    return kind


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterError(
            f"名单文件无法打开（不是有效的XLSX） / roster is not a valid XLSX file: {type(exc).__name__}"
        ) from None
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _column_map(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        wanted = re.sub(r"\s+", " ", str(title or "")).strip().lower()
        for column, aliases in COLUMN_ALIASES.items():
            if wanted in aliases and column not in columns:
                columns[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        names = "、".join(COLUMN_ALIASES[c][0] for c in missing)
        raise RosterError(f"名单缺少列：{names} / roster is missing the column(s): {', '.join(missing)}")
    return columns


def _row_problem(values: dict[str, str], raw_id: object) -> str | None:
    long = next((column for column, value in values.items() if len(value) > _MAX_VALUE_CHARS), None)
    if long is not None:
        return (f"{COLUMN_ALIASES[long][0]}过长（超过 {_MAX_VALUE_CHARS} 字）"
                f" / {long} is too long (over {_MAX_VALUE_CHARS} characters)")
    if not values["student_number"]:
        return "学号为空 / student number is empty"
    if not _STUDENT_NUMBER.match(values["student_number"]):
        return "学号格式不正确（4-32位字母数字） / student number must be 4-32 letters or digits"
    if not values["name"]:
        return "姓名为空 / name is empty"
    if isinstance(raw_id, float) or re.fullmatch(r"\d(\.\d+)?E\+\d+", values["id_number"], re.IGNORECASE):
        return (
            "身份证号被Excel存成了数字，末几位已丢失，请将该列设为文本后重新导出 / "
            "the ID number was stored as a number by Excel and lost digits: "
            "set the column to text and export again"
        )
    problem = id_number_problem(values["id_number"])
    if problem:
        return problem
    if values["capture_code"] and not CAPTURE_CODE.match(values["capture_code"].lower()):
        return "采集码应为16位十六进制 / capture code must be 16 hex digits"
    return None


def import_roster(path: str | Path, max_rows: int = 20_000) -> RosterImport:
    """Read and check a roster file; raises RosterError only when the file as a whole is unusable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise RosterError(f"名单文件过大 / roster file too large ({size // 1_000_000} MB)")
        data = path.read_bytes()
        rows: Iterator[Sequence[object]]  # read only: csv gives lists of str, the sheets lists of cells
        read_at_most = max_rows + _BLANK_ALLOWANCE + 2  # one past what _bounded accepts, so it refuses
        if data[:4] == b"PK\x03\x04":  # a ZIP container: XLSX or ODS
            encoding = _check_zip_parts(path)
            rows = sheet_rows(path, "ods", read_at_most) if encoding == "ods" else _xlsx_rows(path)
        elif data[:8] == _OLE2_MAGIC:
            rows, encoding = sheet_rows(path, "xls", read_at_most), "xls"
        else:
            csv_rows, encoding = _csv_rows(data)
            rows = iter(csv_rows)
    except FileNotFoundError:
        raise RosterError(f"找不到名单文件 / roster file not found: {path.name}") from None
    except IsADirectoryError:
        raise RosterError(f"名单路径是文件夹 / roster path is a directory: {path.name}") from None
    except PermissionError:
        raise RosterError(f"没有权限读取名单文件 / no permission to read the roster: {path.name}") from None
    return _import_rows(rows, encoding, max_rows)


def _bounded(rows: Iterator[Sequence[object]], max_rows: int) -> Iterator[tuple[int, Sequence[object]]]:
    """(spreadsheet row number, row), stopping with a RosterError past the row limit counting empty
    rows, or at a row the csv module cannot read (a field over its 131,072-character limit)."""
    limit = max_rows + _BLANK_ALLOWANCE
    number = 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RosterError(
                f"名单第 {number} 行无法读取（字段过长或格式错误） / roster row {number} cannot be read: {exc}"
            ) from None
        if number > limit + 1:
            raise RosterError(
                f"名单超过 {limit} 行（含空行），请删除多余的空行后重新导出"
                f" / roster has more than {limit} rows counting empty rows: delete them and export again"
            )
        yield number, row
        number += 1


def _import_rows(rows: Iterator[Sequence[object]], encoding: str, max_rows: int) -> RosterImport:
    numbered = _bounded(rows, max_rows)
    try:
        header = next(numbered)[1]
    except StopIteration:
        header = None
    if header is None:
        raise RosterError("名单文件为空 / roster file is empty")
    columns = _column_map([_cell_text(cell) for cell in header])
    entries: list[RosterEntry] = []
    problems: list[RowProblem] = []
    seen_numbers: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    rows_read = 0
    for row_number, row in numbered:
        if not any(_cell_text(cell) for cell in row):
            continue
        rows_read += 1
        if rows_read > max_rows:
            raise RosterError(f"名单超过 {max_rows} 行上限 / roster has more than {max_rows} rows")
        values = {c: _cell_text(row[i]) if i < len(row) else "" for c, i in columns.items()}
        for column in COLUMN_ALIASES:
            values.setdefault(column, "")
        raw_id = row[columns["id_number"]] if columns["id_number"] < len(row) else None
        problem = _row_problem(values, raw_id)
        number, code = values["student_number"], values["capture_code"].lower()
        if problem is None and number in seen_numbers:
            first = seen_numbers[number]
            problem = f"学号与第 {first} 行重复 / student number repeats row {first}"
        if problem is None and code and code in seen_codes:
            first = seen_codes[code]
            problem = f"采集码与第 {first} 行重复 / capture code repeats row {first}"
        if problem is not None:
            problems.append(RowProblem(row_number, problem))
            continue
        seen_numbers[number] = row_number
        if code:
            seen_codes[code] = row_number
        entries.append(
            RosterEntry(
                student_number=number,
                name=values["name"],
                id_number=normalize_id_number(values["id_number"]),
                capture_code=code,
                sex=values["sex"],
                major=values["major"],
                level=values["level"],
            )
        )
    return RosterImport(Roster(entries), encoding, rows_read, problems)
