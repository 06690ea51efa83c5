"""Shared pieces of the store/uplink/ingest tests: photos, keys and a live server on loopback."""

from __future__ import annotations

import io
import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image
from werkzeug.serving import make_server

from appliance.ingest.config import IngestSettings
from appliance.ingest.metadata import Metadata, SqliteMetadata
from appliance.ingest.photo_files import PhotoFiles
from appliance.ingest.server import create_app

DEVICE_ID = "booth-test"
DEVICE_KEY = bytes(range(32))
REVIEWER_ID = "reviewer-1"
REVIEWER_KEY = bytes(range(100, 132))


def make_jpeg(seed: int, size: tuple[int, int] = (48, 64)) -> bytes:
    """A small, distinct JPEG per seed (noise, so that no two seeds give the same bytes)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


class LiveServer:
    def __init__(self, root: Path, metadata: Metadata | None = None, keys: dict[str, bytes] | None = None,
                 **settings: Any):
        self.settings = IngestSettings(data_dir=root, reviewer_ids=[REVIEWER_ID], **settings)
        self.metadata = metadata or SqliteMetadata(root / "ingest.db")
        self.metadata.migrate()
        self.files = PhotoFiles(root / "photos")
        self.app = create_app(
            self.settings, self.metadata, self.files, {DEVICE_ID: DEVICE_KEY, REVIEWER_ID: REVIEWER_KEY, **(keys or {})}
        )
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is noise here
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def live_server(root: Path, **settings: Any) -> Iterator[LiveServer]:
    with LiveServer(root, **settings) as server:
        yield server
