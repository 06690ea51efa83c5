"""Doctor details are Chinese first with the English beside them, in the text lines and on the
health page, for every kind of failure a test can cause; the English `detail` stays as it was."""

from __future__ import annotations

import os
import re
import string
from datetime import datetime
from types import SimpleNamespace

import pytest
from markupsafe import escape

from appliance.doctor import (
    check_camera,
    check_clock,
    check_database,
    check_disk,
    check_gpio,
    check_models,
    check_network,
    check_server,
    check_settings,
    check_temperature,
    check_throttling,
    format_line,
    run_checks,
)
from appliance.system.doctor_text import DOCTOR_TEXT, say
from appliance.system.probes import ProbeError, camera_probe_for
from appliance.testing.doctor_fakes import Usage, make_inputs, runner, thermal_zone
from appliance.testing.web_fakes import PASSWORD, make_deps
from appliance.web.security import strip_paths
from appliance.web.server import create_app

CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(DOCTOR_TEXT))
def test_every_sentence_has_chinese_and_no_value_only_in_chinese(key):
    zh, en = DOCTOR_TEXT[key]
    assert CJK.search(zh), f"{key}: no Chinese"
    assert en.isascii(), f"{key}: the English sentence must stay English"
    assert _fields(zh) <= _fields(en), f"{key}: a value said in Chinese but not in English"


def _failures(tmp_path):
    """One failed result of every kind the checks can report without real hardware."""
    def no_pin_factory():
        raise ProbeError(say("gpio.none", error="BadPinFactory"))

    def boom(inputs):
        raise RuntimeError("kaput")

    hot_root = tmp_path / "hot"
    thermal_zone(hot_root, 0, "cpu-thermal", 81000)
    route = tmp_path / "proc" / "net" / "route"
    route.parent.mkdir(parents=True)
    route.write_text("Iface\tDestination\tGateway \tFlags\n")
    database = tmp_path / "store.db"
    database.write_bytes(b"definitely not sqlite" * 200)
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o500)
    # A port nobody listens on is refused; a 503 comes from a fake HTTP answer.
    unreachable = make_inputs(tmp_path, server_url="http://127.0.0.1:9/")
    server_error = make_inputs(tmp_path, server_url="http://127.0.0.1:9/",
                               http_status=lambda url, timeout, ca: 503)
    results = {
        "settings": check_settings(make_inputs(tmp_path, settings_problem="system.max_cpu_temp_c: too big")),
        "models": check_models(make_inputs(tmp_path, {"runtime": {"models_dir": str(tmp_path)}})),
        "camera": check_camera(make_inputs(tmp_path, camera_probe=camera_probe_for("video", str(tmp_path / "x.mp4")))),
        "gpio": check_gpio(make_inputs(tmp_path, gpio_probe=no_pin_factory)),
        "disk low": check_disk(make_inputs(tmp_path, disk_usage=lambda p: Usage(32e9, 31.9e9, 100e6))),
        "clock unsynced": check_clock(make_inputs(tmp_path, run=runner({"timedatectl": "no\n"}))),
        "clock never set": check_clock(make_inputs(tmp_path, now=lambda: datetime(1970, 1, 1))),
        "network": check_network(make_inputs(tmp_path)),
        "server unreachable": check_server(unreachable),
        "server error": check_server(server_error),
        "temperature": check_temperature(make_inputs(tmp_path, sys_root=hot_root / "sys")),
        "throttling now": check_throttling(make_inputs(tmp_path, run=runner({"vcgencmd": "throttled=0x50005\n"}))),
        "throttling unreadable": check_throttling(make_inputs(tmp_path, run=runner({"vcgencmd": "error\n"}))),
        "database": check_database(make_inputs(tmp_path, database_path=database)),
        "crashed": run_checks(make_inputs(tmp_path), [boom])[0],
    }
    if not os.access(read_only, os.W_OK):  # root writes everywhere: that case cannot be made there
        results["disk read-only"] = check_disk(make_inputs(tmp_path, {"device": {"data_dir": str(read_only)}},
                                                           disk_usage=lambda p: Usage(32e9, 2e9, 30e9)))
    return results


def test_text_lines_say_each_failure_in_chinese_first(tmp_path):
    for kind, result in _failures(tmp_path).items():
        assert not result.ok, kind
        assert CJK.search(result.detail_zh) and result.detail.isascii(), kind
        line = format_line(result)
        assert line.startswith("故障 FAIL"), kind
        assert line.index(result.detail_zh) < line.index(result.detail), f"{kind}: {line}"


def test_the_english_detail_keeps_its_exact_words(tmp_path):
    failures = _failures(tmp_path)
    assert failures["temperature"].detail == "CPU at 81.0 C, above 75 C: improve cooling"
    assert failures["temperature"].detail_zh == "CPU 温度 81.0 °C，超过 75 °C：请改善散热"
    assert failures["throttling now"].detail == "now: under-voltage, throttled (check power supply and cooling)"
    assert failures["throttling now"].detail_zh == "正在：电压不足、已降频（请检查电源和散热）"
    assert failures["network"].detail == "no default route: not connected to a network"
    assert failures["crashed"].detail == "check failed unexpectedly: RuntimeError: kaput"


def _logged_in_client(tmp_path, results):
    deps, _, _ = make_deps(tmp_path)
    deps.health = lambda: results
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    return client


def test_health_page_says_each_failure_in_chinese_first_without_paths(tmp_path):
    failures = _failures(tmp_path)
    page = _logged_in_client(tmp_path / "web", list(failures.values())).get("/operator/health")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert str(tmp_path) not in text
    rows = re.findall(r"<tr class=\"bad\">(.*?)</tr>", text, re.S)
    assert len(rows) == len(failures)
    for (kind, result), row in zip(failures.items(), rows, strict=True):
        zh, en = (str(escape(strip_paths(text))) for text in (result.detail_zh, result.detail))
        assert zh in row and en in row, kind
        assert row.index(zh) < row.index(en), kind
        if kind != "crashed":  # a made-up check has no Chinese name; every real one does
            assert CJK.search(row.split("<span", 1)[0]), f"{kind}: the check's name is not in Chinese"


def test_health_page_with_a_result_that_has_no_chinese_detail(tmp_path):
    text = _logged_in_client(tmp_path, [SimpleNamespace(name="disk", ok=True, detail="12 GB free")]) \
        .get("/operator/health").get_data(as_text=True)
    assert "12 GB free" in text
