"""A school's batch as one zip, named the way schools upload photos to CHSI.

Inside, each photo is `<name field>.jpg` (capture code by default; student number or ID number
when the school's rules say so). A student photographed twice appears once: the latest accepted
photo that a reviewer did not reject. The zip is written atomically, so a half-written export is
never mistaken for a complete one.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

from appliance.errors import ApplianceError
from appliance.ingest.metadata import Metadata, ServerPhoto
from appliance.ingest.photo_storage import PhotoStorage
from appliance.store.durable_files import atomic_write

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def photo_name(photo: ServerPhoto, field: str) -> str | None:
    value = photo.capture_code if field == "capture_code" else (photo.personal or {}).get(field) or ""
    return value if _SAFE_NAME.match(value) else None


_ZIP_EARLIEST = (1980, 1, 1, 0, 0, 0)
_ZIP_LATEST = (2107, 12, 31, 23, 59, 58)


def zip_time(when: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date (1980-2107 is all the format holds): one booth's wrong clock must not
    fail a whole school's export, so times outside are clamped (uploads refuse them already)."""
    try:
        local = time.localtime(when)[:6]
    except (OverflowError, OSError, ValueError):
        return _ZIP_EARLIEST
    return min(max(local, _ZIP_EARLIEST), _ZIP_LATEST)


def export_school(
    metadata: Metadata, files: PhotoStorage, school_code: str, out_dir: Path, name_field: str = "capture_code"
) -> tuple[Path, int, int]:
    """Write `<school>_<YYYYMMDD>.zip` into out_dir; returns (path, photos written, photos skipped)."""
    if not _SAFE_NAME.match(school_code):
        raise ApplianceError(f"export: school code {school_code!r} is not valid")
    chosen: dict[str, ServerPhoto] = {}
    skipped = 0
    for photo in metadata.school_photos(school_code):  # ordered by accepted_at: later ones win
        name = photo_name(photo, name_field)
        if name is None:
            skipped += 1
            continue
        if photo.review_state != "rejected":
            chosen[name] = photo
    if not chosen:
        raise ApplianceError(f"export: no photos for school {school_code}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(chosen):
            info = zipfile.ZipInfo(f"{name}.jpg", date_time=zip_time(chosen[name].accepted_at))
            archive.writestr(info, files.read(chosen[name].sha256))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{school_code}_{time.strftime('%Y%m%d')}.zip"
    atomic_write(target, buffer.getvalue())
    return target, len(chosen), skipped
