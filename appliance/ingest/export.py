"""A school's batch as one zip with a CSV manifest, named the way schools upload photos to CHSI.

Inside, each photo is `<name field>.jpg` (capture code by default; student number or ID number
when the school's rules say so) and nothing else (the zip goes to CHSI as it is). Beside it,
`<school>_<date>.manifest.csv` lists file, capture code, student number, name, sha256 and the
review decision of each photo in the zip. A student photographed twice appears once: the latest
accepted photo that a reviewer did not reject.

The export streams to disk and can be resumed: photos are first copied one by one into a staging
folder beside the zip (each file written atomically, so an interrupted run leaves only whole
files, which a second run checks by sha256 and keeps), then the zip is written from that folder
to a temp name and renamed. Memory stays at one photo whatever the school's size; a re-run after
a crash or a database outage fetches only what is missing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from appliance.errors import ApplianceError
from appliance.ingest.metadata import Metadata, ServerPhoto
from appliance.ingest.photo_storage import PhotoStorage
from appliance.store.durable_files import atomic_write, fsync_dir

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MANIFEST_COLUMNS = ("file", "capture_code", "student_number", "name", "sha256", "decision", "reason")
_ZIP_EARLIEST = (1980, 1, 1, 0, 0, 0)
_ZIP_LATEST = (2107, 12, 31, 23, 59, 58)


def photo_name(photo: ServerPhoto, field: str) -> str | None:
    value = photo.capture_code if field == "capture_code" else (photo.personal or {}).get(field) or ""
    return value if _SAFE_NAME.match(value) else None


def zip_time(when: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date (1980-2107 is all the format holds): one booth's wrong clock must not
    fail a whole school's export, so times outside are clamped (uploads refuse them already)."""
    try:
        local = time.localtime(when)[:6]
    except (OverflowError, OSError, ValueError):
        return _ZIP_EARLIEST
    return min(max(local, _ZIP_EARLIEST), _ZIP_LATEST)


def _chosen(metadata: Metadata, school_code: str, name_field: str) -> tuple[dict[str, ServerPhoto], int]:
    chosen: dict[str, ServerPhoto] = {}
    skipped = 0
    for photo in metadata.school_photos(school_code):  # ordered by accepted_at: later ones win
        name = photo_name(photo, name_field)
        if name is None:
            skipped += 1
            continue
        if photo.review_state != "rejected":
            chosen[name] = photo
    return chosen, skipped


def _staged_ok(path: Path, sha256: str) -> bool:
    if not path.exists():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == sha256


def _manifest(rows: list[tuple[str, ServerPhoto]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for name, photo in rows:
        personal = photo.personal or {}
        writer.writerow((
            f"{name}.jpg", photo.capture_code, personal.get("student_number", ""), personal.get("name", ""),
            photo.sha256, photo.review_state, photo.review_reason or "",
        ))
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read the Chinese names right


def export_school(
    metadata: Metadata, files: PhotoStorage, school_code: str, out_dir: Path, name_field: str = "capture_code",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, int, int]:
    """Write `<school>_<YYYYMMDD>.zip` into out_dir; returns (path, photos written, photos skipped:
    no usable name, or no bytes on the server). `progress(done, total)` after each photo."""
    if not _SAFE_NAME.match(school_code):
        raise ApplianceError(f"export: school code {school_code!r} is not valid")
    chosen, skipped = _chosen(metadata, school_code, name_field)
    if not chosen:
        raise ApplianceError(f"export: no photos for school {school_code}")
    out_dir = Path(out_dir)
    target = out_dir / f"{school_code}_{time.strftime('%Y%m%d')}.zip"
    staging = out_dir / f".{target.stem}.staging"
    staging.mkdir(parents=True, exist_ok=True)
    included: list[tuple[str, ServerPhoto]] = []
    for done, name in enumerate(sorted(chosen), start=1):
        photo = chosen[name]
        staged = staging / f"{name}.jpg"
        if not _staged_ok(staged, photo.sha256):
            try:
                data = files.read(photo.sha256)
            except FileNotFoundError:
                skipped += 1  # a row without its bytes: reported, the rest still exported
                continue
            atomic_write(staged, data)
        included.append((name, photo))
        if progress is not None:
            progress(done, len(chosen))
    manifest = _manifest(included)
    partial = target.with_name(f".{target.name}.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, photo in included:
            info = zipfile.ZipInfo(f"{name}.jpg", date_time=zip_time(photo.accepted_at))
            with (staging / f"{name}.jpg").open("rb") as source, archive.open(info, "w") as entry:
                shutil.copyfileobj(source, entry, 1 << 20)
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    fsync_dir(out_dir)
    atomic_write(out_dir / f"{target.stem}.manifest.csv", manifest)
    shutil.rmtree(staging, ignore_errors=True)
    return target, len(included), skipped
