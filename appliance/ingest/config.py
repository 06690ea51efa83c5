"""Settings of the collection server; a separate file from the booth's, since it runs elsewhere."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from appliance.errors import SettingsError


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8730, ge=0, le=65535)
    data_dir: Path = Path("ingest-data")
    # Empty: SQLite in data_dir (nothing to install). postgresql://... for many booths.
    database_url: str = Field("", pattern=r"^(|postgres(ql)?://\S+)$")
    # Connections per process to PostgreSQL (psycopg_pool); gunicorn workers x this <= max_connections.
    database_pool_size: int = Field(8, ge=1, le=200)
    # "files": data_dir/photos (one school's single server). "database": the bytes in the same
    # database as the rows, one transaction each (stateless hosts on one PostgreSQL). "s3": a
    # bucket behind the S3 API (AWS, MinIO, Ceph...); credentials from boto3's usual chain.
    photo_storage: Literal["files", "database", "s3"] = "files"
    s3_bucket: str = Field("", pattern=r"^(|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")
    s3_prefix: str = Field("photos/", max_length=200, pattern=r"^[A-Za-z0-9/._-]*$")
    s3_endpoint_url: str = Field("", pattern=r"^(|https?://\S+)$")
    s3_region: str = Field("", max_length=40)
    # TOML table: device id = "64+ hex digit key". It seeds the devices table (devices the
    # database does not know are added at start); `serve-ingest device` manages them after that.
    keys_file: Path = Path("ingest-keys.toml")
    reviewer_ids: list[str] = []
    max_body_bytes: int = Field(4_000_000, ge=10_000, le=100_000_000)
    max_skew_s: float = Field(300.0, ge=5.0, le=86400.0)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # How photos are named inside a school's export zip (the school's upload rules).
    export_name_field: Literal["capture_code", "student_number", "id_number"] = "capture_code"


    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> IngestSettings:
        if self.photo_storage == "s3" and not self.s3_bucket:
            raise ValueError("photo_storage = \"s3\" needs s3_bucket")
        return self


def read_toml(path: Path, what: str) -> dict[str, object]:
    """A TOML file as a dict, or one SettingsError line naming `what` and the problem."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{what}: file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{what}: {path} is not valid TOML: {exc}") from None


def load_ingest_settings(path: Path | None, overrides: dict[str, object]) -> IngestSettings:
    data = {} if path is None else read_toml(path, "ingest settings")
    data.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return IngestSettings.model_validate(data)
    except ValidationError as exc:
        from appliance.settings import format_validation_error

        raise SettingsError(format_validation_error(exc, IngestSettings)) from None
