"""requirements/pi-*.txt, the locks a Raspberry Pi installs from: every runtime dependency of
pyproject.toml (and the `pi` extra) is pinned in each, with hashes, within pyproject's range.
When this fails after a dependency was added or changed, run `bash scripts/provision/lock_pi.sh`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
# lock name -> the Python of that Raspberry Pi OS release
LOCKS = {"bookworm": "3.11", "trixie": "3.13"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def read_lock(path: Path) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} of a pip requirements file with hashes."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def pi_requirements(python: str) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    environment = {
        "platform_machine": "aarch64", "sys_platform": "linux", "platform_system": "Linux",
        "os_name": "posix", "python_version": python, "python_full_version": f"{python}.0",
        "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": "pi",
    }
    wanted = [Requirement(text) for text in [*project["dependencies"], *project["optional-dependencies"]["pi"]]]
    return [r for r in wanted if r.marker is None or r.marker.evaluate(environment)]


def stale_pins(lock: Path, python: str) -> list[str]:
    """pyproject's requirements that the lock does not pin, or pins outside their range."""
    pins = read_lock(lock)
    stale = []
    for requirement in pi_requirements(python):
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned[0], prereleases=True):
            stale.append(f"{requirement} (lock has {pinned[0] if pinned else 'nothing'})")
    return stale


@pytest.mark.parametrize(("name", "python"), sorted(LOCKS.items()))
def test_every_runtime_dependency_is_pinned_with_hashes(name: str, python: str) -> None:
    lock = REPO / "requirements" / f"pi-{name}.txt"
    pins = read_lock(lock)
    assert pins, f"{lock} has no pins"
    stale = stale_pins(lock, python)
    assert not stale, f"{lock.name} is stale, run `bash scripts/provision/lock_pi.sh`: " + "; ".join(stale)
    unhashed = [package for package, (_, hashes) in pins.items() if hashes == 0]
    assert not unhashed, f"pins without hashes in {lock.name}: {unhashed}"


def test_locks_hold_no_development_tools() -> None:
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    runtime = {canonicalize_name(r.name) for r in pi_requirements("3.11")}
    dev_only = {canonicalize_name(Requirement(text).name) for text in dev} - runtime
    for name in LOCKS:
        pinned = set(read_lock(REPO / "requirements" / f"pi-{name}.txt"))
        assert not (pinned & dev_only), f"pi-{name}.txt pins development tools: {sorted(pinned & dev_only)}"


def test_the_bookworm_lock_keeps_the_numpy_1_stack_of_its_picamera2() -> None:
    pins = read_lock(REPO / "requirements" / "pi-bookworm.txt")
    constraints = [
        Requirement(line) for line in (REPO / "requirements" / "bookworm-constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {canonicalize_name(c.name) for c in constraints} == {"numpy", "opencv-python-headless"}
    for constraint in constraints:
        version = pins[canonicalize_name(constraint.name)][0]
        assert constraint.specifier.contains(version), f"{constraint.name}=={version} breaks {constraint}"
    assert SpecifierSet("<2").contains(pins["numpy"][0])


def test_a_dependency_missing_from_a_lock_is_reported(tmp_path: Path) -> None:
    """The check itself: a lock without one of pyproject's packages, or pinning it outside its
    range, is caught."""
    lock = (REPO / "requirements" / "pi-trixie.txt").read_text()
    assert stale_pins(REPO / "requirements" / "pi-trixie.txt", "3.13") == []
    cut = tmp_path / "cut.txt"
    cut.write_text(re.sub(r"(?ms)^segno==.*?(?=^\S)", "", lock))
    assert [line.split()[0] for line in stale_pins(cut, "3.13")] == ["segno>=1.6"]
    old = tmp_path / "old.txt"
    old.write_text(re.sub(r"(?m)^segno==\S+", "segno==1.5.3", lock))
    assert [line.split()[0] for line in stale_pins(old, "3.13")] == ["segno>=1.6"]
