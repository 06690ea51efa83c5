#!/usr/bin/env bash
# Run the tests again under Raspberry Pi OS Bookworm's pins (NumPy 1, OpenCV before 4.12: what
# requirements/bookworm-constraints.txt keeps for its picamera2), in .venv-bookworm, so code that
# only works with NumPy 2 or the newest OpenCV fails here before it reaches a Bookworm booth.
#   bash scripts/test_bookworm_pins.sh [pytest arguments]     (after scripts/setup.sh --dev)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bookworm
if [ ! -x "$venv/bin/python" ]; then
  echo "test_bookworm_pins: creating $venv"
  .venv/bin/python -m venv "$venv"
fi
echo "test_bookworm_pins: installing the package[dev] under requirements/bookworm-constraints.txt"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -c requirements/bookworm-constraints.txt -e ".[dev]" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
"$venv/bin/python" - <<'PY'
import cv2, numpy
print(f"test_bookworm_pins: numpy {numpy.__version__}, opencv {cv2.__version__}")
assert numpy.__version__.startswith("1."), "the Bookworm run must use NumPy 1"
PY
exec "$venv/bin/python" -m pytest "$@"
