"""The screens' two session calls the kit's FakeMachine used to lack: the student-number login
(subject screen) and the operator's live-person override (console), driven through their routes."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from appliance.session.chart import SessionState
from appliance.session.ports import CodeRejected
from appliance.testing.web_fakes import csrf_token, logged_in_operator, make_deps
from appliance.web.deps import WebDeps
from appliance.web.server import create_app


def screen_client(deps: WebDeps) -> tuple[FlaskClient, dict[str, str]]:
    """A subject screen's client and the headers its page's token goes in."""
    client = create_app(deps, secret_key=b"s" * 32).test_client()
    return client, {"X-CSRF-Token": csrf_token(client.get("/").get_data(as_text=True))}


def test_student_login_answers_with_the_machines_outcome(tmp_path: Path) -> None:
    deps, machine, _ = make_deps(tmp_path)
    deps.login_allowed = lambda: True
    client, headers = screen_client(deps)
    form = {"student_number": "2022001234", "id_number": "110101200001011234"}

    idle = client.post("/login-student", json=form, headers=headers)
    assert idle.status_code == 400 and "Press Start first" in idle.get_data(as_text=True)
    machine.state = SessionState.SCANNING
    machine.login_refusal = CodeRejected("学号或身份证号不正确", "not on the roster")
    refused = client.post("/login-student", json=form, headers=headers)
    assert refused.status_code == 400 and "not on the roster" in refused.get_data(as_text=True)
    assert machine.state == SessionState.SCANNING

    machine.login_refusal = None
    bound = client.post("/login-student", json=form, headers=headers)
    assert bound.status_code == 200 and bound.get_json() == {"ok": True, "state": "confirming"}
    assert machine.actions == ["student_login"] * 3


def test_student_login_is_refused_where_the_session_offers_none(tmp_path: Path) -> None:
    deps, machine, _ = make_deps(tmp_path)
    machine.state = SessionState.SCANNING
    client, headers = screen_client(deps)
    response = client.post("/login-student", json={"student_number": "1", "id_number": "2"}, headers=headers)
    assert response.status_code == 403 and machine.actions == []


def test_override_is_audited_before_it_takes_effect_and_a_refusal_is_shown(tmp_path: Path) -> None:
    deps, machine, _ = make_deps(tmp_path)
    client, token = logged_in_operator(deps)
    done = client.post("/operator/liveness/override",
                       data={"csrf_token": token, "action": "accept", "reason": "checked in person"})
    assert done.status_code == 303 and machine.actions == ["override:accept"]
    assert deps.audit is not None
    entry = deps.audit.recent(1)[0]
    assert (entry.operator, entry.action, entry.reason) == ("operator", "accept", "checked in person")

    machine.override_refusal = ("当前没有等待处理的活体检测拒绝", "No live-person refusal is waiting for a decision")
    refused = client.post("/operator/liveness/override",
                          data={"csrf_token": token, "action": "retry", "reason": "again"})
    assert refused.status_code == 400 and "No live-person refusal is waiting" in refused.get_data(as_text=True)
    assert machine.actions == ["override:accept"] and len(deps.audit.recent()) == 1
