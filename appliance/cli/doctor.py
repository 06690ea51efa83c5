"""`appliance doctor [--json] [--demo]`: one line per self-check, exit status 0 only when all pass.

Scripts (the installer's rollback, monitoring) read `--json`: one object per line with the keys
name, ok, detail (English, as always) and detail_zh (the same in Chinese, for a person reading it).
The text lines give the Chinese first with the English beside it. A settings file that fails
validation is itself a failed check, not a crash: the other checks then run on the last-good copy
(or the defaults) the booth would use.
"""

from __future__ import annotations

import argparse
import json

from appliance.doctor import format_line, inputs_from_settings, run_checks
from appliance.system.settings_recovery import inspect_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check camera, models, GPIO, disk, clock, network, ...")
    parser.add_argument("--json", action="store_true", help="one JSON object per check: name, ok, detail, detail_zh")
    parser.add_argument("--demo", action="store_true", help="check the demo camera source, not hardware")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    results = run_checks(inputs_from_settings(inspect_settings(args.settings), demo=args.demo))
    for result in results:
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            print(format_line(result), flush=True)
    return 0 if all(result.ok for result in results) else 1
