"""`appliance run [--demo] [--once] --data DIR --host H --port P --console-port C`: the booth's main job.

`--demo` needs no camera and no GPIO: the animated demo portrait, a simulated button (keyboard in
the terminal, a button on the web screen) and a virtual LED ring drawn on the screen. `--once` runs
one scripted demo session with no input; its last stdout line is the receipt as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.capture.button import SimulatedButton
from appliance.demo.codes import DEMO_CODE_FORMATS
from appliance.demo.scripted_session import ScriptedSubject
from appliance.demo.settings import demo_overrides
from appliance.errors import ApplianceError
from appliance.settings import Settings, load_settings, merge_dicts
from appliance.system.journal_logging import configure_journal_logging
from appliance.system.settings_recovery import load_settings_with_recovery
from appliance.web.console_settings import CONSOLE_SETTINGS_FILE

if TYPE_CHECKING:
    from appliance.app import BoothParts
    from appliance.booth import Booth

DEMO_OPERATOR = "operator"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the booth (camera, checks, screen, upload)")
    parser.add_argument("--demo", action="store_true", help="no camera, no GPIO: demo portrait and simulated parts")
    parser.add_argument("--once", action="store_true", help="with --demo: one scripted session, print its receipt")
    parser.add_argument("--data", type=Path, default=None, help="data folder (store, operator password)")
    parser.add_argument("--host", default=None, help="address of the web screen (default from settings)")
    parser.add_argument("--port", type=int, default=None, help="port of the web screen (default from settings)")
    parser.add_argument("--console-port", type=int, default=None,
                        help="port of the operator console, HTTPS (default from settings)")
    parser.add_argument("--demo-code", choices=DEMO_CODE_FORMATS, default="reference",
                        help="with --demo: the code the demo subject shows (reference: key id DEMO, with fields)")
    parser.add_argument("--timeout", type=float, default=300.0, help="--once: give up after this many seconds")
    parser.set_defaults(func=run)


def run_settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    data = args.data.resolve() if args.data is not None else None
    if args.demo:
        overrides = demo_overrides(str(data or Path("data/demo").resolve()))
    elif data is not None:
        overrides = {"device": {"data_dir": str(data)}, "store": {"dir": str(data / "store")}}
    overrides = merge_dicts(overrides, console_changes(Path(overrides.get("device", {}).get("data_dir", "data"))))
    web: dict[str, Any] = {}
    if args.host is not None:
        web["host"] = args.host
    if args.port is not None:
        web["port"] = args.port
    if getattr(args, "console_port", None) is not None:
        web["console_port"] = args.console_port
    if web:
        overrides = merge_dicts(overrides, {"web": web})
    # A broken file falls back to its last-good copy (logged); a valid one becomes the last-good.
    source = load_settings_with_recovery(args.settings).source if args.settings is not None else None
    return load_settings(source, overrides)


def console_changes(data_dir: Path) -> dict[str, Any]:
    """The operator console's recorded changes, so they survive a restart (validated with the rest)."""
    from appliance.paths import resolve_path

    path = resolve_path(data_dir) / CONSOLE_SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        changes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ApplianceError(f"run: cannot read the console's settings {path}: {exc}") from None
    return changes if isinstance(changes, dict) else {}


def run(args: argparse.Namespace) -> int:
    from appliance.app import build_booth  # the models and Flask load only for this command

    if args.once and not args.demo:
        raise ApplianceError("run: --once needs --demo (a scripted subject exists only in the demo)")
    configure_journal_logging(logging.WARNING if args.once else logging.INFO)
    settings = run_settings(args)
    serve = not args.once or args.port is not None
    password = secrets.token_urlsafe(12) if args.demo else None
    booth = build_booth(settings, demo=args.demo, serve=serve, operator_password=password,
                        settings_file=args.settings, demo_code_format=args.demo_code)
    subject = ScriptedSubject(booth.parts.machine) if args.once else None
    if subject is not None:
        booth.parts.bus.subscribe(subject.on_event)
    booth.start()
    try:
        web = booth.parts.web
        if web is not None:
            print(f"booth screen: {web.screen_url}  operator: {web.console_url}", flush=True)
            print(f"operator console certificate (self-signed) SHA-256: {web.fingerprint}", flush=True)
            if password is not None:
                print(f"demo operator login: {DEMO_OPERATOR} / {password}", flush=True)
        if subject is not None:
            receipt = subject.run(args.timeout)
            print(json.dumps(receipt, ensure_ascii=False), flush=True)
            return 0
        return serve_until_signal(booth)
    finally:
        booth.stop()


def serve_until_signal(booth: Booth[BoothParts]) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if sys.stdin.isatty() and isinstance(booth.parts.button, SimulatedButton):
        threading.Thread(target=keyboard_button, args=(booth.parts.button, stop), daemon=True).start()
    heartbeat = booth.watchdog.heartbeat("main") if booth.watchdog is not None else None
    booth.run_forever(stop, heartbeat.beat if heartbeat is not None else None)
    return 0


def keyboard_button(button: SimulatedButton, stop: threading.Event) -> None:
    """The demo's button on the terminal: Enter = press, 'c' then Enter = long press (cancel)."""
    print("keyboard button: Enter = press, c + Enter = cancel", flush=True)
    for line in sys.stdin:
        if stop.is_set():
            return
        if line.strip().lower() == "c":
            button.long_press()
        else:
            button.press()
