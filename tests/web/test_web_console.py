"""Inside the operator console: roster import, queue retry, device health, session set-up."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from appliance.binding.roster import import_roster
from appliance.errors import ApplianceError
from appliance.testing.web_fakes import PASSWORD, make_deps
from appliance.web.server import create_app

VALID_ID = "110101200001011232"


@pytest.fixture()
def console(tmp_path: Path):
    deps, _, _ = make_deps(tmp_path)
    deps.import_roster = import_roster
    deps.health = lambda: [SimpleNamespace(name="camera", ok=False, detail="demo camera not started"),
                           SimpleNamespace(name="disk", ok=True, detail="12 GB free")]
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    page = client.get("/operator").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, token, deps


def test_roster_import_reports_rows_and_masks_identities(console) -> None:
    client, token, deps = console
    csv_text = f"学号,姓名,身份证号\n20230001,黄小正,{VALID_ID}\n20230002,,{VALID_ID}\n"
    response = client.post(
        "/operator/roster", data={"csrf_token": token, "roster": (io.BytesIO(csv_text.encode()), "../../evil.csv")},
        content_type="multipart/form-data", follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "导入 1 行" in text and "第 3 行" in text
    assert "黄小正" not in text and VALID_ID not in text
    assert deps.run.roster is not None and len(deps.run.roster) == 1
    wrong_kind = client.post("/operator/roster", data={"csrf_token": token, "roster": (io.BytesIO(b"x"), "a.exe")},
                             content_type="multipart/form-data")
    assert wrong_kind.status_code == 400


def test_pending_photo_can_be_retried(console) -> None:
    client, token, deps = console
    sha = deps.store.recent(1)[0].sha256
    response = client.post(f"/operator/retry/{sha}", data={"csrf_token": token})
    assert response.status_code == 303
    record = deps.store.get(sha)
    assert record.attempts == 1 and "operator" in record.last_error
    assert client.post("/operator/retry/" + "f" * 64, data={"csrf_token": token}).status_code == 404


def test_health_page_lists_every_check(console) -> None:
    client, _, _ = console
    text = client.get("/operator/health").get_data(as_text=True)
    assert "demo camera not started" in text and "故障" in text and "12 GB free" in text
    assert "摄像头" in text and "存储空间" in text and "检查摄像头排线并重启采集机" in text


def test_session_setup_validates_codes_before_applying(console) -> None:
    client, token, deps = console
    bad = client.post("/operator/session", data={"csrf_token": token, "session_code": "26031602",
                                                 "feature_codes": "not-hex"})
    assert bad.status_code == 400 and deps.run.session_code == "26031601"
    good = client.post("/operator/session", data={"csrf_token": token, "session_code": "26031602",
                                                  "feature_codes": "a" * 24})
    assert good.status_code == 303 and deps.run.session_code == "26031602"
    assert deps.console.current.codes.school_feature_codes == ["a" * 24]


def test_console_pages_name_no_absolute_file_path(console, tmp_path: Path) -> None:
    client, token, deps = console
    deps.health = lambda: [SimpleNamespace(name="models", ok=True, detail=f"6 verified in {tmp_path}/models/"),
                           SimpleNamespace(name="database", ok=False, detail=f"cannot open {tmp_path}/store/store.db")]
    text = client.get("/operator/health").get_data(as_text=True)
    assert str(tmp_path) not in text and "store.db" in text and "models/" in text

    def failing_import(path: Path) -> None:
        raise ApplianceError(f"roster: cannot read {path}: broken")

    deps.import_roster = failing_import
    response = client.post("/operator/roster", data={"csrf_token": token, "roster": (io.BytesIO(b"x"), "r.csv")},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "roster.csv: broken" in text
    assert "/roster-" not in text and "/tmp" not in text


def test_threshold_refusals_are_worded_and_cross_field_rules_hold(tmp_path) -> None:
    from appliance.errors import SettingsError
    from appliance.settings import Settings
    from appliance.web.console_settings import ConsoleSettings, parse_form

    console = ConsoleSettings(Settings())
    with pytest.raises(SettingsError) as low_above_high:
        console.apply(parse_form({"checks.lighting.min_face_luma": "220", "checks.lighting.max_face_luma": "200"}))
    text = str(low_above_high.value)
    assert text.startswith("面部最低亮度 (220) 必须低于最高亮度 (200)") and "must be below" in text
    with pytest.raises(SettingsError) as junk:
        console.apply(parse_form({"checks.pose.max_roll_deg": "abc"}))
    assert str(junk.value).startswith("最大歪头角度 (°) 须为数字") and "must be a number" in str(junk.value)
    with pytest.raises(SettingsError) as codes:
        console.apply(parse_form({"codes.school_feature_codes": "xyz"}))
    assert str(codes.value).startswith("学校特征码须为24位十六进制") and "Value error" not in str(codes.value)
    assert console.current.checks.lighting.min_face_luma == 70.0  # nothing applied
    console.apply(parse_form({"checks.lighting.min_face_luma": "90"}))
    assert console.current.checks.lighting.min_face_luma == 90.0


def test_lockout_page_says_how_long_and_csv_headers_are_bilingual(tmp_path) -> None:
    import csv

    deps, *_ = make_deps(tmp_path)
    client = create_app(deps, secret_key=b"k" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for _ in range(deps.web.login_max_failures + 1):
        answer = client.post("/operator/login",
                             data={"username": "operator", "password": "wrong!", "csrf_token": token})
    assert answer.status_code == 429
    minutes = -(-deps.web.login_window_s // 60)
    assert f"请约 {minutes:g} 分钟后再试" in answer.get_data(as_text=True)
    client = create_app(deps, secret_key=b"k" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # another client address is not locked out
    client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert client.post("/operator/login", data={"username": "operator", "password": PASSWORD,
                                                "csrf_token": token}).status_code == 302
    text = client.get("/operator/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "场次 session" and rows[0][6] == "审核 review"
    assert rows[1][5] == "等待上传 waiting to upload"


def test_print_sheet_pdf_from_a_photos_row(tmp_path) -> None:
    deps, *_ = make_deps(tmp_path)
    client = create_app(deps, secret_key=b"k" * 32).test_client()
    sha = deps.store.recent(1)[0].sha256
    assert client.get(f"/operator/photo/{sha}/sheet.pdf").status_code == 302  # log-in first
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    console = client.get("/operator").get_data(as_text=True)
    assert f"/operator/photo/{sha}/sheet.pdf" in console
    pdf = client.get(f"/operator/photo/{sha}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client.get(f"/operator/photo/{'0' * 64}/sheet.pdf").status_code == 404


def _upload(client, token, text: str):
    return client.post("/operator/roster", data={"csrf_token": token, "roster": (io.BytesIO(text.encode()), "r.csv")},
                       content_type="multipart/form-data", follow_redirects=True)


ID_2, ID_3 = "11010519491231002X", "440524188001010014"


def test_partly_bad_roster_asks_before_replacing_and_a_roster_can_be_cleared(console, tmp_path) -> None:
    from appliance.binding.run_state import RunState
    from appliance.store.cipher import PlainCipher

    client, token, deps = console
    state = RunState(tmp_path / "state", PlainCipher())
    deps.save_run = lambda: state.save(deps.run.session_code, deps.run.roster, deps.run.roster_source)
    good = f"学号,姓名,身份证号\n20230001,黄小正,{VALID_ID}\n20230002,李四,{ID_2}\n20230003,王五,{ID_3}\n"
    _upload(client, token, good)
    assert len(deps.run.roster) == 3
    partly_bad = f"学号,姓名,身份证号\n20230001,黄小正,{VALID_ID}\n20230002,,{ID_2}\n20230003,王五,123\n"
    page = _upload(client, token, partly_bad).get_data(as_text=True)
    assert len(deps.run.roster) == 3, "3 good rows must not silently become 1"
    assert 'id="roster-pending"' in page and "替换当前名单吗" in page and "第 3 行" in page
    client.post("/operator/roster/discard", data={"csrf_token": token})
    assert deps.run.pending_roster is None and len(deps.run.roster) == 3
    _upload(client, token, partly_bad)
    client.post("/operator/roster/confirm", data={"csrf_token": token})
    assert len(deps.run.roster) == 1
    assert state.load()[1] is not None and len(state.load()[1]) == 1
    page = client.post("/operator/roster/clear", data={"csrf_token": token}, follow_redirects=True).get_data(
        as_text=True)
    assert deps.run.roster is None and "名单已清除" in page
    assert state.load()[1] is None


def test_session_set_up_and_roster_survive_a_restart(tmp_path) -> None:
    from appliance.app import restored_run
    from appliance.binding.roster import Roster, RosterEntry
    from appliance.binding.run_state import RUN_STATE_FILE, RunState
    from appliance.store.cipher import AesGcmCipher

    cipher = AesGcmCipher(bytes(range(32)))
    state = RunState(tmp_path, cipher)
    state.save("26031702", Roster([RosterEntry("20230001", "黄小正", VALID_ID)]), "1 行 rows")
    raw = (tmp_path / RUN_STATE_FILE).read_text(encoding="utf-8")
    assert "黄小正" not in raw and VALID_ID not in raw, "the roster's personal data is sealed on disk"
    run = restored_run(RunState(tmp_path, cipher), "")
    assert run.session_code == "26031702" and run.roster.by_student_number("20230001").name == "黄小正"
    (tmp_path / RUN_STATE_FILE).write_text("{broken", encoding="utf-8")
    assert restored_run(RunState(tmp_path, cipher), "26031601").session_code == "26031601"


def test_a_live_person_refusal_shows_its_cues_on_the_console(console) -> None:
    client, _, deps = console
    assert "liveness-refused" not in client.get("/operator").get_data(as_text=True)
    refused = {"refusals": 2, "needs_operator": True,
               "cues": {"light": {"status": "not_live", "relief": 0.01, "response": 0.71,
                                  "challenge": {"steps": []}},
                        "video": {"blink_seen": False}, "single_frame": None}}
    deps.machine.snapshot = lambda: {"state": "guiding", "identity": None, "light_challenge": refused}
    page = client.get("/operator").get_data(as_text=True)
    assert 'id="liveness-refused"' in page and "needs your help" in page
    assert "relief=0.01" in page and "response=0.71" in page and "blink_seen=False" in page
    assert "steps" not in page.split('id="liveness-refused"')[1].split("</section>")[0]
