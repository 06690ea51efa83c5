"""Inside the operator console: roster import, queue retry, device health, session set-up."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from appliance.binding.roster import import_roster
from appliance.web.server import create_app
from tests.web_fakes import PASSWORD, make_deps

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
    assert "demo camera not started" in text and "故障 FAIL" in text and "12 GB free" in text


def test_session_setup_validates_codes_before_applying(console) -> None:
    client, token, deps = console
    bad = client.post("/operator/session", data={"csrf_token": token, "session_code": "26031602",
                                                 "feature_codes": "not-hex"})
    assert bad.status_code == 400 and deps.run.session_code == "26031601"
    good = client.post("/operator/session", data={"csrf_token": token, "session_code": "26031602",
                                                  "feature_codes": "a" * 24})
    assert good.status_code == 303 and deps.run.session_code == "26031602"
    assert deps.console.current.codes.school_feature_codes == ["a" * 24]


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
