"""Everything the web screens use, handed in by the composition root (nothing is built here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.booth_ports import CollectionRun
from appliance.web.config import WebSettings
from appliance.web.console_settings import ConsoleSettings
from appliance.web.live import EventHub, PreviewEncoder
from appliance.web.passwords import OperatorAccounts
from appliance.web.screen_access import ScreenPairing
from appliance.web.security import LoginLimiter


@dataclass
class WebDeps:
    web: WebSettings
    machine: Any  # SessionMachine: snapshot(), web_action(), preview(), button_pressed()
    hub: EventHub
    latest_frame: Callable[[], Any]
    store: Any  # PhotoStore: queue_summary(), recent(), get(), read_photo(), mark_retry(), reports() ...
    run: CollectionRun
    accounts: OperatorAccounts
    console: ConsoleSettings
    health: Callable[[], list[Any]]  # doctor CheckResults (name, ok, detail, detail_zh)
    import_roster: Callable[[Path], Any]  # path -> RosterImport
    button: Any | None = None  # the demo's SimulatedButton (press/long_press)
    ring: Any | None = None  # the demo's VirtualRing (snapshot)
    uplink: Any | None = None
    demo: bool = False
    advisory: tuple[str, ...] = ()
    login_allowed: Callable[[], bool] | None = None  # student-number login offered on the screen now
    save_run: Callable[[], None] | None = None  # keep the session set-up and roster across a restart
    status_links: Any | None = None  # StatusLinks: the students' status-page tokens
    analyzer: Any | None = None  # the engine, for the console's annotated pictures (check(bgr, product=True))
    # Made by create_app when not handed in (tests): in memory, forgotten at exit.
    audit: Any | None = None  # OperatorAudit: the operator's overrides (durable under the data dir)
    login_limiter: LoginLimiter | None = None  # password and pairing attempts (durable under the data dir)
    pairing: ScreenPairing | None = None  # the one tablet allowed besides the kiosk
    preview: PreviewEncoder | None = None  # the live preview, encoded once for every viewer
    console_fingerprint: str = ""  # SHA-256 of the console's TLS certificate, shown on the booth's display
    console_url: str = ""  # where the operator opens the console
