"""Reading systemd unit files the way the unit tests check them: every value of a repeated key."""

from __future__ import annotations

from pathlib import Path


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections of keys with every value (systemd allows repeated keys such as DeviceAllow)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(section: dict[str, list[str]], key: str) -> str:
    assert key in section, f"{key} missing"
    assert len(section[key]) == 1, f"{key} set more than once"
    return section[key][0]
