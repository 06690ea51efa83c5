"""`appliance code scan/make/roster`: the exact JSON contract, and a run that survives bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.binding.phone_photo import PhoneShot, render_phone_photo
from appliance.cli import main

KEY_HEX = bytes(range(32)).hex()
SCAN_KEYS = ["path", "ok", "format", "capture_code", "fields", "error"]


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "booth.toml"
    path.write_text(f'[codes]\nreference_keys = {{ K1 = "{KEY_HEX}" }}\n', encoding="utf-8")
    return path


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_make_then_scan_json(tmp_path: Path, settings_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    codes = tmp_path / "codes"
    args = ["--settings", str(settings_file), "code", "make", "--out", str(codes), "--count", "2", "--seed", "4"]
    assert main([*args, "--name", "黄小正"]) == 0
    photo = tmp_path / "phone.png"
    assert main(["--settings", str(settings_file), "code", "make", "--out", str(photo), "--phone-photo",
                 "--module-px", "3", "--seed", "5"]) == 0
    plain = tmp_path / "plain.png"
    assert main(["code", "make", "--plain", "--out", str(plain), "--capture-code", "c8bade99b9b2edca"]) == 0
    capsys.readouterr()

    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), render_phone_photo(None, PhoneShot(), np.random.default_rng(1)))
    url = tmp_path / "url.png"
    import segno

    segno.make("https://example.com/x").save(str(url), scale=6)
    images = [*sorted(map(str, codes.iterdir())), str(photo), str(plain), str(not_image),
              str(blank), str(tmp_path / "missing.jpg"), str(url)]
    status = main(["--settings", str(settings_file), "code", "scan", "--json", *images])
    records = _lines(capsys)
    assert status == 1
    assert [r["path"] for r in records] == images
    assert all(list(r) == SCAN_KEYS for r in records)
    made, phone, plain_r, bad, nothing, missing, foreign = records[0:2], records[2], *records[3:]
    for record in made:
        assert record["ok"] and record["format"] == "reference" and record["error"] is None
        assert record["fields"]["name"] == "黄*正" and "*" in record["capture_code"]
        assert record["fields"]["id_number"].startswith("**************")
    assert phone["ok"] and phone["format"] == "reference"
    assert plain_r == {"path": str(plain), "ok": True, "format": "plain",
                       "capture_code": "c8ba********edca", "fields": {}, "error": None}
    assert not bad["ok"] and "not an image" in bad["error"]
    assert not nothing["ok"] and "no QR code" in nothing["error"]
    assert not missing["ok"] and "not found" in missing["error"]
    assert not foreign["ok"] and "web link" in foreign["error"]


def test_scan_without_the_key_reports_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.png"
    assert main(["code", "make", "--key", KEY_HEX, "--key-id", "K7", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["code", "scan", str(out)]) == 1
    assert "key this booth does not have" in capsys.readouterr().out


def test_make_refuses_a_bad_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["code", "make", "--key", "abc", "--out", str(tmp_path / "c.png")]) == 2
    assert "64 hex" in capsys.readouterr().err
    assert main(["code", "make", "--out", str(tmp_path / "c.png")]) == 2


def test_roster_report_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "r.csv"
    roster.write_bytes("学号,姓名,身份证号\n2022001234,黄小正,11010519491231002X\n2022001235,李四,1\n".encode("gbk"))
    assert main(["code", "roster", "--json", str(roster)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["encoding"] == "gbk" and report["rows_accepted"] == 1
    assert [p["row"] for p in report["problems"]] == [3]


def test_scan_takes_a_key_like_make_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.png"
    assert main(["code", "make", "--key", KEY_HEX, "--out", str(out), "--name", "黄小正"]) == 0
    capsys.readouterr()
    assert main(["code", "scan", "--json", "--key", KEY_HEX, str(out)]) == 0  # same default key id (DEMO)
    record = json.loads(capsys.readouterr().out)
    assert record["ok"] and record["format"] == "reference" and record["fields"]["name"] == "黄*正"
    other = tmp_path / "k7.png"
    assert main(["code", "make", "--key", KEY_HEX, "--key-id", "K7", "--out", str(other)]) == 0
    assert main(["code", "scan", "--key", KEY_HEX, "--key-id", "K7", str(other)]) == 0
    assert main(["code", "scan", "--key", "abc", str(other)]) == 2
    assert "64 hex" in capsys.readouterr().err
