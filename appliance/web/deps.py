"""Everything the web screens use, handed in by the composition root (nothing is built here).

The screens see the booth's parts only through the small Protocols below, so `web/` depends on what
it calls, not on how the booth is assembled (`appliance.app` is never imported from here), and tests
build the screens around fakes of exactly these methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from appliance.binding.collection_run import CollectionRun
from appliance.web.audit import OperatorAudit
from appliance.web.config import WebSettings
from appliance.web.console_settings import ConsoleSettings
from appliance.web.live import EventHub, PreviewEncoder
from appliance.web.passwords import OperatorAccounts
from appliance.web.screen_access import ScreenPairing
from appliance.web.security import LoginLimiter
from appliance.web.status_links import StatusLinks

if TYPE_CHECKING:
    from appliance.binding.roster import RosterImport
    from appliance.capture.camera.base import Frame
    from appliance.doctor import CheckResult
    from appliance.inference.engine import Report
    from appliance.session.chart import SessionState
    from appliance.session.ports import CodeRejected, SessionSnapshot
    from appliance.store.records import CaptureLinks, PhotoRecord, QueueSummary
    from appliance.uplink.worker import UplinkStatus


class SessionControl(Protocol):
    """The session machine as the screens drive it (session/machine.py)."""

    @property
    def state(self) -> SessionState: ...

    def snapshot(self) -> SessionSnapshot: ...

    def preview(self) -> bytes | None: ...

    def web_action(self, name: str) -> None: ...

    def student_login(self, student_number: str, id_number: str) -> CodeRejected | None: ...

    def operator_override(self, action: str, operator: str, reason: str,
                          audit: Callable[[dict[str, Any]], float | None] | None = None) -> tuple[str, str] | None: ...


class PhotoQueue(Protocol):
    """The photo store as the console reads it and the operator retries uploads (store/photo_store.py)."""

    def capture_problem(self) -> str | None: ...

    def get(self, sha256: str) -> PhotoRecord | None: ...

    def recent(self, limit: int = 20) -> list[PhotoRecord]: ...

    def capture_links(self, sha256s: list[str]) -> dict[str, CaptureLinks]: ...

    def reports(self, sha256s: list[str]) -> dict[str, dict[str, Any]]: ...

    def read_photo(self, sha256: str) -> bytes: ...

    def queue_summary(self) -> QueueSummary: ...

    def mark_retry(self, sha256: str, error: str, next_attempt_at: float) -> None: ...

    def requeue_rejected(self, sha256: str) -> bool: ...


class ScreenButton(Protocol):
    """The demo's simulated button, pressed from the screen."""

    def press(self) -> None: ...

    def long_press(self) -> None: ...


class ScreenRing(Protocol):
    """The demo's virtual LED ring, drawn on the screen."""

    def snapshot(self) -> dict[str, Any]: ...


class UplinkView(Protocol):
    """The upload worker as the console shows it and wakes it after a queue change."""

    def status(self) -> UplinkStatus: ...

    def notify(self) -> None: ...


class PhotoAnalyzer(Protocol):
    """The engine, for the console's annotated pictures."""

    def check(self, bgr: np.ndarray, *, product: bool = False) -> Report: ...


@dataclass
class WebDeps:
    web: WebSettings
    machine: SessionControl
    hub: EventHub
    latest_frame: Callable[[], Frame | None]
    store: PhotoQueue
    run: CollectionRun
    accounts: OperatorAccounts
    console: ConsoleSettings
    health: Callable[[], list[CheckResult]]  # the doctor's checks of the running booth
    import_roster: Callable[[Path], RosterImport]
    button: ScreenButton | None = None  # the demo's SimulatedButton
    ring: ScreenRing | None = None  # the demo's VirtualRing
    uplink: UplinkView | None = None
    demo: bool = False
    advisory: tuple[str, ...] = ()
    login_allowed: Callable[[], bool] | None = None  # student-number login offered on the screen now
    save_run: Callable[[], None] | None = None  # keep the session set-up and roster across a restart
    status_links: StatusLinks | None = None  # the students' status-page tokens
    analyzer: PhotoAnalyzer | None = None
    # Made by create_app when not handed in (tests): in memory, forgotten at exit.
    audit: OperatorAudit | None = None  # the operator's overrides (durable under the data dir)
    login_limiter: LoginLimiter | None = None  # password and pairing attempts (durable under the data dir)
    pairing: ScreenPairing | None = None  # the one tablet allowed besides the kiosk
    preview: PreviewEncoder | None = None  # the live preview, encoded once for every viewer
    console_fingerprint: str = ""  # SHA-256 of the console's TLS certificate, shown on the booth's display
    console_url: str = ""  # where the operator opens the console
