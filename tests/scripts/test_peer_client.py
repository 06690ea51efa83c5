"""The MediaPipe peer's JSON contract, as scripts/bench.py reads it through scripts/peer_client.py.

Runs the real peer in .venv-peer when scripts/provision/setup_peer.sh has made it; the product venv must not
carry mediapipe, so without .venv-peer the peer tests skip and say how to get it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from appliance.testing.scripts import load_script

REPO_ROOT = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO_ROOT / ".venv-peer" / "bin" / "python"
FACES_DIR = REPO_ROOT.parent / "shared" / "faces" / "a_good_frontal"


@pytest.fixture(scope="module")
def peer_client():
    module = load_script("peer_client.py", "peer_client")
    return module


needs_peer = pytest.mark.skipif(
    not PEER_PYTHON.exists(), reason=".venv-peer is absent: run bash scripts/provision/setup_peer.sh to make it"
)


def three_frames(peer_client) -> np.ndarray:
    """Real faces when ../shared/faces is there, else a synthetic frame set (faces_found then 0)."""
    paths = sorted(FACES_DIR.glob("*.jpg"))[:3] if FACES_DIR.is_dir() else []
    if paths:
        return peer_client.letterbox_frames(paths, 3)
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, size=(3, 480, 640, 3), dtype=np.uint8)


@needs_peer
def test_peer_prints_the_json_contract_on_three_frames(peer_client):
    repeat = 2
    result = peer_client.run_peer(str(PEER_PYTHON), three_frames(peer_client), repeat=repeat)
    assert set(result) == {"peer", "frames", "ms", "p50", "p95", "faces_found"}
    assert result["peer"] == "mediapipe-0.10.14"
    assert result["frames"] == 3
    assert len(result["ms"]) == 3 * repeat
    assert all(isinstance(ms, float) and ms > 0 for ms in result["ms"])
    assert min(result["ms"]) <= result["p50"] <= result["p95"] <= max(result["ms"])
    assert 0 <= result["faces_found"] <= 3
    if FACES_DIR.is_dir():
        # Three different well-lit frontal portraits: MediaPipe finds at least the first one.
        assert result["faces_found"] >= 1


@needs_peer
def test_peer_adds_cpu_times_only_when_asked(peer_client):
    result = peer_client.run_peer(str(PEER_PYTHON), three_frames(peer_client)[:2], repeat=1, cpu_times=True)
    assert set(result) == {"peer", "frames", "ms", "p50", "p95", "faces_found", "cpu_ms"}
    assert len(result["cpu_ms"]) == len(result["ms"]) == 2
    assert all(isinstance(ms, float) and ms > 0 for ms in result["cpu_ms"])


def test_peer_failure_reports_its_stderr(peer_client):
    """An interpreter without mediapipe (the product's own) fails loudly with the import error."""
    frames = np.zeros((1, 480, 640, 3), dtype=np.uint8)
    with pytest.raises(peer_client.PeerBenchmarkError, match=r"(?s)exited with status.*mediapipe"):
        peer_client.run_peer(sys.executable, frames, repeat=1)


def test_bad_frames_are_refused_before_starting_the_peer(peer_client):
    with pytest.raises(peer_client.PeerBenchmarkError, match="uint8 RGB"):
        peer_client.run_peer(str(PEER_PYTHON), np.zeros((2, 480, 640), dtype=np.uint8))


def test_missing_peer_python_names_the_setup_script(peer_client, tmp_path):
    frames = np.zeros((1, 480, 640, 3), dtype=np.uint8)
    with pytest.raises(peer_client.PeerBenchmarkError, match=r"setup_peer\.sh"):
        peer_client.run_peer(str(tmp_path / "no-python"), frames)


def test_letterbox_keeps_the_whole_photo_and_pads_black(peer_client):
    tall = np.full((960, 240, 3), 200, dtype=np.uint8)  # 1:4 portrait -> 120 x 480 in the frame
    frame = peer_client.letterbox_rgb(tall)
    assert frame.shape == (480, 640, 3)
    assert (frame[:, 260:380] == 200).all()
    assert (frame[:, :260] == 0).all() and (frame[:, 380:] == 0).all()
