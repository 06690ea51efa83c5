"""`appliance serve-ingest`: run the collection server, or export one school's batch as a zip.

    appliance serve-ingest --config ingest.toml
    appliance serve-ingest --data-dir srv --keys keys.toml --port 8730
    appliance serve-ingest --data-dir srv --export-school 10403 --out exports/
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from appliance.errors import SettingsError

if TYPE_CHECKING:
    from appliance.ingest.config import IngestSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve-ingest", help="run the collection server (receives booth uploads)")
    parser.add_argument("--config", type=Path, default=None, help="ingest settings TOML")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=None, help="photos and SQLite metadata")
    parser.add_argument("--database-url", default=None, help="postgresql://... instead of SQLite")
    parser.add_argument("--keys", type=Path, default=None, help="TOML: device id = hex key")
    parser.add_argument("--tls-cert", type=Path, default=None)
    parser.add_argument("--tls-key", type=Path, default=None)
    parser.add_argument("--export-school", metavar="CODE", default=None, help="write CODE's zip and exit")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for --export-school")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from appliance.ingest.config import load_ingest_settings

    settings = load_ingest_settings(
        args.config,
        {
            "host": args.host, "port": args.port, "data_dir": args.data_dir,
            "database_url": args.database_url, "keys_file": args.keys,
            "tls_cert_file": args.tls_cert, "tls_key_file": args.tls_key,
        },
    )
    if args.export_school:
        from appliance.ingest.export import export_school
        from appliance.ingest.wsgi import open_storage

        metadata, files = open_storage(settings)
        path, written, skipped = export_school(
            metadata, files, args.export_school, args.out, settings.export_name_field
        )
        print(f"serve-ingest: wrote {path} ({written} photos, {skipped} without a usable name)")
        return 0
    return serve(settings)


def serve(settings: IngestSettings) -> int:
    """werkzeug's threaded server: enough for one school's booths on a LAN; a collection company
    with many booths runs the same app under gunicorn or waitress (docs/deploying-serve-ingest.md)."""
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
