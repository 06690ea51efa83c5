"""Roster files that are too big in some way are refused clearly and cheaply, never a 500 or a
memory balloon: a CSV field over the csv module's 131,072-character limit, an XLSX whose shared
strings table unpacks to hundreds of MB, millions of empty rows."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

import appliance.binding.roster as roster_module
from appliance.binding.errors import RosterError
from appliance.binding.roster import import_roster
from appliance.testing.web_fakes import logged_in_operator, make_deps

GOOD_ID = "110101200001011232"
HEADER = "学号,姓名,身份证号\n"
SHARED_STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_csv_field_over_the_csv_limit_is_a_clear_refusal(tmp_path) -> None:
    text = HEADER + f"20230001,黄小正,{GOOD_ID}\n20230002,{'x' * 200_000},{GOOD_ID}\n"
    with pytest.raises(RosterError, match="第 3 行") as refused:
        import_roster(write(tmp_path, "r.csv", text.encode()))
    assert "row 3" in str(refused.value)


def test_an_overlong_field_is_a_bad_row_and_the_others_are_imported(tmp_path) -> None:
    text = HEADER + f"20230001,黄小正,{GOOD_ID}\n20230002,{'黄' * 5000},{GOOD_ID}\n"
    result = import_roster(write(tmp_path, "r.csv", text.encode()))
    assert result.rows_accepted == 1
    assert [(p.row, "too long" in p.message) for p in result.problems] == [(3, True)]


def test_millions_of_empty_rows_are_refused_without_reading_them_all(tmp_path, monkeypatch) -> None:
    text = HEADER + f"20230001,黄小正,{GOOD_ID}\n" + ",,\n" * 300_000
    checked: list[int] = []
    real = roster_module._cell_text
    monkeypatch.setattr(roster_module, "_cell_text", lambda value: checked.append(1) or real(value))
    with pytest.raises(RosterError, match="empty rows"):
        import_roster(write(tmp_path, "r.csv", text.encode()), max_rows=100)
    assert len(checked) < 100_000  # stopped near the limit, not after 300,000 rows (900,000 cells)


def xlsx_with_shared_strings(tmp_path: Path, shared_strings: bytes) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "身份证号"])
    sheet.append(["20230001", "黄小正", GOOD_ID])
    plain = io.BytesIO()
    book.save(plain)
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":  # declare the table, so openpyxl reads it
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                    + SHARED_STRINGS_TYPE + b'"/></Types>')
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info.filename, data)
        target.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def test_an_xlsx_with_a_huge_shared_strings_table_is_refused_before_it_is_parsed(tmp_path) -> None:
    strings = b"".join(b"<si><t>%07d-%s</t></si>" % (i, b"y" * 200) for i in range(200_000))
    table = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main" count="200000" uniqueCount="200000">' + strings + b"</sst>")
    path = xlsx_with_shared_strings(tmp_path, table)
    assert path.stat().st_size < 5_000_000 < len(table)
    tracemalloc.start()
    try:
        with pytest.raises(RosterError, match="sharedStrings") as refused:
            import_roster(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "过大" in str(refused.value) and "too large" in str(refused.value)
    assert peak < 20_000_000


def test_an_xlsx_whose_last_row_is_a_million_rows_down_is_refused(tmp_path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "身份证号"])
    sheet.append(["20230001", "黄小正", GOOD_ID])
    sheet.cell(row=1_000_000, column=1, value="x")
    path = tmp_path / "r.xlsx"
    book.save(path)
    with pytest.raises(RosterError, match="empty rows"):
        import_roster(path, max_rows=100)


def test_the_console_answers_a_bad_roster_with_a_message_not_a_500(tmp_path) -> None:
    deps, _, _ = make_deps(tmp_path)
    deps.import_roster = import_roster
    client, token = logged_in_operator(deps)
    text = HEADER + f"20230002,{'x' * 200_000},{GOOD_ID}\n"
    upload = {"csrf_token": token, "roster": (io.BytesIO(text.encode()), "r.csv")}
    response = client.post("/operator/roster", data=upload, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "第 2 行" in response.get_data(as_text=True)
