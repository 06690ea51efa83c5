"""Roster import (CSV UTF-8/GBK, XLSX) with a row-by-row report, and student-number login."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.binding import errors
from appliance.binding.binder import CodeBinder
from appliance.binding.config import CodesSettings
from appliance.binding.decoders import load_decoders
from appliance.binding.errors import RosterError
from appliance.binding.id_numbers import check_digit, is_resident_id
from appliance.binding.roster import Roster, RosterEntry, import_roster

GOOD_ID = "11010519491231002X"
GOOD_ID_2 = "440524188001010014"

CSV_TEXT = (
    "学号,姓名,身份证号,采集码,性别\n"
    f"2022001234,黄小正,{GOOD_ID},c8bade99b9b2edca,男\n"
    f"2022001235,李四,{GOOD_ID_2},,女\n"
    ",王五,110105194912310021,,男\n"          # empty student number
    "2022001237,,110105194912310021,,男\n"    # empty name
    "2022001238,赵六,110105194912310022,,男\n"  # wrong check digit
    "2022001239,钱七,12345,,男\n"              # too short, digits only
    f"2022001234,孙八,{GOOD_ID_2},,男\n"        # duplicate student number
    f"2022001240,周九,{GOOD_ID_2},C8BADE99B9B2EDCA,男\n"  # duplicate capture code
    f"2022001241,吴十,{GOOD_ID_2},xyz,男\n"     # bad capture code
    ",,,,\n"                                   # blank line: skipped, not a problem
    "2022001242,郑一,E12345678,,女\n"           # passport number: accepted
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk")]
)
def test_csv_in_each_encoding_gives_the_same_report(tmp_path: Path, encoding: str, expected: str) -> None:
    result = import_roster(_write(tmp_path, "r.csv", CSV_TEXT.encode(encoding)))
    assert result.encoding == expected
    assert result.rows_read == 10
    assert result.rows_accepted == 3
    assert [p.row for p in result.problems] == [4, 5, 6, 7, 8, 9, 10]
    assert result.roster.by_student_number("2022001234").name == "黄小正"
    assert result.roster.by_capture_code("C8BADE99B9B2EDCA").student_number == "2022001234"
    messages = [p.message for p in result.problems]
    assert "学号为空" in messages[0] and "check digit" in messages[2]
    assert "repeats row 2" in messages[4] and "repeats row 2" in messages[5]
    report = "\n".join(result.report_lines())
    assert GOOD_ID not in report and "黄小正" not in report


def test_english_headers_and_semicolons(tmp_path: Path) -> None:
    text = f"Student Number;Name;ID Number\n2022001234;Li Si;{GOOD_ID}\n"
    result = import_roster(_write(tmp_path, "r.csv", text.encode()))
    assert result.rows_accepted == 1 and not result.problems


def test_xlsx_with_excel_mangled_id_numbers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["学号", "姓名", "身份证号"])
    sheet.append([2022001234, "黄小正", GOOD_ID])
    sheet.append([2022001235, "李四", 440524188001010014])  # stored as a number: digits lost
    sheet.append([2022001236, "王五", "4.40524188001E+17"])  # pasted from a CSV opened in Excel
    path = tmp_path / "r.xlsx"
    book.save(path)
    result = import_roster(path)
    assert result.encoding == "xlsx"
    assert result.roster.by_student_number("2022001234") is not None  # integer cell, no ".0"
    assert [p.row for p in result.problems] == [3, 4]
    assert all("Excel" in p.message for p in result.problems)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        ("姓名,身份证号\n黄小正,1\n".encode(), "missing the column"),
        (b"\xff\xfe\x00\xd8\x00\x00garbage\x81", "neither UTF-8 nor GBK"),
        (b"PK\x03\x04not really a zip", "not a valid XLSX"),
    ],
)
def test_unusable_files_are_refused_as_a_whole(tmp_path: Path, content: bytes, match: str) -> None:
    with pytest.raises(RosterError, match=match):
        import_roster(_write(tmp_path, "r.csv", content))


def test_missing_file_and_row_limit(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="not found"):
        import_roster(tmp_path / "none.csv")
    many = "学号,姓名,身份证号\n" + "".join(f"20220{i:05d},张三,{GOOD_ID}\n" for i in range(12))
    with pytest.raises(RosterError, match="more than 10 rows"):
        import_roster(_write(tmp_path, "r.csv", many.encode()), max_rows=10)


def test_check_digit() -> None:
    assert check_digit("11010519491231002") == "X"
    assert is_resident_id(GOOD_ID.lower()) and not is_resident_id("110105194912310021")


def _login_binder(allow: bool = True, lookup=lambda key: None) -> CodeBinder:
    settings = CodesSettings(allow_student_login=allow, school_code="10403")
    return CodeBinder(settings, load_decoders(settings, lambda: []), lookup)


def test_student_number_login(tmp_path: Path) -> None:
    roster = import_roster(_write(tmp_path, "r.csv", CSV_TEXT.encode())).roster
    binding = _login_binder().login("2022001234", GOOD_ID.lower(), "26031601", roster)
    assert binding.format == "login" and binding.key == "c8bade99b9b2edca"
    assert binding.display["name"] == "黄*正"
    without_code = _login_binder().login("2022001235", GOOD_ID_2, "26031601", roster)
    assert without_code.key == "student:2022001235"
    for number, id_number in [("2022001234", GOOD_ID_2), ("2099999999", GOOD_ID), ("2022001234", "")]:
        with pytest.raises(errors.LoginFailed):
            _login_binder().login(number, id_number, "26031601", roster)
    with pytest.raises(errors.LoginDisabled):
        _login_binder(allow=False).login("2022001234", GOOD_ID, "26031601", roster)
    with pytest.raises(errors.NoRosterLoaded):
        _login_binder().login("2022001234", GOOD_ID, "26031601", None)
    with pytest.raises(errors.NoActiveSession):
        _login_binder().login("2022001234", GOOD_ID, None, roster)


def test_student_login_through_the_booths_reader_binds_and_refuses(tmp_path: Path) -> None:
    """The screen's login reaches Binder.login through the booth's reader, with the run's roster."""
    from appliance.binding.code_reader import BoundStudent, QrCodeReader
    from appliance.binding.collection_run import CollectionRun
    from appliance.session.ports import CodeRejected

    roster = Roster([RosterEntry("2022001234", "黄小正", GOOD_ID)])
    run = CollectionRun("26031601", roster)
    reader = QrCodeReader(_login_binder(), run)
    assert reader.login_allowed()
    bound = reader.login("2022001234", GOOD_ID.lower())
    assert isinstance(bound, BoundStudent) and bound.binding.key == "student:2022001234"
    refused = reader.login("2022001234", GOOD_ID_2)
    assert isinstance(refused, CodeRejected) and refused.reason_zh.startswith("学号或身份证号不正确")
    assert not QrCodeReader(_login_binder(allow=False), run).login_allowed()
    assert not QrCodeReader(_login_binder(), CollectionRun("26031601")).login_allowed()
