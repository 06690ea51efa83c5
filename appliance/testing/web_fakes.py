"""Fakes for the web screen tests: a session machine that records actions, and deps around a real
photo store in a temporary folder (so masking is tested on what the store really hands out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from appliance.binding.collection_run import CollectionRun
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
    def __init__(self) -> None:
        self.actions: list[str] = []
        self.state = "idle"
        self.fail_with: Exception | None = None
        self.receipt: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, Any]:
        return {"state": self.state, "run_id": "", "identity": None, "retakes_left": 3, "guidance": None,
                "receipt": self.receipt}

    def web_action(self, name: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.actions.append(name)

    def preview(self) -> bytes | None:
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
        import_roster=lambda path: None, status_links=StatusLinks(b"status-secret-for-tests"),
    )
    return deps, machine, applied


def logged_in_operator(deps: WebDeps) -> tuple[Any, str]:
    """A test client of the console logged in as the operator, and the dashboard's CSRF token."""
    import re

    from appliance.web.server import create_app

    client = create_app(deps, secret_key=b"s" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    dashboard = client.get("/operator").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" value="([^"]+)"', dashboard).group(1)
