"""Fakes for the web screen tests: a session machine that records actions, and deps around a real
photo store in a temporary folder (so masking is tested on what the store really hands out)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from flask.testing import FlaskClient

from appliance.binding.collection_run import CollectionRun
from appliance.binding.roster import import_roster
from appliance.session.chart import SessionState
from appliance.session.machine import OVERRIDE_ACTIONS
from appliance.session.ports import CodeRejected, Receipt, SessionSnapshot
from appliance.settings import Settings
from appliance.store.photo_store import PhotoStore
from appliance.web.console_settings import ConsoleSettings
from appliance.web.deps import WebDeps
from appliance.web.live import EventHub
from appliance.web.passwords import OperatorAccounts
from appliance.web.status_links import StatusLinks

PASSWORD = "correct horse battery"
CAPTURE_CODE = "c8bade99b9b2edca"
STUDENT_NAME = "黄小正"
ID_NUMBER = "110101200001011234"


class FakeMachine:
    """The screens' side of the session machine: records what it was asked, answers as the real one
    does where a screen shows the answer, and raises `fail_with` when set."""

    def __init__(self) -> None:
        self.actions: list[str] = []
        self.state = SessionState.IDLE
        self.fail_with: Exception | None = None
        self.receipt: Receipt | None = None
        # what a login or an override is refused with (None: it takes effect)
        self.login_refusal: CodeRejected | None = None
        self.override_refusal: tuple[str, str] | None = None
        self.audited: list[dict[str, Any]] = []

    def snapshot(self) -> SessionSnapshot:
        return {"state": self.state, "run_id": "", "identity": None, "retakes_left": 3, "guidance": None,
                "receipt": self.receipt,
                "light_challenge": {"refusals": 0, "needs_operator": False, "cues": None, "overrides": []}}

    def web_action(self, name: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.actions.append(name)

    def preview(self) -> bytes | None:
        return None

    def student_login(self, student_number: str, id_number: str) -> CodeRejected | None:
        """Binds only while scanning, as the machine does; a bound student is being confirmed."""
        if self.fail_with is not None:
            raise self.fail_with
        self.actions.append("student_login")
        if self.state != SessionState.SCANNING:
            return CodeRejected("请先按“开始”，再用学号登录", "Press Start first, then log in")
        if self.login_refusal is not None:
            return self.login_refusal
        self.state = SessionState.CONFIRMING
        return None

    def operator_override(self, action: str, operator: str, reason: str,
                          audit: Callable[[dict[str, Any]], float | None] | None = None) -> tuple[str, str] | None:
        """Audits before it takes effect, as the machine does: an audit that raises leaves no trace."""
        if action not in OVERRIDE_ACTIONS:
            raise ValueError(f"unknown override {action!r}; expected one of {', '.join(OVERRIDE_ACTIONS)}")
        if self.fail_with is not None:
            raise self.fail_with
        if self.override_refusal is not None:
            return self.override_refusal
        entry: dict[str, Any] = {"action": action, "operator": operator, "reason": reason, "session": ""}
        if audit is not None:
            audit(entry)
        self.audited.append(entry)
        self.actions.append(f"override:{action}")
        return None


def committed_store(folder: Path) -> tuple[PhotoStore, str]:
    store = PhotoStore(folder, disk_guard=None)
    image = np.full((640, 480, 3), 200, np.uint8)
    jpeg = cv2.imencode(".jpg", image)[1].tobytes()
    record = store.commit_accepted(
        "26031601", CAPTURE_CODE, "10403", jpeg, {"verdict": "pass"},
        personal={"name": STUDENT_NAME, "id_number": ID_NUMBER},
    )
    return store, record.sha256


def make_deps(tmp: Path, *, password: str | None = PASSWORD) -> tuple[WebDeps, FakeMachine, list[Settings]]:
    settings = Settings()
    store, _ = committed_store(tmp / "store")
    machine = FakeMachine()
    console = ConsoleSettings(settings, tmp)
    applied: list[Settings] = []
    console.on_change(applied.append)
    accounts = OperatorAccounts.in_memory("operator", password) if password else OperatorAccounts(None)
    deps = WebDeps(
        web=settings.web, machine=machine, hub=EventHub(), latest_frame=lambda: None, store=store,
        run=CollectionRun("26031601"), accounts=accounts, console=console, health=lambda: [],
        import_roster=import_roster, status_links=StatusLinks(b"status-secret-for-tests"),
    )
    return deps, machine, applied


def logged_in_operator(deps: WebDeps) -> tuple[FlaskClient, str]:
    """A test client of the console logged in as the operator, and the dashboard's CSRF token."""
    from appliance.web.server import create_app

    client = create_app(deps, secret_key=b"s" * 32).test_client()
    token = csrf_token(client.get("/operator/login").get_data(as_text=True))
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    return client, csrf_token(client.get("/operator").get_data(as_text=True))


def csrf_token(page: str) -> str:
    """The CSRF token a page carries: in a console form's field, or the subject screen's meta tag."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page)
    if found is None:
        raise AssertionError("the page has no CSRF token (not logged in?)")
    return found.group(1)
