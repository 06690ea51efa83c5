"""`appliance code`: read capture codes from images, make reference-format codes, check a roster.

`scan --json` prints exactly one JSON object per image, in the order given, with the keys
path, ok, format, capture_code, fields, error (other tools parse it); the capture code and fields
are masked as on the booth's screen. A bad image or a foreign code is reported and the run goes on;
the exit status is 1 when any image failed.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import segno
from pydantic import SecretStr

from appliance.binding.decoders import decode_payload, load_decoders
from appliance.binding.errors import CodeRejected
from appliance.binding.model import CodeFields, display_fields
from appliance.binding.phone_photo import PhoneShot, render_phone_photo
from appliance.binding.reference_format import FIELD_ORDER, KEY_ID, ReferenceCodec, sample_fields
from appliance.binding.roster import import_roster
from appliance.capture.qr import ensure_engine_available, scan_qr
from appliance.cli.terminal import terminal_safe
from appliance.demo.codes import DEMO_KEY_ID
from appliance.errors import ApplianceError, ImageError
from appliance.imageio import load_image
from appliance.privacy import mask_code
from appliance.settings import load_settings
from appliance.store.durable_files import atomic_write


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("code", help="capture codes: scan images, make test codes, check a roster")
    actions = parser.add_subparsers(dest="code_command", required=True)

    scan = actions.add_parser("scan", help="read and decode the capture code in each image")
    scan.add_argument("images", nargs="+", metavar="IMAGE")
    scan.add_argument("--json", action="store_true", help="one JSON object per line")
    scan.add_argument("--key", default=None, help="64 hex digits: read reference codes of this key too")
    scan.add_argument("--key-id", default=None, help="the key id of --key (default DEMO, as in code make)")
    scan.set_defaults(func=run_scan)

    make = actions.add_parser("make", help="make reference-format (or plain) codes as PNG images")
    make.add_argument("--out", type=Path, required=True, help="a .png file (one code) or a directory")
    make.add_argument("--count", type=int, default=1)
    make.add_argument("--seed", type=int, default=None, help="seed for the made-up fields")
    make.add_argument("--key-id", default=None, help="key id in codes.reference_keys (default: the first)")
    make.add_argument("--key", default=None, help="64 hex digits, for demos without a settings file")
    make.add_argument("--plain", action="store_true", help="a bare 16-hex capture code instead")
    make.add_argument("--phone-photo", action="store_true", help="render as a camera photo of a phone")
    make.add_argument("--module-px", type=float, default=4.0, help="module size in the phone photo")
    for name in FIELD_ORDER:
        make.add_argument(f"--{name.replace('_', '-')}", dest=f"field_{name}", default=None)
    make.set_defaults(func=run_make)

    roster = actions.add_parser("roster", help="check a roster file (CSV/XLSX) and report bad rows")
    roster.add_argument("file", type=Path)
    roster.add_argument("--json", action="store_true")
    roster.set_defaults(func=run_roster)


def scan_one(path: str, scanner: str, decoders: list) -> dict[str, Any]:
    """The JSON record of one image; never raises for a bad image or a bad code."""
    record: dict[str, Any] = {
        "path": path, "ok": False, "format": None, "capture_code": None, "fields": {}, "error": None,
    }
    try:
        image = load_image(path).bgr
    except ImageError as exc:
        zh, _, en = str(exc).partition(" / ")
        record["error"] = f"无法读取图片：{zh} / cannot read the image: {en or zh}"
        return record
    found = scan_qr(image, scanner)  # type: ignore[arg-type]
    if not found:
        record["error"] = "图中没有找到二维码 / no QR code found in the image"
        return record
    first_error: CodeRejected | None = None
    for result in found:
        try:
            format_name, fields = decode_payload(result.text, decoders)
        except CodeRejected as exc:
            first_error = first_error or exc
            continue
        masked = display_fields(fields)
        code = masked.pop("capture_code", None)
        record.update(ok=True, format=format_name, capture_code=code, fields=masked)
        return record
    record["error"] = str(first_error)
    return record


def run_scan(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings).codes
    if args.key is not None:
        key_id, key = _given_key(args, "scan")
        keys = {**settings.reference_keys, key_id: SecretStr(key.hex())}
        names = settings.decoders if "reference" in settings.decoders else ["reference", *settings.decoders]
        settings = settings.model_copy(update={"reference_keys": keys, "decoders": names})
    ensure_engine_available(settings.scanner)
    decoders = load_decoders(settings)
    failed = 0
    for path in args.images:
        record = scan_one(path, settings.scanner, decoders)
        failed += not record["ok"]
        if args.json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        elif record["ok"]:
            shown = " ".join(v for k, v in record["fields"].items() if k in ("name", "student_number"))
            print(terminal_safe(f"{path}: {record['format']} {record['capture_code']} {shown}".rstrip()), flush=True)
        else:
            print(terminal_safe(f"{path}: {record['error']}"), flush=True)
    return 1 if failed else 0


def _given_key(args: argparse.Namespace, command: str) -> tuple[str, bytes]:
    """--key (and --key-id, default DEMO: the demo booth's key id) as code make and scan take them."""
    try:
        key = bytes.fromhex(args.key)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ApplianceError(f"code {command}: --key must be 64 hex digits (32 bytes)")
    key_id = args.key_id or DEMO_KEY_ID
    if not KEY_ID.match(key_id):
        raise ApplianceError(f"code {command}: --key-id must be 1-8 characters of A-Z and 0-9")
    return key_id, key


def _codec_and_key_id(args: argparse.Namespace) -> tuple[ReferenceCodec, str]:
    keys = load_settings(args.settings).codes.key_bytes()
    if args.key is not None:
        given_id, key = _given_key(args, "make")
        keys[given_id] = key
    key_id = args.key_id or (next(iter(keys)) if keys else None)
    if key_id is None or key_id not in keys:
        raise ApplianceError(
            "code make: no key: give --key (64 hex) or set codes.reference_keys in the settings file"
        )
    if not KEY_ID.match(key_id):
        raise ApplianceError("code make: --key-id must be 1-8 characters of A-Z and 0-9")
    return ReferenceCodec(keys), key_id


def _qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def _targets(out: Path, count: int) -> list[Path]:
    if count == 1 and out.suffix.lower() == ".png":
        out.parent.mkdir(parents=True, exist_ok=True)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    return [out / f"code-{index:03d}.png" for index in range(1, count + 1)]


def run_make(args: argparse.Namespace) -> int:
    if not 1 <= args.count <= 10_000:
        raise ApplianceError("code make: --count must be 1..10000")
    if not 1.0 <= args.module_px <= 20.0:
        raise ApplianceError("code make: --module-px must be 1..20")
    codec, key_id = (None, "") if args.plain else _codec_and_key_id(args)
    rng = np.random.default_rng(args.seed)
    given = {name: getattr(args, f"field_{name}") for name in FIELD_ORDER}
    overrides = {name: value for name, value in given.items() if value is not None}
    for target in _targets(args.out, args.count):
        fields: CodeFields = sample_fields(rng, **overrides)
        payload = fields.capture_code if codec is None else codec.encode(fields, key_id)
        if args.phone_photo:
            frame = render_phone_photo(payload, PhoneShot(module_px=args.module_px, tilt=0.05), rng)
            ok, encoded = cv2.imencode(".png", frame)
            if not ok:
                raise ApplianceError("code make: PNG encoding failed")
            data = encoded.tobytes()
        else:
            data = _qr_png(payload)
        atomic_write(target, data)
        print(f"{target}\t{mask_code(fields.capture_code)}")
    return 0


def run_roster(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings).codes
    result = import_roster(args.file, settings.max_roster_rows)
    if args.json:
        problems = [{"row": p.row, "message": p.message} for p in result.problems]
        print(json.dumps({
            "path": str(args.file), "encoding": result.encoding, "rows_read": result.rows_read,
            "rows_accepted": result.rows_accepted, "problems": problems,
        }, ensure_ascii=False))
    else:
        print("\n".join(result.report_lines()), file=sys.stdout)
    return 1 if result.problems else 0
