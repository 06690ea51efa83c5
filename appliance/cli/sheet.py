"""`appliance sheet PHOTO OUT`: the 6-inch print sheet (8 x 1寸, 4 x 2寸, cut marks) as image and PDF.

OUT is the image (PNG, or JPEG when it ends in .jpg/.jpeg); the PDF is written next to it with the
suffix .pdf. When OUT itself ends in .pdf, the image goes next to it as .png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.imageio import load_image
from appliance.settings import load_settings


def output_paths(out: Path) -> tuple[Path, Path, str]:
    """(image path, PDF path, Pillow image format) for the OUT a person gave."""
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        return out.with_suffix(".png"), out, "PNG"
    image_format = "JPEG" if suffix in (".jpg", ".jpeg") else "PNG"
    return out, out.with_suffix(".pdf"), image_format


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sheet", help="lay out a photo as 8 x 1寸 + 4 x 2寸 on 6-inch paper")
    parser.add_argument("photo", type=Path, metavar="PHOTO", help="the produced photo")
    parser.add_argument("output", type=Path, metavar="OUT", help="sheet image (.png/.jpg); a .pdf is written too")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from appliance.produce.sheet import build_sheet, sheet_files
    from appliance.store.durable_files import atomic_write

    runtime = load_settings(args.settings).runtime
    photo = load_image(args.photo, runtime.max_image_pixels, runtime.max_file_bytes)
    image_path, pdf_path, image_format = output_paths(args.output)
    picture, pdf = sheet_files(build_sheet(photo.bgr), image_format)
    atomic_write(image_path, picture)
    atomic_write(pdf_path, pdf)
    print(f"written {image_path} and {pdf_path} (6 x 4 in, 300 dpi)")
    return 0
