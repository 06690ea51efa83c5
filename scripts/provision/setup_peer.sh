#!/usr/bin/env bash
# Create .venv-peer: MediaPipe's own Python pipeline, the peer our engine is benchmarked against.
# MediaPipe 0.10.14 is built against numpy 1.x, while the product runs numpy 2, so the peer gets
# its own venv and is only ever driven as a subprocess (scripts/peer_client.py); it must never be
# installed into .venv or listed in pyproject.toml.
#   bash scripts/provision/setup_peer.sh     idempotent: a complete .venv-peer is left as it is
# Prints the peer python's path as its last line, for scripts/bench.py --peer-python.
set -euo pipefail
cd "$(dirname "$0")/../.."

peer_dir=".venv-peer"
peer_python="$peer_dir/bin/python"
# The set that installs from PyPI on x86_64/aarch64 Linux with CPython 3.11. mediapipe itself
# requires opencv-contrib-python; pinning that one (not adding opencv-python-headless) keeps a
# single OpenCV in the venv, since two OpenCV distributions overwrite each other's cv2 folder.
# The cap keeps OpenCV on releases built for numpy 1.x.
peer_requirements=("mediapipe==0.10.14" "numpy<2" "opencv-contrib-python<4.11")

peer_ready() {
  [ -x "$peer_python" ] && "$peer_python" - <<'EOF' 2>/dev/null
import importlib.metadata as md
import sys

import numpy

ok = md.version("mediapipe") == "0.10.14" and int(numpy.__version__.split(".")[0]) < 2
from mediapipe.python.solutions import face_mesh, selfie_segmentation  # noqa: F401

sys.exit(0 if ok else 1)
EOF
}

pick_python311() {
  # mediapipe 0.10.14 ships wheels for CPython 3.9-3.12; 3.11 matches the product's interpreter.
  for py in python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 \
      && "$py" -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "setup_peer.sh: python3.11 is required for mediapipe 0.10.14" >&2; exit 1
}

if peer_ready; then
  echo "setup_peer.sh: $peer_dir already has mediapipe 0.10.14"
else
  if [ ! -x "$peer_python" ]; then
    echo "setup_peer.sh: creating $peer_dir"
    "$(pick_python311)" -m venv "$peer_dir"
  fi
  echo "setup_peer.sh: installing ${peer_requirements[*]}"
  "$peer_python" -m pip install -q --disable-pip-version-check "${peer_requirements[@]}" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  # Check what actually landed rather than trusting pip's exit status through the filter above.
  peer_ready || { echo "setup_peer.sh: $peer_dir is incomplete after install" >&2; exit 1; }
fi

cd "$peer_dir/bin" && echo "$(pwd -P)/python"
