"""`appliance doctor [--json] [--demo]`: one line per self-check, exit status 0 only when all pass.

Scripts (the installer's rollback, monitoring) read `--json`: one object per line with exactly the
keys name, ok, detail. A settings file that fails validation is itself a failed check, not a crash:
the other checks then run on the last-good copy (or the defaults) the booth would use.
"""

from __future__ import annotations

import argparse
import json

from appliance.doctor import format_line, inputs_from_settings, run_checks
from appliance.errors import SettingsError
from appliance.settings import Settings
from appliance.system.settings_recovery import LoadedSettings, load_settings_with_recovery


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check camera, models, GPIO, disk, clock, network, ...")
    parser.add_argument("--json", action="store_true", help="one JSON object per check: name, ok, detail")
    parser.add_argument("--demo", action="store_true", help="check the demo camera source, not hardware")
    parser.set_defaults(func=run)


def _inspect_settings(args: argparse.Namespace) -> LoadedSettings:
    if args.settings is None:
        return LoadedSettings(Settings(), "built-in defaults (no --settings file)")
    try:
        return load_settings_with_recovery(args.settings, remember=False)
    except SettingsError as exc:
        return LoadedSettings(Settings(), "built-in defaults", str(exc))


def run(args: argparse.Namespace) -> int:
    results = run_checks(inputs_from_settings(_inspect_settings(args), demo=args.demo))
    for result in results:
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            print(format_line(result), flush=True)
    return 0 if all(result.ok for result in results) else 1
