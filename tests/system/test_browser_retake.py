"""In a real browser, the subject screen asks 'already captured - retake?' when the student's code
was photographed before (the identity the session sends says so), and says nothing otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.testing.browser import CHROMIUM, CHROMIUM_ARGS, SKIP_REASON
from appliance.testing.web_fakes import make_deps
from appliance.web.server import WebServer, create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON),
]

IDENTITY = {"capture_code": "c8ba********edca", "name": "黄*正", "id_number": "**************1234"}


@pytest.mark.parametrize("prior", [True, False], ids=["retake", "first"])
def test_confirming_screen_asks_about_a_retake(tmp_path: Path, prior: bool) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    deps, machine, _ = make_deps(tmp_path)
    deps.web = deps.web.model_copy(update={"stream_max_s": 2.0})
    identity = dict(IDENTITY, already_captured_at="2026-03-16 09:30", prior_confirmed="no") if prior else IDENTITY
    machine.snapshot = lambda: {"state": "confirming", "run_id": "run1", "identity": identity,
                                "retakes_left": 3, "guidance": None}
    server = WebServer(create_app(deps, secret_key=b"s" * 32), "127.0.0.1", 0, deps.hub)
    server.start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.port}/")
            page.wait_for_function("document.getElementById('identity').textContent.includes('c8ba')",
                                   timeout=10_000)
            message = page.inner_text("#message")
            identity_text = page.inner_text("#identity")
            browser.close()
    finally:
        server.stop()
    if prior:
        assert "要重拍吗" in message and "Already captured - retake?" in message
        assert "2026-03-16 09:30" in identity_text and "supersedes" in identity_text
    else:
        assert "retake" not in message.lower() and "Already captured" not in identity_text
        assert "请确认以下信息是否是您本人" in message
