"""`appliance serve-ingest`: run the collection server, migrate its database, manage its devices,
or export one school's batch as a zip.

    appliance serve-ingest --config ingest.toml
    appliance serve-ingest --data-dir srv --keys keys.toml --port 8730
    appliance serve-ingest migrate --config ingest.toml
    appliance serve-ingest device add booth-017 [--reviewer] [--key HEX] [--note TEXT] [--replace]
    appliance serve-ingest device revoke booth-017
    appliance serve-ingest device list [--json]
    appliance serve-ingest --data-dir srv --export-school 10403 --out exports/
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import secrets
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from appliance.errors import SettingsError

if TYPE_CHECKING:
    from appliance.ingest.config import IngestSettings

_DEVICE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """The settings options, accepted before and after an action (`serve-ingest --config x migrate`
    and `serve-ingest migrate --config x`); after it they only override what was given."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", type=Path, default=default, help="ingest settings TOML")
    parser.add_argument("--data-dir", type=Path, default=default, help="photos and SQLite metadata")
    parser.add_argument("--database-url", default=default, help="postgresql://... instead of SQLite")
    parser.add_argument("--keys", type=Path, default=default, help="TOML: device id = hex key (seeds the devices)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve-ingest", help="run the collection server (receives booth uploads)")
    _add_common(parser, suppress=False)
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--tls-cert", type=Path, default=None)
    parser.add_argument("--tls-key", type=Path, default=None)
    parser.add_argument("--export-school", metavar="CODE", default=None, help="write CODE's zip and exit")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for --export-school")
    parser.set_defaults(func=run, action=None)
    actions = parser.add_subparsers(dest="action", required=False)

    migrate = actions.add_parser("migrate", help="bring the database schema up to date (safe from many hosts)")
    _add_common(migrate, suppress=True)

    device = actions.add_parser("device", help="booths and reviewers allowed to sign requests")
    device_actions = device.add_subparsers(dest="device_action", required=True)
    add = device_actions.add_parser("add", help="register a device (prints its new key)")
    add.add_argument("device_id")
    add.add_argument("--key", default=None, help="hex key (64+ digits); default: a new random one")
    add.add_argument("--reviewer", action="store_true", help="may record review decisions")
    add.add_argument("--note", default=None, help="where the booth is, who holds the key")
    add.add_argument("--replace", action="store_true", help="new key for a known device (lifts a revocation)")
    revoke = device_actions.add_parser("revoke", help="refuse a device's requests from now on, on every host")
    revoke.add_argument("device_id")
    listing = device_actions.add_parser("list", help="registered devices (never their keys)")
    listing.add_argument("--json", action="store_true")
    for sub in (add, revoke, listing):
        _add_common(sub, suppress=True)

    review = actions.add_parser("review", help="the reviewer's side: pending photos, their checks, decisions")
    review_actions = review.add_subparsers(dest="review_action", required=True)
    pending = review_actions.add_parser("list", help="photos waiting for a decision, oldest first")
    pending.add_argument("--school", default=None)
    pending.add_argument("--limit", type=int, default=50)
    pending.add_argument("--json", action="store_true")
    show = review_actions.add_parser("show", help="one photo's binding and checks")
    show.add_argument("sha256")
    show.add_argument("--photo-out", type=Path, default=None, help="also write the JPEG here to look at it")
    show.add_argument("--json", action="store_true")
    decide = review_actions.add_parser("decide", help="accept or reject with a reason (booths see it)")
    decide.add_argument("sha256")
    decide.add_argument("decision", choices=["accept", "reject"])
    decide.add_argument("--reason", default=None, help="one of `review reasons`; default ok for accept")
    decide.add_argument("--note", default=None, help="free text after the reason")
    reasons = review_actions.add_parser("reasons", help="the fixed list of reasons")
    for sub in (pending, show, decide, reasons):
        _add_common(sub, suppress=True)

    booths = actions.add_parser("booths", help="every booth's last heartbeat and upload")
    booths.add_argument("--json", action="store_true")
    _add_common(booths, suppress=True)


def _settings(args: argparse.Namespace) -> IngestSettings:
    from appliance.ingest.config import load_ingest_settings

    return load_ingest_settings(
        args.config,
        {
            "host": getattr(args, "host", None), "port": getattr(args, "port", None),
            "data_dir": args.data_dir, "database_url": args.database_url, "keys_file": args.keys,
            "tls_cert_file": getattr(args, "tls_cert", None), "tls_key_file": getattr(args, "tls_key", None),
        },
    )


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.action == "migrate":
        return migrate(settings)
    if args.action == "device":
        return device(settings, args)
    if args.action == "review":
        return review(settings, args)
    if args.action == "booths":
        return list_booths(settings, args.json)
    if args.export_school:
        from appliance.ingest.export import export_school
        from appliance.ingest.wsgi import open_storage

        def progress(done: int, total: int) -> None:
            if done == total or done % 200 == 0:
                print(f"serve-ingest: export {done}/{total}", file=sys.stderr, flush=True)

        metadata, photos = open_storage(settings)
        try:
            path, written, skipped = export_school(
                metadata, photos, args.export_school, args.out, settings.export_name_field, progress
            )
        finally:
            metadata.close()
        print(f"serve-ingest: wrote {path} and {path.stem}.manifest.csv ({written} photos,"
              f" {skipped} skipped: no usable name or no bytes; run again to resume an interrupted export)")
        return 0
    return serve(settings)


def migrate(settings: IngestSettings) -> int:
    from appliance.ingest.metadata import LATEST_VERSION
    from appliance.ingest.wsgi import open_metadata

    metadata = open_metadata(settings)
    try:
        applied = metadata.migrate(time.time())
    finally:
        metadata.close()
    if applied:
        print(f"serve-ingest: schema migrated to version {LATEST_VERSION} (applied {', '.join(map(str, applied))})")
    else:
        print(f"serve-ingest: schema already at version {LATEST_VERSION}; nothing to do")
    return 0


def device(settings: IngestSettings, args: argparse.Namespace) -> int:
    from appliance.ingest.wsgi import open_storage
    from appliance.uplink.signing import parse_key

    metadata, _ = open_storage(settings)
    try:
        if args.device_action == "list":
            rows: list[dict[str, Any]] = [
                {"device_id": d.device_id, "role": d.role, "note": d.note, "added_at": d.added_at,
                 "revoked_at": d.revoked_at}
                for d in metadata.devices()
            ]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
            for row in [] if args.json else rows:
                state = "revoked " + _when(row["revoked_at"]) if row["revoked_at"] else "active"
                print(f"{row['device_id']:<24} {row['role']:<8} {state:<26} {row['note'] or ''}")
            return 0
        if not _DEVICE_ID.match(args.device_id):
            raise SettingsError("serve-ingest device: the id may hold only A-Z a-z 0-9 . _ - (at most 64)")
        if args.device_action == "revoke":
            if not metadata.revoke_device(args.device_id, time.time()):
                raise SettingsError(f"serve-ingest device: {args.device_id} is not an active device")
            print(f"serve-ingest: {args.device_id} revoked; every host refuses it from now on")
            return 0
        key = parse_key(args.key, "--key") if args.key else secrets.token_bytes(32)
        role = "reviewer" if args.reviewer else "booth"
        if not metadata.add_device(args.device_id, key, role, args.note, time.time(), replace=args.replace):
            raise SettingsError(f"serve-ingest device: {args.device_id} exists already (use --replace for a new key)")
        print(f"serve-ingest: {args.device_id} added as {role}")
        if not args.key:
            print(f"key (shown once; put it in the booth's device key file): {key.hex()}")
        return 0
    finally:
        metadata.close()


def review(settings: IngestSettings, args: argparse.Namespace) -> int:
    from appliance.ingest import review as rv
    from appliance.ingest.wsgi import open_storage
    from appliance.privacy import mask_code, mask_name

    if args.review_action == "reasons":
        for code, text in rv.REASONS.items():
            print(f"{code:<13} {text}")
        return 0
    metadata, photos = open_storage(settings)
    try:
        if args.review_action == "list":
            rows = [rv.summary_row(p) for p in metadata.pending_review(args.limit, args.school)]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
                return 0
            for row in rows:
                print(f"{row['sha256']}  {row['school_code']:<8} {row['capture_code']:<18} {row['device_id']:<16}"
                      f" {_when(row['received_at'])}  booth: {row['verdict'] or '-'}")
            print(f"serve-ingest: {len(rows)} photo(s) waiting for review")
            return 0
        photo = metadata.get(args.sha256)
        if photo is None:
            raise rv.ReviewError(f"review: no photo {args.sha256[:12]}… on this server")
        if args.review_action == "decide":
            state = "accepted" if args.decision == "accept" else "rejected"
            code = args.reason or ("ok" if state == "accepted" else "")
            text = rv.decide(metadata, photo.sha256, state, code, args.note, time.time())
            print(f"serve-ingest: {photo.sha256[:12]} {state}: {text}")
            return 0
        if args.photo_out is not None:
            from appliance.store.durable_files import atomic_write

            atomic_write(args.photo_out, photos.read(photo.sha256))
        if args.json:
            print(json.dumps({**rv.summary_row(photo), "review_state": photo.review_state,
                              "review_reason": photo.review_reason, "report": photo.report}, ensure_ascii=False))
            return 0
        name = (photo.personal or {}).get("name")
        print(f"photo {photo.sha256}\n  school {photo.school_code}  capture code {mask_code(photo.capture_code)}"
              f"  name {mask_name(name) if name else '-'}  booth {photo.device_id}")
        print(f"  captured {_when(photo.captured_at)}  received {_when(photo.received_at)}"
              f"  booth verdict {photo.report.get('verdict', '-')}  review {photo.review_state}"
              f"{': ' + photo.review_reason if photo.review_reason else ''}")
        print("\n".join(rv.check_lines(photo.report)))
        if args.photo_out is not None:
            print(f"  photo written to {args.photo_out}")
        return 0
    finally:
        metadata.close()


def list_booths(settings: IngestSettings, as_json: bool) -> int:
    from dataclasses import asdict

    from appliance.ingest.wsgi import open_storage

    metadata, _ = open_storage(settings)
    try:
        booths = metadata.booths()
    finally:
        metadata.close()
    if as_json:
        print(json.dumps([{**asdict(b), "last_seen_at": b.last_seen_at} for b in booths], ensure_ascii=False))
        return 0
    print(f"{'booth':<20} {'last seen':<19} {'queue':>5} {'oldest waiting':<19} {'disk free':>9} {'temp':>5}"
          f" {'version':<10} last error")
    for b in booths:
        disk = f"{b.disk_free_bytes / 1e9:.1f} GB" if b.disk_free_bytes is not None else "-"
        temp = f"{b.temperature_c:.0f}°C" if b.temperature_c is not None else "-"
        name = b.device_id + (" (revoked)" if b.revoked_at else "")
        print(f"{name:<20} {_when(b.last_seen_at):<19} {b.queue_depth if b.queue_depth is not None else '-':>5}"
              f" {_when(b.oldest_pending_at):<19} {disk:>9} {temp:>5} {b.software_version or '-':<10}"
              f" {b.last_error or ''}")
    return 0


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def serve(settings: IngestSettings) -> int:
    """werkzeug's threaded server: enough for one school's booths on a LAN; a collection company
    with many booths runs the same app under gunicorn (docs/deploying-serve-ingest.md)."""
    from werkzeug.serving import make_server

    from appliance.ingest.wsgi import app_from_settings

    ssl_context = None
    if settings.tls_cert_file or settings.tls_key_file:
        if not (settings.tls_cert_file and settings.tls_key_file):
            raise SettingsError("ingest: tls_cert_file and tls_key_file must be given together")
        ssl_context = (str(settings.tls_cert_file), str(settings.tls_key_file))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    app = app_from_settings(settings)
    try:
        server = make_server(settings.host, settings.port, app, threaded=True, ssl_context=ssl_context)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        raise SettingsError(f"ingest: cannot listen on {where}: {exc.strerror}") from None

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    scheme = "https" if ssl_context else "http"
    print(f"serve-ingest: listening on {scheme}://{settings.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("serve-ingest: stopped", file=sys.stderr)
    return 0
