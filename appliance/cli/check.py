"""`appliance check`: the photo-rule verdict for photo files, as a report or one JSON line each.

A batch never stops on a bad file: it gets verdict "error" with the reason and the run goes on.
The exit status is 0 when every photo passed, 1 when any failed or could not be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.errors import ImageError
from appliance.imageio import load_image
from appliance.inference.report_text import report_json, report_text
from appliance.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check photos against the graduation-photo rules")
    parser.add_argument("photos", nargs="*", help="photo files (JPEG, PNG, ...)")
    parser.add_argument("--json", action="store_true", help="one JSON object per photo and line")
    parser.add_argument("--annotate", type=Path, metavar="OUT.png",
                        help="draw landmarks, boxes and failed checks of the (single) photo into OUT.png")
    parser.add_argument("--demo", action="store_true",
                        help="check the bundled sample portrait (the public-domain NASA astronaut)")
    parser.set_defaults(func=run)


def _demo_sample(tmp_dir: Path) -> Path:
    from appliance.samples import write_demo_portrait

    return write_demo_portrait(tmp_dir / "demo_portrait.jpg")


def run(args: argparse.Namespace) -> int:
    import tempfile

    from appliance.app import build_analyzer
    from appliance.inference.engine import WORK_MAX_SIDE

    settings = load_settings(args.settings)
    photos = list(args.photos)
    tmp = tempfile.TemporaryDirectory()
    if args.demo:
        photos.append(str(_demo_sample(Path(tmp.name))))
    if not photos:
        print("appliance check: name at least one photo (or use --demo)", file=sys.stderr)
        return 2
    if args.annotate and len(photos) != 1:
        print("appliance check: --annotate takes exactly one photo", file=sys.stderr)
        return 2
    analyzer = build_analyzer(settings)
    runtime = settings.runtime
    all_passed = True
    for path in photos:
        try:
            # decoded no larger than the engine analyses it (a 12 MP JPEG at half size or less)
            image = load_image(path, runtime.max_image_pixels, runtime.max_file_bytes, reduce_to=WORK_MAX_SIDE)
        except ImageError as exc:
            all_passed = False
            print(report_json(path, "error", [], str(exc)) if args.json else report_text(path, "error", [], str(exc)),
                  flush=True)
            continue
        report = analyzer.check(image.bgr, grayscale=image.grayscale, pixel_scale=image.scale)
        all_passed &= report.verdict == "pass"
        render = report_json if args.json else report_text
        print(render(path, report.verdict, report.checks), flush=True)
        if args.annotate:
            from appliance.inference.annotate import write_annotation

            write_annotation(args.annotate, report)
            if not args.json:
                print(f"annotated picture: {args.annotate}")
    tmp.cleanup()
    return 0 if all_passed else 1
