"""The operator's override of a "not live" refusal: one more try, or accepted as live, audited.

A refused subject waits in guiding for the staff (never dropped); the operator, logged in to the
console, sees the cues, checks in person and decides with a reason. The decision is a guarded
transition of the session's chart, committed to the audit log (operator, time, cues) before it
takes effect, and written into the photo's record.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.testing.session_fakes import ScriptedLight, countdown_end, make_booth
from appliance.testing.web_fakes import PASSWORD, make_deps
from appliance.web.audit import OperatorAudit
from appliance.web.server import create_app


def _blocked_booth(statuses):
    light = ScriptedLight(statuses)
    booth = make_booth(light=light)
    booth.to_guiding()
    countdown_end(booth)
    countdown_end(booth)
    assert booth.machine.snapshot()["light_challenge"]["needs_operator"] is True
    return booth, light


def test_the_operator_gives_one_more_try_and_a_new_refusal_calls_them_again():
    booth, light = _blocked_booth(["not_live", "not_live", "not_live"])
    machine = booth.machine
    assert machine.operator_override("retry", "op1", "  ") == ("请写明原因", "A reason is required")
    assert machine.operator_override("retry", "op1", "checked in person") is None
    state = machine.snapshot()["light_challenge"]
    assert machine.state == "guiding" and state["needs_operator"] is False
    assert state["overrides"][0]["operator"] == "op1" and state["overrides"][0]["action"] == "retry"
    assert ("override", "guiding") in booth.transitions() and "operator_override" in booth.notices()
    countdown_end(booth)  # the new try runs a new challenge, which is refused again
    assert light.begun == 3 and machine.snapshot()["light_challenge"]["needs_operator"] is True
    assert machine.state == "guiding" and booth.sink.commits == []


def test_accepted_as_live_the_session_goes_on_and_the_photo_record_says_so():
    booth, _ = _blocked_booth(["not_live", "not_live", "not_live"])
    machine = booth.machine
    audit = OperatorAudit()
    seen = []

    def audited(entry):
        seen.append(entry)
        return audit.record(entry["operator"], entry["action"], entry["session"], entry["reason"], entry).at

    assert machine.operator_override("accept", "op2", "student present, glasses glare", audited) is None
    assert seen and seen[0]["cues"]["light"]["relief"] == 0.01  # the audit has the refused cues
    countdown_end(booth)  # the next challenge is refused again, but the operator's word stands
    assert machine.state == "reviewing"
    machine.web_action("accept")
    record = booth.sink.commits[0][1].report["liveness"]
    assert record["light"]["status"] == "not_live" and record["light"]["accepted_by"] == "operator"
    override = record["override"][0]
    assert override["operator"] == "op2" and override["reason"] == "student present, glasses glare"
    assert override["at"] == pytest.approx(audit.recent(1)[0].at)
    assert machine.operator_override("accept", "op2", "again") is not None  # nothing waits any more


def test_an_override_without_a_waiting_refusal_or_a_failed_audit_changes_nothing():
    booth = make_booth(light=ScriptedLight(["not_live", "not_live"]))
    booth.to_guiding()
    assert booth.machine.operator_override("accept", "op", "why") is not None  # nothing refused yet
    countdown_end(booth)
    assert booth.machine.operator_override("retry", "op", "why") is not None  # a try is still left
    countdown_end(booth)

    def broken(entry):
        raise OSError("disk full")

    with pytest.raises(OSError):
        booth.machine.operator_override("accept", "op", "why", broken)
    state = booth.machine.snapshot()["light_challenge"]
    assert state["needs_operator"] is True and state["overrides"] == [] and booth.machine.state == "guiding"


def test_the_console_shows_the_cues_and_its_override_lets_the_session_continue(tmp_path: Path):
    """End to end through the console's HTTP API: log in, see the cues, override, session continues."""
    booth, light = _blocked_booth(["not_live", "not_live", "live"])
    deps, _, _ = make_deps(tmp_path)
    deps.machine = booth.machine
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    assert client.post("/operator/liveness/override", data={"action": "retry"}).status_code in (302, 400, 403)
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    page = client.get("/operator").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    panel = page.split('id="liveness-refused"')[1].split("</section>")[0]
    assert "relief=0.01" in panel and "response=0.7" in panel and 'id="liveness-override"' in panel

    no_reason = client.post("/operator/liveness/override", data={"csrf_token": token, "action": "retry"})
    assert no_reason.status_code == 400 and deps.audit.recent() == []
    reason = "saw the student, asked to face the lens"
    done = client.post("/operator/liveness/override", data={"csrf_token": token, "action": "retry", "reason": reason})
    assert done.status_code == 303
    entry = deps.audit.recent(1)[0]
    assert entry.operator == "operator" and entry.action == "retry" and entry.session == booth.machine.run_id
    assert entry.detail["cues"]["light"]["relief"] == 0.01 and entry.at > 0
    page = client.get("/operator").get_data(as_text=True)
    assert 'id="liveness-audit"' in page and "saw the student" in page

    countdown_end(booth)  # the session continues: the new try is live, the photo is taken
    assert booth.machine.state == "reviewing" and light.begun == 3
    booth.machine.web_action("accept")
    override = booth.sink.commits[0][1].report["liveness"]["override"][0]
    assert override["operator"] == "operator" and override["action"] == "retry"
    again = client.post("/operator/liveness/override",
                        data={"csrf_token": token, "action": "accept", "reason": "late click"})
    assert again.status_code == 400  # nothing waits for a decision any more
