"""Where the collection server keeps photo bytes: files under data_dir (the default, for one
school's single server) or the metadata database itself (stateless hosts: one PostgreSQL holds
photo and row, written in one transaction). docs/deploying-serve-ingest.md says which to choose.

Either way a photo is stored under its sha256, so a repeated upload never makes a second copy.
"""

from __future__ import annotations

from typing import Protocol

from appliance.ingest.metadata import Metadata, ServerPhoto
from appliance.ingest.photo_files import PhotoFiles


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


def photo_storage_for(kind: str, files: PhotoFiles | None, metadata: Metadata) -> PhotoStorage:
    if kind == "database":
        return DatabasePhotos(metadata)
    if files is None:
        raise ValueError("file photo storage needs a folder")
    return FilePhotos(files, metadata)
