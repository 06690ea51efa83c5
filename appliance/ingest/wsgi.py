"""The collection server as a WSGI app for a production server (gunicorn, waitress), built from the
same settings file as `appliance serve-ingest`; see docs/deploying-serve-ingest.md.

    gunicorn --preload -w 4 --threads 4 -b 127.0.0.1:8730 \
        'appliance.ingest.wsgi:app_from_config("/etc/appliance/ingest.toml")'
    APPLIANCE_INGEST_CONFIG=/etc/appliance/ingest.toml \
        waitress-serve --listen=127.0.0.1:8730 --call appliance.ingest.wsgi:app_from_environment

Nothing happens at import: the factories are called by the server. The schema is created once by
the factory and its database connection closed again, so no connection is inherited by forked
workers (each thread of each worker opens its own when it first needs one).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from appliance.errors import SettingsError
from appliance.ingest.config import IngestSettings, load_ingest_settings
from appliance.ingest.keys import load_device_keys
from appliance.ingest.metadata import Metadata, metadata_for
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.server import create_app

CONFIG_ENV = "APPLIANCE_INGEST_CONFIG"


def open_storage(settings: IngestSettings) -> tuple[Metadata, PhotoFiles]:
    """The metadata database (schema created if missing) and the photo folder of `settings`."""
    metadata = metadata_for(settings.database_url, settings.data_dir)
    metadata.create_schema()
    return metadata, PhotoFiles(settings.data_dir / "photos")


def app_from_settings(settings: IngestSettings) -> Flask:
    metadata, files = open_storage(settings)
    metadata.close()
    return create_app(settings, metadata, files, load_device_keys(settings.keys_file))


def app_from_config(path: str | Path) -> Flask:
    return app_from_settings(load_ingest_settings(Path(path), {}))


def app_from_environment() -> Flask:
    """For servers that call a factory without arguments (waitress-serve --call)."""
    path = os.environ.get(CONFIG_ENV, "")
    if not path:
        raise SettingsError(f"ingest: set {CONFIG_ENV} to the ingest settings TOML")
    return app_from_config(path)
