"""Legacy .xls rosters (what many school systems still export) and .ods are read like XLSX, with
the same row report, and stay bounded: a tiny file whose sheet spans a huge grid is refused
quickly instead of eating the booth's memory. The files are made here (xlwt writes .xls; an .ods
is a ZIP of XML), with invented students only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xlwt

from appliance.binding.errors import RosterError
from appliance.binding.roster import import_roster
from appliance.testing.web_fakes import logged_in_operator, make_deps

GOOD_ID = "110101200001011232"
OTHER_ID = "11010120000101125X"


def write_xls(path: Path, rows: list[list[object]], far_cell: tuple[int, int] | None = None) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    if far_cell:
        sheet.write(*far_cell, "x")
    book.save(str(path))
    return path


def _ods_cell(value: object) -> str:
    if isinstance(value, float | int):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path, rows: list[list[object]], extra_xml: str = "") -> Path:
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="名单">{body}{extra_xml}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


ROWS: list[list[object]] = [
    ["学号", "姓名", "身份证号", "专业"],
    [20230001.0, "黄小正", GOOD_ID, "计算机科学与技术"],  # a student number Excel stored as a number
    ["20230002", "李明", 1.10101200001011e17, "数学"],  # an ID number Excel stored as a number
    ["20230003", "王芳", OTHER_ID, "x" * 5000],  # an overlong value: a bad row
    [],
    ["20230004", "赵磊", "110101200001011216", "物理"],
]


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_a_legacy_roster_gets_the_same_row_report_as_xlsx(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"roster.{kind}"
    (write_xls if kind == "xls" else write_ods)(path, ROWS)
    result = import_roster(path)
    assert result.encoding == kind
    assert result.rows_read == 4 and result.rows_accepted == 2
    first = result.roster.by_student_number("20230001")
    assert first is not None and first.name == "黄小正" and first.id_number == GOOD_ID
    assert first.major == "计算机科学与技术"
    assert result.roster.by_student_number("20230004") is not None
    problems = {p.row: p.message for p in result.problems}
    assert set(problems) == {3, 4}
    assert "stored as a number by Excel" in problems[3]
    assert "too long" in problems[4]


def test_an_xls_whose_sheet_spans_the_whole_grid_is_refused_as_too_large(tmp_path: Path) -> None:
    """6 KB on disk, 65,536 x 256 cells in calamine's grid (about 1 GB unbounded)."""
    path = write_xls(tmp_path / "r.xls", ROWS[:2], far_cell=(65535, 255))
    assert path.stat().st_size < 10_000
    with pytest.raises(RosterError, match="too large") as refused:
        import_roster(path)
    assert "过大" in str(refused.value)


def test_an_xls_with_too_many_rows_counting_empty_ones_is_refused(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "r.xls", ROWS[:2], far_cell=(20_000, 0))
    with pytest.raises(RosterError, match="empty rows"):
        import_roster(path, max_rows=100)


def test_an_ods_with_a_million_repeated_rows_is_refused(tmp_path: Path) -> None:
    repeated = ('<table:table-row table:number-rows-repeated="1048000">'
                '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
                '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p>'
                "</table:table-cell></table:table-row>")
    path = write_ods(tmp_path / "r.ods", ROWS[:2], extra_xml=repeated)
    with pytest.raises(RosterError, match="empty rows"):
        import_roster(path, max_rows=100)


def test_a_damaged_xls_is_refused_with_its_format_named(tmp_path: Path) -> None:
    path = tmp_path / "r.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(RosterError, match="not a valid XLS") as refused:
        import_roster(path)
    assert "无法打开" in str(refused.value)


def test_the_console_imports_an_xls_roster(tmp_path: Path) -> None:
    deps, _, _ = make_deps(tmp_path)
    deps.import_roster = import_roster
    client, token = logged_in_operator(deps)
    assert ".xls" in client.get("/operator").get_data(as_text=True)
    data = write_xls(tmp_path / "upload.xls", ROWS).read_bytes()
    upload = {"csrf_token": token, "roster": (io.BytesIO(data), "名单.xls")}
    response = client.post("/operator/roster", data=upload, content_type="multipart/form-data")
    assert response.status_code == 303
    assert deps.run.roster is not None and len(deps.run.roster) == 2
