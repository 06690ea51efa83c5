"""Bad image files are refused from their header, before any decoder allocates pixels, for every
format OpenCV could open: a 0.87 MB PNG declaring 30000x30000 crashed `check`, `produce` and
`code scan` (PIL's decompression-bomb error escaped), and a 12000x12000 Radiance HDR went to
OpenCV unread (PIL cannot parse it) and peaked at 2.2 GB before it was refused."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

import appliance.imageio as imageio
from appliance.cli import main
from appliance.errors import ImageError

ROOT = Path(__file__).resolve().parents[1]


def png_header_only(width: int, height: int, payload: bytes = b"") -> bytes:
    """A PNG whose IHDR declares width x height; the IDAT holds `payload` (compressed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(payload)) + chunk(b"IEND", b"")


def bomb_png() -> bytes:
    """30000x30000 RGB: the first rows of zeros, enough to look like the real thing."""
    return png_header_only(30000, 30000, b"\0" * (30000 * 3 + 1) * 64)


def radiance_hdr(width: int, height: int) -> bytes:
    return f"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n".encode() + b"\x02\x02" + b"\0" * 4096


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if a refused file reaches OpenCV's decoder (where the memory goes)."""
    reached: list[int] = []

    def spy(buffer, flags):
        reached.append(len(buffer))
        raise AssertionError("cv2.imdecode was reached for a file that should be refused from its header")

    monkeypatch.setattr(imageio.cv2, "imdecode", spy)
    return reached


@pytest.mark.parametrize(("data", "reason"), [
    (bomb_png(), "too large"),
    (radiance_hdr(12000, 12000), "unsupported"),
    (radiance_hdr(64, 64), "unsupported"),
    (b"PF\n12000 12000\n-1.0\n" + b"\0" * 64, "unsupported"),  # portable float map
    (b"P6\n30000 30000\n255\n" + b"\0" * 64, "unsupported"),  # PPM
    (b"\x59\xa6\x6a\x95" + b"\0" * 64, "unsupported"),  # Sun raster
    (b"\0\0\0\x0cjP  \r\n\x87\n" + b"\0" * 64, "unsupported"),  # JPEG 2000
    (b"\x76\x2f\x31\x01" + b"\0" * 64, "unsupported"),  # OpenEXR
    (b"\xff\xd8\xff\xe0" + b"\0" * 64, "corrupt"),  # a JPEG whose header cannot be read
], ids=["png-30000", "hdr-12000", "hdr-64", "pfm", "ppm", "sun-raster", "jpeg2000", "exr", "bad-jpeg-header"])
def test_refused_from_the_header_before_decoding(data, reason, no_decoding) -> None:
    with pytest.raises(ImageError, match=reason) as refused:
        imageio.decode_image(data, max_pixels=60_000_000)
    zh, _, en = str(refused.value).partition(" / ")
    assert zh and en and not zh.isascii(), "Chinese first, then English"
    assert no_decoding == []


def test_the_bomb_png_is_small_on_disk() -> None:
    assert len(bomb_png()) < 1_000_000


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".bmp", ".tiff"])
def test_ordinary_formats_still_decode(tmp_path, ext) -> None:
    image = np.random.default_rng(1).integers(0, 255, (40, 30, 3), dtype=np.uint8)
    path = tmp_path / f"photo{ext}"
    assert cv2.imwrite(str(path), image)
    loaded = imageio.load_image(path)
    assert loaded.bgr.shape == (40, 30, 3)


def test_check_reports_the_bomb_in_chinese_first_and_goes_on(tmp_path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(bomb_png())
    hdr = tmp_path / "big.hdr"
    hdr.write_bytes(radiance_hdr(12000, 12000))
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), np.full((64, 48, 3), 120, np.uint8))
    result = subprocess.run([sys.executable, "-m", "appliance", "check", "--json", str(bomb), str(hdr), str(good)],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(bomb), str(hdr), str(good)]
    assert lines[0]["verdict"] == "error" and lines[0]["error"].startswith("图片太大")
    assert "too large" in lines[0]["error"]
    assert lines[1]["verdict"] == "error" and "unsupported" in lines[1]["error"]
    assert lines[2]["verdict"] in ("pass", "fail")


def test_code_scan_reports_the_bomb_and_goes_on(tmp_path, capsys) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(bomb_png())
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((64, 48, 3), 255, np.uint8))
    assert main(["code", "scan", "--json", str(bomb), str(blank)]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in records] == [str(bomb), str(blank)]
    assert records[0]["error"].startswith("无法读取图片") and "too large" in records[0]["error"]


def test_produce_refuses_the_bomb_with_one_clear_line(tmp_path, capsys) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(bomb_png())
    status = main(["produce", str(bomb), str(tmp_path / "out.jpg")])
    err = capsys.readouterr().err
    assert status == 2 and "图片太大" in err and "too large" in err
    assert not (tmp_path / "out.jpg").exists()
