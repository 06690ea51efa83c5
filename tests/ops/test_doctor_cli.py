"""The `appliance doctor` command-line contract: lines, JSON keys, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import appliance.cli.doctor as doctor_cli
from appliance.cli import main
from appliance.doctor import CheckResult
from appliance.system.probes import probe_gpio_pin_factory

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # models_dir "models" is relative to the working folder
    path = tmp_path / "settings.toml"
    path.write_text(f'[device]\ndata_dir = "{tmp_path / "data"}"\n[store]\ndir = "{tmp_path / "store"}"\n')
    return path


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_json_lines_keep_name_ok_detail_and_add_detail_zh(settings_file, capsys):
    status = main(["--settings", str(settings_file), "doctor", "--json", "--demo"])
    records = _json_lines(capsys.readouterr().out)
    assert {r["name"] for r in records} >= {
        "settings", "models", "camera", "gpio", "disk", "clock", "network", "server",
        "temperature", "throttling", "database",
    }
    for record in records:
        assert set(record) == {"name", "ok", "detail", "detail_zh"}
        assert isinstance(record["ok"], bool) and isinstance(record["detail"], str)
        # `detail` stays the English sentence scripts grep; the Chinese goes only into detail_zh.
        assert record["detail"].isascii() and record["detail_zh"] and not record["detail_zh"].isascii()
    by_name = {r["name"]: r for r in records}
    assert by_name["camera"]["ok"] and "demo" in by_name["camera"]["detail"]
    assert status == (0 if all(r["ok"] for r in records) else 1)


def test_invalid_settings_file_fails_but_all_checks_still_run(settings_file, capsys):
    settings_file.write_text('[system]\nmax_cpu_temp_c = 500\n')
    status = main(["--settings", str(settings_file), "doctor", "--json", "--demo"])
    records = _json_lines(capsys.readouterr().out)
    assert status == 1
    assert records[0]["name"] == "settings" and not records[0]["ok"]
    assert "system.max_cpu_temp_c" in records[0]["detail"]
    assert len(records) == 11
    assert not (settings_file.parent / "settings.last-good.toml").exists(), "doctor must not write"


def test_exit_status_and_text_lines(monkeypatch, capsys):
    results = [CheckResult("camera", True, "fine"), CheckResult("disk", True, "roomy")]
    monkeypatch.setattr(doctor_cli, "run_checks", lambda inputs: list(results))
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("相机 camera: fine")
    results.append(CheckResult("gpio", False, "no pin factory"))
    assert main(["doctor"]) == 1
    assert "FAIL" in capsys.readouterr().out.splitlines()[-1]


def test_gpio_probe_with_explicit_mock_factory(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    assert "MockFactory" in probe_gpio_pin_factory().en
