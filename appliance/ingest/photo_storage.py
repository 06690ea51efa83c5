"""Where the collection server keeps photo bytes: files under data_dir (the default, for one
school's single server), the metadata database itself (stateless hosts: one PostgreSQL holds
photo and row, written in one transaction), or an S3-API bucket (a company that runs object
storage). docs/deploying-serve-ingest.md says which to choose.

Either way a photo is stored under its sha256, so a repeated upload never makes a second copy.
"""

from __future__ import annotations

import base64
import os
import threading
from typing import Any, Protocol

from appliance.ingest.metadata import Metadata, MetadataError, ServerPhoto
from appliance.ingest.photo_files import PhotoFiles


class StorageUnavailable(MetadataError):
    """The object store cannot be reached: answered like a database outage (503, retry)."""


class PhotoStorage(Protocol):
    def store(self, record: ServerPhoto, data: bytes) -> bool:
        """Make photo and row durable; True if stored now, False if the sha256 was there already."""
        ...

    def read(self, sha256: str) -> bytes:
        """The photo's bytes; FileNotFoundError if there are none."""
        ...


class FilePhotos:
    """File first, row second: a crash in between leaves an unreferenced file that the booth's
    retry overwrites with the same bytes, never a row without its photo."""

    def __init__(self, files: PhotoFiles, metadata: Metadata):
        self.files, self._metadata = files, metadata

    def store(self, record: ServerPhoto, data: bytes) -> bool:
        self.files.write(record.sha256, data)
        return self._metadata.insert_photo(record)

    def read(self, sha256: str) -> bytes:
        return self.files.read(sha256)


class DatabasePhotos:
    def __init__(self, metadata: Metadata):
        self._metadata = metadata

    def store(self, record: ServerPhoto, data: bytes) -> bool:
        return self._metadata.insert_photo(record, data)

    def read(self, sha256: str) -> bytes:
        data = self._metadata.photo_bytes(sha256)
        if data is None:
            raise FileNotFoundError(f"no photo bytes for {sha256[:12]} in the database")
        return data


class S3Photos:
    """Object first, row second, like files: the object's key is its sha256, so a retry rewrites
    identical bytes. S3 checks the bytes against the SHA-256 sent with them before it keeps them.
    Credentials come from boto3's usual chain (environment, instance role), never the settings."""

    def __init__(self, metadata: Metadata, bucket: str, prefix: str = "photos/", endpoint_url: str = "",
                 region: str = "", client_factory: Any = None):
        self._metadata, self._bucket, self._prefix = metadata, bucket, prefix
        self._endpoint_url, self._region = endpoint_url or None, region or None
        self._factory = client_factory
        self._client: Any = None
        self._client_pid = 0
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:  # one client per process: a forked worker makes its own
            if self._client is None or self._client_pid != os.getpid():
                if self._factory is not None:
                    self._client = self._factory()
                else:
                    import boto3  # only an S3 deployment needs it
                    from botocore.config import Config

                    config = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
                    self._client = boto3.client("s3", endpoint_url=self._endpoint_url, region_name=self._region,
                                                config=config)
                self._client_pid = os.getpid()
            return self._client

    def key_of(self, sha256: str) -> str:
        return f"{self._prefix}{sha256[:2]}/{sha256}.jpg"

    def store(self, record: ServerPhoto, data: bytes) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        checksum = base64.b64encode(bytes.fromhex(record.sha256)).decode("ascii")
        try:
            self._s3().put_object(
                Bucket=self._bucket, Key=self.key_of(record.sha256), Body=data, ContentType="image/jpeg",
                ChecksumSHA256=checksum,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"ingest: object storage unavailable: {exc}") from exc
        return self._metadata.insert_photo(record)

    def read(self, sha256: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._s3().get_object(Bucket=self._bucket, Key=self.key_of(sha256))
            return answer["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"no object for {sha256[:12]} in the bucket") from None
            raise StorageUnavailable(f"ingest: object storage unavailable: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"ingest: object storage unavailable: {exc}") from exc


def photo_storage_for(kind: str, files: PhotoFiles | None, metadata: Metadata, s3: dict[str, str] | None = None
                      ) -> PhotoStorage:
    if kind == "database":
        return DatabasePhotos(metadata)
    if kind == "s3":
        return S3Photos(metadata, **(s3 or {}))
    if files is None:
        raise ValueError("file photo storage needs a folder")
    return FilePhotos(files, metadata)
