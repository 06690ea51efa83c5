"""The subject screen at the two tablet sizes a booth uses (800x1280 portrait, 1024x768 landscape):
in every step the guidance message and the visible buttons are inside the viewport without
scrolling, and the head frame is hidden while the student holds up the phone. Screenshots of every
step go to out/layout/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.testing.browser import CHROMIUM, CHROMIUM_ARGS, SKIP_REASON, wait_until
from appliance.testing.demo_booth import DemoBoothDidNotStart, free_port
from appliance.testing.demo_booth import demo_booth as running_demo_booth
from appliance.testing.web_fakes import make_deps
from appliance.web.server import WebServer, create_app

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "out" / "layout"
SIZES = {"portrait-800x1280": (800, 1280), "landscape-1024x768": (1024, 768)}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON),
]

# Installed in the page: on every change of the current step, measure the message, the visible
# buttons and the head frame, so that even a step that lasts a fraction of a second is checked.
RECORDER = """() => {
  window.__layout = [];
  const measure = () => {
    const vw = window.innerWidth, vh = window.innerHeight;
    const inside = (el) => { const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.top >= -0.5 && r.left >= -0.5
        && r.bottom <= vh + 0.5 && r.right <= vw + 0.5; };
    const current = document.querySelector('#steps li.current');
    const buttons = [...document.querySelectorAll('.actions button, #login button')]
      .filter((b) => b.offsetParent !== null);
    return { step: current ? current.dataset.step : 'idle',
             scanning: document.getElementById('stage').classList.contains('scanning'),
             message: inside(document.getElementById('message')),
             buttons: buttons.map((b) => [b.textContent.trim().slice(0, 20), inside(b)]),
             overlay: getComputedStyle(document.getElementById('overlay')).display,
             scrolls: document.scrollingElement.scrollHeight > vh + 1,
             height: document.scrollingElement.scrollHeight, viewport: [vw, vh] };
  };
  let last = '';
  const record = () => { const m = measure(); const key = m.step + m.scanning + m.buttons.length;
    if (key !== last) { last = key; window.__layout.push(m); } };
  new MutationObserver(record).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class'] });
  record();
}"""


def _check(page) -> list[dict]:
    samples = page.evaluate("window.__layout")
    for sample in samples:
        where = f"{sample['step']} (scanning={sample['scanning']})"
        assert sample["message"], f"message outside the viewport in {where}"
        assert all(inside for _, inside in sample["buttons"]), f"button outside the viewport in {where}: {sample}"
        assert not sample["scrolls"], f"the page scrolls in {where}: {sample}"
        if sample["scanning"]:
            assert sample["overlay"] == "none", "the head frame covers the phone while scanning"
    return samples


@pytest.fixture()
def demo_booth(tmp_path: Path):
    port = free_port()
    (tmp_path / "booth.toml").write_text(f'[web]\npublic_url = "http://192.168.4.1:{port}"\n')
    with (tmp_path / "booth.log").open("w") as log:
        try:
            with running_demo_booth(REPO, tmp_path / "data", port=port, settings=tmp_path / "booth.toml",
                                    stderr=log) as booth:
                yield booth.screen
        except DemoBoothDidNotStart as exc:
            pytest.fail(f"{exc}: " + (tmp_path / "booth.log").read_text()[-2000:])


def test_every_step_fits_both_tablet_sizes(demo_booth) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(90_000)
            page.goto(demo_booth + "/")
            page.wait_for_selector("#ring span")
            wait_until(page, "document.getElementById('preview').naturalWidth > 0")
            page.evaluate(RECORDER)
            page.screenshot(path=str(SHOTS / f"{name}-1-idle.png"))
            page.click("button[data-action=start]")
            page.wait_for_selector("button[data-action=accept][data-when=confirming]:visible")
            assert "*" in page.inner_text("#identity")
            page.screenshot(path=str(SHOTS / f"{name}-2-confirm.png"))
            page.click("button[data-action=accept][data-when=confirming]")
            page.wait_for_selector("#steps li.current[data-step=guiding]")
            page.screenshot(path=str(SHOTS / f"{name}-3-guiding.png"))
            for attempt in range(4):
                page.wait_for_selector("#accept:visible")
                wait_until(page, "document.getElementById('review').naturalWidth > 0")
                page.screenshot(path=str(SHOTS / f"{name}-4-review-{attempt}.png"))
                if page.is_enabled("#accept"):
                    break
                page.click("#retake")
                page.wait_for_selector("#steps li.current[data-step=guiding]")
            page.click("#accept")
            page.wait_for_selector("#receipt:visible")
            wait_until(page, "document.getElementById('receipt-qr').naturalWidth > 0")
            page.screenshot(path=str(SHOTS / f"{name}-5-receipt.png"))
            samples = _check(page)
            steps = {s["step"] for s in samples}
            assert {"scanning", "confirming", "guiding", "reviewing", "done"} <= steps, steps
            assert any(s["scanning"] for s in samples), "the scanning step was measured"
            page.close()
        browser.close()


def test_student_number_login_is_reachable_from_the_scanning_screen(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    deps, machine, _ = make_deps(tmp_path)
    deps.web = deps.web.model_copy(update={"stream_max_s": 5.0})
    machine.state = "scanning"
    logins: list[tuple[str, str]] = []

    def student_login(number: str, id_number: str):
        logins.append((number, id_number))
        from appliance.session.ports import CodeRejected
        return CodeRejected("学号或身份证号不正确，请重新输入", "The student number or ID number is not correct")

    machine.student_login = student_login
    deps.login_allowed = lambda: True
    server = WebServer(create_app(deps, secret_key=b"s" * 32), "127.0.0.1", 0, deps.hub)
    server.start()
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, (width, height) in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"http://127.0.0.1:{server.port}/")
                page.wait_for_selector("#login-open:visible")
                page.evaluate(RECORDER)
                page.click("#login-open")
                page.fill("input[name=student_number]", "2022001234")
                page.fill("input[name=id_number]", "11010519491231002X")
                page.click("#login button[type=submit]")
                wait_until(page, "document.getElementById('msg-zh').textContent.includes('学号或身份证号不正确')")
                page.screenshot(path=str(SHOTS / f"{name}-login.png"))
                _check(page)
                page.close()
            browser.close()
    finally:
        server.stop()
    assert logins == [("2022001234", "11010519491231002X")] * 2
