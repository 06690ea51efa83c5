"""`code scan` text mode never writes a decoded field's control characters to the terminal: an
ESC sequence in a name could recolour, move the cursor or retitle the operator's terminal, a BEL
rings it. The JSON mode keeps the exact text (escaped by JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.cli.terminal import terminal_safe

KEY_HEX = bytes(range(32)).hex()
HOSTILE = "\x1b]0;owned\x07\x1b[2J黄\u202e正\x9b"


def test_terminal_safe_escapes_control_and_format_characters() -> None:
    shown = terminal_safe("a\x1b[31mb\x07c\u202ed\x9be\tf 黄小正")
    assert shown == "a\\x1b[31mb\\x07c\\u202ed\\x9be\\x09f 黄小正"
    assert all(ch.isprintable() for ch in shown)


def test_scan_text_mode_prints_no_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "booth.toml"
    settings.write_text(f'[codes]\nreference_keys = {{ K1 = "{KEY_HEX}" }}\n', encoding="utf-8")
    code = tmp_path / "c.png"
    assert main(["--settings", str(settings), "code", "make", "--out", str(code), "--name", HOSTILE,
                 "--student-number", "2023\x1b[8m0001"]) == 0
    capsys.readouterr()
    assert main(["--settings", str(settings), "code", "scan", str(code)]) in (0, 1)
    text = capsys.readouterr().out
    assert text.strip(), "something was printed"
    assert not any(not ch.isprintable() for ch in text.replace("\n", "")), repr(text)
    assert main(["--settings", str(settings), "code", "scan", "--json", str(code)]) in (0, 1)
    record = json.loads(capsys.readouterr().out)
    assert record["fields"]["name"].startswith("\x1b")  # JSON carries the exact (masked) text
