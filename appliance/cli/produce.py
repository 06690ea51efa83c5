"""`appliance produce IN OUT.jpg`: the collector's photo from a capture, written only when it passes.

The exit status is what scripts rely on: 0 with OUT written when the product passed its own
verification; 1 with no OUT and one line (reason and guidance, Chinese then English) otherwise.
IN is a file someone brought unless `--from-camera` says it is the booth camera's own frame: the
guidance then tells the person in front of the camera what to do, not the bearer of the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.imageio import load_image
from appliance.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("produce", help="make the standard photo (CHSI 480x640 by default)")
    parser.add_argument("input", type=Path, metavar="IN", help="capture or photo file")
    parser.add_argument("output", type=Path, metavar="OUT.jpg", help="where the product is written")
    parser.add_argument("--background", choices=("blue", "white", "grey"), default=None,
                        help="background colour (default: the preset's)")
    parser.add_argument("--preset", default=None, help="collection spec (default: settings produce.preset)")
    parser.add_argument("--backdrop", type=Path, default=None,
                        help="calibrated frame of the empty backdrop, same camera and framing as IN")
    parser.add_argument("--from-camera", action="store_true",
                        help="IN is the booth camera's frame: refusals tell the person how to stand")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from appliance.app import build_analyzer
    from appliance.inference.report_text import report_text
    from appliance.produce.photo import produce_photo
    from appliance.store.durable_files import atomic_write

    settings = load_settings(args.settings)
    if args.preset is not None and args.preset not in settings.produce.presets:
        names = ", ".join(sorted(settings.produce.presets))
        print(f"appliance produce: unknown preset '{args.preset}' (use one of {names})", file=sys.stderr)
        return 2
    runtime = settings.runtime
    source = load_image(args.input, runtime.max_image_pixels, runtime.max_file_bytes)
    backdrop = None
    if args.backdrop is not None:
        backdrop = load_image(args.backdrop, runtime.max_image_pixels, runtime.max_file_bytes).bgr
        if backdrop.shape != source.bgr.shape:
            print("appliance produce: the backdrop frame must have the same size as IN", file=sys.stderr)
            return 2
    analyzer = build_analyzer(settings)
    result = produce_photo(analyzer, source.bgr, settings, args.background, preset=args.preset,
                           backdrop=backdrop, kind="camera" if args.from_camera else "file")
    if result.report is not None:
        verdict = "pass" if result.ok else "fail"
        print(report_text(str(args.output), verdict, result.report.checks), flush=True)
    if not result.ok or result.jpeg is None:
        print(f"appliance produce: refused: {result.reason_zh} / {result.reason_en}", file=sys.stderr)
        return 1
    atomic_write(args.output, result.jpeg)
    print(f"written {args.output} ({len(result.jpeg) / 1024:.1f} KB, quality {result.quality})")
    return 0
