"""A real browser (Debian's chromium via Playwright) walks a whole demo session on the subject
screen, then logs in to the operator console, views the queue and tries a bad settings change.

Screenshots of every step are saved in the test's tmp folder (printed at the end) for a person to
look at; the assertions check what the pages say, not how they look.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.testing.browser import CHROMIUM, CHROMIUM_ARGS, SKIP_REASON, wait_until
from appliance.testing.demo_booth import DemoBoothDidNotStart
from appliance.testing.demo_booth import demo_booth as running_demo_booth

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON),
]


@pytest.fixture()
def demo_booth(tmp_path: Path):
    with (tmp_path / "booth.log").open("w") as log:
        try:
            with running_demo_booth(REPO, tmp_path / "data", stderr=log) as booth:
                yield booth.screen, booth.console, booth.password, tmp_path
        except DemoBoothDidNotStart as exc:
            pytest.fail(f"{exc}: " + (tmp_path / "booth.log").read_text()[-2000:])


def test_demo_session_and_operator_console_in_chromium(demo_booth) -> None:
    base, console_base, password, out = demo_booth
    shots = out / "screenshots"
    shots.mkdir()
    try:
        walk_session_and_console(base, console_base, password, shots)
    except Exception as exc:
        log = (out / "booth.log").read_text(errors="replace")
        events = [line for line in log.splitlines() if " transition " in line or " notice " in line]
        raise AssertionError(f"{exc}\nscreenshots: {shots}\nbooth events:\n" + "\n".join(events[-15:])) from exc
    print(f"screenshots in {shots}")


def walk_session_and_console(base: str, console_base: str, password: str, shots: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(base + "/")
        page.wait_for_selector("#ring span")  # the virtual LED ring arrived over the event stream
        page.screenshot(path=str(shots / "1-idle.png"))
        page.keyboard.press("Space")  # the demo's keyboard button starts a session
        page.wait_for_selector("button[data-action=accept][data-when=confirming]:visible")
        identity = page.inner_text("#identity")
        assert "*" in identity  # the subject sees only their own masked code
        page.screenshot(path=str(shots / "2-confirm-identity.png"))
        page.click("button[data-action=accept][data-when=confirming]")
        page.wait_for_selector("#steps li.current[data-step=guiding]")
        page.screenshot(path=str(shots / "3-guiding.png"))
        for attempt in range(3):
            page.wait_for_selector("#accept:visible", timeout=90_000)
            wait_until(page, "document.getElementById('review').naturalWidth > 0")
            page.screenshot(path=str(shots / f"4-review-{attempt}.png"))
            if page.is_enabled("#accept"):
                break
            page.click("#retake")  # the product was refused: the subject retakes, as a person would
            page.wait_for_selector("#steps li.current[data-step=guiding]")
        page.click("#accept")
        page.wait_for_selector("#receipt:visible")
        # Listening on 127.0.0.1 only: no phone could open a status link, so the receipt says so
        # instead of showing a QR (tests/system/test_browser_layout.py sets web.public_url and sees one).
        page.wait_for_selector("#receipt-no-qr:visible")
        receipt = page.inner_text("#receipt-facts")
        assert "26031601" in receipt and "****" in receipt
        page.screenshot(path=str(shots / "5-done-receipt.png"))
        page.click("#lang")
        assert page.is_visible("#msg-en")
        page.screenshot(path=str(shots / "6-done-english.png"))

        # The console's own listener, TLS with the booth's self-signed certificate (an operator checks
        # its fingerprint against the booth's display; the test trusts it the same way a person does).
        console_context = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=True)
        console = console_context.new_page()
        console.goto(console_base + "/operator/login")
        console.fill("input[name=username]", "operator")
        console.fill("input[name=password]", "definitely wrong")
        console.click("button[type=submit]")
        assert console.is_visible("#login-error")
        console.screenshot(path=str(shots / "7-login-failed.png"))
        console.fill("input[name=username]", "operator")
        console.fill("input[name=password]", password)
        console.click("button[type=submit]")
        console.wait_for_selector("#queue")
        rows = console.locator("#queue tr").count()
        assert rows == 2  # header + the photo just committed
        assert "****" in console.inner_text("#queue")
        console.screenshot(path=str(shots / "8-console-queue.png"), full_page=True)
        console.fill("input[name='checks.pose.max_yaw_deg']", "99")
        console.click("#settings-form button[type=submit]")
        console.wait_for_selector(".flashes .error")
        assert "须在 1 到 30 之间" in console.inner_text(".flashes")
        assert console.input_value("input[name='checks.pose.max_yaw_deg']") == "8.0"
        console.screenshot(path=str(shots / "9-bad-setting-refused.png"), full_page=True)
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
