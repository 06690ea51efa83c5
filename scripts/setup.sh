#!/usr/bin/env bash
# Set up the booth on this machine: .venv at the repo root with the package and its models.
#   bash scripts/setup.sh          runtime only (enough for the demo)
#   bash scripts/setup.sh --dev    plus test tools, Debian packages for tests (libzbar0, chromium, ...)
#                                  and .venv-peer (MediaPipe, for the benchmark's comparison)
# Re-running is cheap: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    *) echo "setup.sh: unknown option $arg (use --dev)" >&2; exit 2 ;;
  esac
done

pick_python() {
  for py in python3 python3.13 python3.12 python3.11; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "setup.sh: Python 3.11 or newer is required" >&2; exit 1
}

apt_packages=()
if [ "$dev" = 1 ]; then
  for pkg in libzbar0 chromium postgresql shellcheck systemd fonts-wqy-microhei; do
    dpkg -s "$pkg" >/dev/null 2>&1 || apt_packages+=("$pkg")
  done
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "setup.sh: installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup.sh: creating .venv"
  "$(pick_python)" -m venv .venv
fi
extras=""
[ "$dev" = 1 ] && extras="[dev]"
echo "setup.sh: installing the package${extras}"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c 'import appliance' || { echo "setup.sh: package install failed" >&2; exit 1; }

.venv/bin/python scripts/provision/fetch_models.py
if [ "$dev" = 1 ]; then
  # the benchmark's peer (MediaPipe's own pipeline) in its own venv; the tests check its contract
  bash scripts/provision/setup_peer.sh >/dev/null || echo "setup.sh: warning: .venv-peer could not be made; its test will skip"
fi
echo "setup.sh: ready (.venv/bin/appliance)"
