"""The collection server as a WSGI app for a production server (gunicorn, waitress), built from the
same settings file as `appliance serve-ingest`; see docs/deploying-serve-ingest.md.

    APPLIANCE_INGEST_CONFIG=/etc/appliance/ingest.toml \
        gunicorn --config systemd/serve-ingest.gunicorn.conf.py     (what systemd/appliance-ingest.service runs)
    APPLIANCE_INGEST_CONFIG=/etc/appliance/ingest.toml \
        waitress-serve --listen=127.0.0.1:8730 --call appliance.ingest.wsgi:app_from_environment

Nothing happens at import: the factories are called by the server. A host never changes the
schema: on PostgreSQL it refuses to start until `appliance serve-ingest migrate` has run. The
single-school SQLite default migrates its own file at start (one process owns it). Database
connections made here are closed again, so forked workers make their own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask

from appliance.errors import SettingsError
from appliance.ingest.config import IngestSettings, load_ingest_settings
from appliance.ingest.devices import DatabaseDevices, seed_from_keys_file
from appliance.ingest.metadata import Metadata, SqliteMetadata, metadata_for
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.photo_storage import PhotoStorage, photo_storage_for
from appliance.ingest.server import create_app

CONFIG_ENV = "APPLIANCE_INGEST_CONFIG"


def open_metadata(settings: IngestSettings) -> Metadata:
    return metadata_for(settings.database_url, settings.data_dir, settings.database_pool_size)


def open_storage(settings: IngestSettings) -> tuple[Metadata, PhotoStorage]:
    """The metadata database (its schema checked, never changed, except a single-school SQLite
    file that is brought up to date) and the photo storage of `settings`."""
    metadata = open_metadata(settings)
    try:
        if isinstance(metadata, SqliteMetadata):
            metadata.migrate(time.time())
        metadata.check_schema()
    except BaseException:
        metadata.close()  # no pool threads left behind by a host that refuses to start
        raise
    files = PhotoFiles(settings.data_dir / "photos") if settings.photo_storage == "files" else None
    s3 = {"bucket": settings.s3_bucket, "prefix": settings.s3_prefix, "endpoint_url": settings.s3_endpoint_url,
          "region": settings.s3_region}
    return metadata, photo_storage_for(settings.photo_storage, files, metadata, s3)


def seed_devices(settings: IngestSettings, metadata: Metadata) -> list[str]:
    """Devices of the keys file the database does not know yet; an absent keys file is fine once
    the database has devices."""
    if Path(settings.keys_file).exists():
        return seed_from_keys_file(metadata, settings.keys_file, settings.reviewer_ids, time.time())
    if not metadata.devices():
        raise SettingsError(
            f"ingest: no devices: the keys file {settings.keys_file} does not exist and the database"
            " has none (add one with `appliance serve-ingest device add`)"
        )
    return []


def app_from_settings(settings: IngestSettings) -> Flask:
    metadata, photos = open_storage(settings)
    try:
        seed_devices(settings, metadata)
    finally:
        metadata.close()
    return create_app(settings, metadata, photos, DatabaseDevices(metadata, settings.reviewer_ids))


def app_from_config(path: str | Path) -> Flask:
    return app_from_settings(load_ingest_settings(Path(path), {}))


def app_from_environment() -> Flask:
    """For servers that call a factory without arguments (waitress-serve --call)."""
    path = os.environ.get(CONFIG_ENV, "")
    if not path:
        raise SettingsError(f"ingest: set {CONFIG_ENV} to the ingest settings TOML")
    return app_from_config(path)
