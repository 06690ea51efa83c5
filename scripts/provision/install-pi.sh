#!/usr/bin/env bash
# Install or update the booth on Raspberry Pi OS 64-bit (Bookworm or Trixie).
#
#   sudo bash scripts/provision/install-pi.sh                  install / update from this checkout
#   sudo bash scripts/provision/install-pi.sh --dry-run        print every step, change nothing
#   sudo bash scripts/provision/install-pi.sh --read-only-root --data-device /dev/sda1
#                                                    also mount the data partition on
#                                                    /var/lib/appliance and enable the overlay root
#
# Layout: /opt/appliance/releases/<version>-<digest>/ (source, .venv, models), /opt/appliance/current
# and /opt/appliance/previous (symlinks), /etc/appliance/settings.toml, data in /var/lib/appliance.
# Re-running is an update: an unchanged source reuses its release; a new release must pass
# `appliance doctor` and start (READY=1) or the previous release is put back.
# Updating a read-only root: `sudo raspi-config nonint do_overlayfs 1`, reboot, run this, reboot.
set -euo pipefail

APP_ROOT="${APPLIANCE_APP_ROOT:-/opt/appliance}"
ETC_DIR="${APPLIANCE_ETC_DIR:-/etc/appliance}"
UNIT_DIR="${APPLIANCE_UNIT_DIR:-/etc/systemd/system}"
JOURNALD_DIR="${APPLIANCE_JOURNALD_DIR:-/etc/systemd/journald.conf.d}"
DATA_DIR="${APPLIANCE_DATA_DIR:-/var/lib/appliance}"
SERVICE_USER="appliance"
KIOSK_USER="appliance-kiosk"
# Failing any of these means the new release itself is broken; the others (camera cable, network,
# clock, temperature) are about the site and are reported without blocking the update.
CRITICAL_CHECKS="settings,models,gpio,disk,database"

dry_run=0
read_only_root=0
data_device=""
with_kiosk=1
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
step_number=0

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo "options: --dry-run --read-only-root --data-device DEV --no-kiosk --source DIR --help"
}

say() { printf 'install-pi: %s\n' "$*"; }
die() { printf 'install-pi: error: %s\n' "$*" >&2; exit 1; }

step() {
  step_number=$((step_number + 1))
  printf '\n==> [%d] %s\n' "$step_number" "$*"
}

# Every command that changes the machine goes through run: printed always, executed unless --dry-run.
show_command() {
  local arg line="+"
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=,@+%-]+$ ]]; then
      line+=" $arg"
    elif [[ "$arg" != *"'"* ]]; then
      line+=" '$arg'"
    else
      line+=" $(printf '%q' "$arg")"
    fi
  done
  printf '%s\n' "$line"
}

run() {
  show_command "$@"
  if [ "$dry_run" = 0 ]; then
    "$@"
  fi
}

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --dry-run) dry_run=1 ;;
      --read-only-root) read_only_root=1 ;;
      --data-device) shift; data_device="${1:-}"; [ -n "$data_device" ] || die "--data-device needs a device" ;;
      --no-kiosk) with_kiosk=0 ;;
      --source) shift; source_dir="$(cd "${1:-}" && pwd)" || die "--source needs a folder" ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
    shift
  done
}

check_platform() {
  step "check the platform (Raspberry Pi OS 64-bit, Bookworm or Trixie)"
  local arch codename=""
  arch="$(uname -m)"
  if [ -r /etc/os-release ]; then
    # shellcheck source=/dev/null
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  fi
  say "found: $arch, ${codename:-unknown release}"
  local problem=""
  [ "$arch" = aarch64 ] || problem="not a 64-bit ARM system ($arch)"
  case "$codename" in bookworm|trixie) ;; *) problem="${problem:+$problem; }release '${codename}' is not bookworm or trixie" ;; esac
  [ "$dry_run" = 1 ] || [ "$(id -u)" = 0 ] || problem="${problem:+$problem; }must run as root (sudo)"
  if [ -n "$problem" ]; then
    if [ "$dry_run" = 1 ]; then say "warning: $problem (continuing: dry run)"; else die "$problem"; fi
  fi
  if [ "$(findmnt -n -o FSTYPE / 2>/dev/null || true)" = overlay ]; then
    [ "$dry_run" = 1 ] || die "the root file system is the read-only overlay; run 'raspi-config nonint do_overlayfs 1', reboot, then re-run"
  fi
  OS_CODENAME="$codename"
}

chromium_package() {
  # Raspberry Pi OS Bookworm shipped the browser as chromium-browser, later images as chromium.
  if apt-cache show chromium >/dev/null 2>&1; then echo chromium; else echo chromium-browser; fi
}

install_apt_packages() {
  step "install Debian packages (picamera2, lgpio, spidev, libzbar0, a Chinese font$([ "$with_kiosk" = 0 ] || echo ', the Chromium kiosk'))"
  # fonts-wqy-microhei: without a CJK font the screens' Chinese guidance renders as empty boxes.
  # python3-spidev: the WS2812 ring on SPI (capture.leds.kind = "ws2812_spi"); seen through --system-site-packages.
  local packages=(python3-venv python3-pip python3-picamera2 python3-lgpio libzbar0 sqlite3 fonts-wqy-microhei python3-spidev)
  if [ "$with_kiosk" = 1 ]; then
    packages+=(cage "$(chromium_package)")
  fi
  run apt-get update
  # --no-install-recommends keeps picamera2 from pulling in the desktop GUI stack.
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
}

ensure_group() {
  getent group "$1" >/dev/null 2>&1 || run groupadd --system "$1"
}

ensure_user() {
  local user="$1" home="$2" groups="$3"
  if ! id "$user" >/dev/null 2>&1; then
    run useradd --system --user-group --home-dir "$home" --shell /usr/sbin/nologin "$user"
  fi
  run usermod --append --groups "$groups" "$user"
}

create_users() {
  step "create the service users ($SERVICE_USER: video, gpio, spi$([ "$with_kiosk" = 0 ] || echo "; $KIOSK_USER: video, render, input"))"
  ensure_group gpio
  # spi: Raspberry Pi OS gives /dev/spidev* to this group (a WS2812 ring driven over SPI).
  ensure_group spi
  ensure_user "$SERVICE_USER" "$DATA_DIR" video,gpio,spi
  if [ "$with_kiosk" = 1 ]; then
    ensure_group render
    ensure_user "$KIOSK_USER" "/var/lib/$KIOSK_USER" video,render,input
    run install -d -o "$KIOSK_USER" -g "$KIOSK_USER" -m 0700 "/var/lib/$KIOSK_USER"
  fi
}

package_version() {
  sed -n 's/^version = "\(.*\)"/\1/p' "$source_dir/pyproject.toml" | head -n 1
}

source_digest() {
  # The release name changes whenever any installed file does, so re-running on the same checkout
  # reuses the release while a changed checkout builds a new one.
  (cd "$source_dir" && find appliance scripts systemd requirements pyproject.toml models/manifest.toml -type f \
     ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}

copy_source() {
  local dest="$1"
  mkdir -p "$dest"
  tar -C "$source_dir" --exclude=.venv --exclude=.git --exclude=data --exclude='__pycache__' \
      --exclude='*.tflite' --exclude='*.egg-info' -cf - . | tar -C "$dest" -xf -
}

reuse_models() {
  local dest="$1"
  local model
  for model in "$APP_ROOT/current/models/"*.tflite "$source_dir/models/"*.tflite; do
    [ -f "$model" ] && [ ! -e "$dest/models/$(basename "$model")" ] && cp -p "$model" "$dest/models/"
  done
  return 0
}

pip_constraints() {
  # Bookworm's picamera2 stack (simplejpeg, libcamera bindings) is built against NumPy 1.x; a
  # NumPy 2 in the venv would shadow it and break the camera, so keep NumPy 1 there. The lock of
  # Bookworm is made under the same file (scripts/provision/lock_pi.sh); scripts/check_arm64.sh reads it here.
  local file="$1"
  if [ "$OS_CODENAME" = bookworm ]; then
    cp "$source_dir/requirements/bookworm-constraints.txt" "$file"
  else
    : >"$file"
  fi
}

lock_file() {
  # Every booth of a release installs exactly these versions, checked against their hashes.
  local codename="$OS_CODENAME"
  if [ "$dry_run" = 1 ] && [ ! -f "$source_dir/requirements/pi-$codename.txt" ]; then
    codename=bookworm
  fi
  echo "requirements/pi-$codename.txt"
}

pip_progress() {
  # On a terminal pip draws its own bar (bytes of total); in a log, one line per package.
  if [ -t 1 ]; then
    echo "--progress-bar=on"
  else
    echo "--progress-bar=off"
  fi
}

build_release() {
  RELEASE_ID="$(package_version)-$(source_digest)"
  RELEASE_DIR="$APP_ROOT/releases/$RELEASE_ID"
  step "build release $RELEASE_ID: source, venv (--system-site-packages), locked dependencies, package, models"
  if [ -f "$RELEASE_DIR/.complete" ]; then
    say "release $RELEASE_ID already built; reusing it"
    return 0
  fi
  run rm -rf "$RELEASE_DIR"
  run copy_source "$RELEASE_DIR"
  run python3 -m venv --system-site-packages "$RELEASE_DIR/.venv"
  local lock progress
  lock="$(lock_file)"
  progress="$(pip_progress)"
  [ -f "$source_dir/$lock" ] || die "no lock file $lock for this release of Raspberry Pi OS"
  say "dependencies: $lock (pinned with hashes)"
  run "$RELEASE_DIR/.venv/bin/python" -m pip install --disable-pip-version-check "$progress" \
      --require-hashes --only-binary=:all: --no-binary=lgpio -r "$RELEASE_DIR/$lock"
  # The package itself: every dependency is already there from the lock.
  run "$RELEASE_DIR/.venv/bin/python" -m pip install --disable-pip-version-check "$progress" \
      --no-deps "$RELEASE_DIR"
  run reuse_models "$RELEASE_DIR"
  run "$RELEASE_DIR/.venv/bin/python" "$RELEASE_DIR/scripts/provision/fetch_models.py"
  run touch "$RELEASE_DIR/.complete"
}

write_default_settings() {
  local file="$1"
  cat >"$file" <<EOF
# Settings of this booth; see the project's appliance/*/config.py for every key and its range.
[device]
data_dir = "$DATA_DIR"

[store]
dir = "$DATA_DIR/store"

[web]
# The subject screen stays on loopback for the booth's own display (host = "0.0.0.0" only for a
# paired tablet); the operator console is HTTPS with the booth's own certificate.
console_host = "0.0.0.0"
EOF
}

install_settings() {
  step "settings file $ETC_DIR/settings.toml (kept when it exists) and the data folder"
  run install -d -o root -g "$SERVICE_USER" -m 0750 "$ETC_DIR"
  if [ ! -f "$ETC_DIR/settings.toml" ]; then
    run write_default_settings "$ETC_DIR/settings.toml"
    run chown "root:$SERVICE_USER" "$ETC_DIR/settings.toml"
    run chmod 0640 "$ETC_DIR/settings.toml"
  else
    say "keeping existing $ETC_DIR/settings.toml"
  fi
  run install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0700 "$DATA_DIR"
  say "operator console TLS certificate in $DATA_DIR/tls (kept when it exists): check its fingerprint in the browser"
  run runuser -u "$SERVICE_USER" -- "$RELEASE_DIR/.venv/bin/appliance" operator tls --data "$DATA_DIR"
}

doctor_critical_failures() {
  # Reads `appliance doctor --json` on stdin; prints failing critical checks, one per line.
  python3 -c '
import json, sys
critical = set(sys.argv[1].split(","))
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    check = json.loads(line)
    name, ok, detail = check["name"], check["ok"], check["detail"]
    if check.get("detail_zh") and check["detail_zh"] != detail:  # Chinese first for the person installing
        detail = check["detail_zh"] + " / " + detail
    print("install-pi:  ", "ok  " if ok else "FAIL", name + ":", detail, file=sys.stderr)
    if not ok and name in critical:
        print(name)
' "$CRITICAL_CHECKS"
}

self_check() {
  local release="$1"
  step "self-check of release $(basename "$release"): appliance doctor (critical: $CRITICAL_CHECKS)"
  local command=(runuser -u "$SERVICE_USER" -- env -C "$release" "$release/.venv/bin/appliance"
                 --settings "$ETC_DIR/settings.toml" doctor --json)
  if [ "$dry_run" = 1 ]; then
    run "${command[@]}"
    return 0
  fi
  show_command "${command[@]}"
  local failed
  failed="$("${command[@]}" | doctor_critical_failures)" || true
  if [ -n "$failed" ]; then
    say "self-check failed: $(echo "$failed" | tr '\n' ' ')"
    return 1
  fi
  return 0
}

install_units() {
  step "install and enable the systemd units; cap the journal's size"
  run install -m 0644 "$RELEASE_DIR/systemd/appliance.service" "$UNIT_DIR/appliance.service"
  local units=(appliance.service)
  if [ "$with_kiosk" = 1 ]; then
    run install -m 0644 "$RELEASE_DIR/systemd/appliance-kiosk.service" "$UNIT_DIR/appliance-kiosk.service"
    units+=(appliance-kiosk.service)
    run systemctl set-default graphical.target
  fi
  # A size cap on the journal: on the read-only root it lives in RAM (the overlay's upper layer).
  run install -d -m 0755 "$JOURNALD_DIR"
  run install -m 0644 "$RELEASE_DIR/systemd/journald-appliance.conf" "$JOURNALD_DIR/appliance.conf"
  run systemctl restart systemd-journald.service
  run systemctl daemon-reload
  run systemctl enable "${units[@]}"
}

point_link() {
  # Atomic symlink switch: a new link under a temporary name renamed over the old one.
  local target="$1" link="$2"
  ln -sfn "$target" "$link.new"
  mv -T "$link.new" "$link"
}

activate_release() {
  local release="$1"
  local current
  current="$(readlink "$APP_ROOT/current" 2>/dev/null || true)"
  if [ -n "$current" ] && [ "$current" != "$release" ]; then
    point_link "$current" "$APP_ROOT/previous"
  fi
  point_link "$release" "$APP_ROOT/current"
}

rollback() {
  local previous
  previous="$(readlink "$APP_ROOT/previous" 2>/dev/null || true)"
  if [ -z "$previous" ] || [ ! -d "$previous" ]; then
    say "no previous release to roll back to"
    return 1
  fi
  say "rolling back to $(basename "$previous")"
  point_link "$previous" "$APP_ROOT/current"
  rm -f "$APP_ROOT/previous"
}

start_service() {
  # Type=notify: `systemctl restart` returns once READY=1 arrived or the start failed.
  systemctl restart appliance.service || return 1
  sleep "${APPLIANCE_SETTLE_S:-5}"
  systemctl is-active --quiet appliance.service
}

switch_and_start() {
  step "switch $APP_ROOT/current to $RELEASE_ID and start the booth (rollback on failure)"
  run activate_release "$RELEASE_DIR"
  if [ "$dry_run" = 1 ]; then
    run start_service
    say "on failure: rollback to $APP_ROOT/previous and restart it"
    return 0
  fi
  if ! run start_service; then
    say "the new release did not start; journalctl -u appliance -n 50 shows why"
    if run rollback; then
      run start_service || say "the previous release does not start either"
    fi
    die "update failed; $(readlink "$APP_ROOT/current" 2>/dev/null || echo 'nothing') is active"
  fi
  if [ "$with_kiosk" = 1 ]; then
    run systemctl restart appliance-kiosk.service
  fi
}

prune_releases() {
  step "remove releases other than current and previous"
  local keep_current keep_previous release
  keep_current="$(readlink "$APP_ROOT/current" 2>/dev/null || true)"
  keep_previous="$(readlink "$APP_ROOT/previous" 2>/dev/null || true)"
  for release in "$APP_ROOT"/releases/*; do
    [ -d "$release" ] || continue
    if [ "$release" != "$keep_current" ] && [ "$release" != "$keep_previous" ]; then
      run rm -rf "$release"
    fi
  done
}

append_line() {
  printf '%s\n' "$1" >>"$2"
}

setup_read_only_root() {
  step "read-only root: data partition on $DATA_DIR, overlay file system"
  if findmnt -n "$DATA_DIR" >/dev/null 2>&1; then
    say "$DATA_DIR is already a mount point"
  else
    [ -n "$data_device" ] || [ "$dry_run" = 1 ] || die "--read-only-root needs --data-device (an ext4 partition)"
    local device="${data_device:-/dev/DATA-PARTITION}" uuid=""
    if [ "$dry_run" = 0 ]; then
      uuid="$(blkid -s UUID -o value "$device")" || die "$device has no file system (format it as ext4 first)"
    fi
    local entry="UUID=${uuid:-<uuid of $device>} $DATA_DIR ext4 defaults,noatime,commit=5 0 2"
    if ! grep -qs " $DATA_DIR " /etc/fstab; then
      run append_line "$entry" /etc/fstab
    fi
    run mount "$DATA_DIR"
    run chown "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
    run chmod 0700 "$DATA_DIR"
  fi
  # 0 = enable in raspi-config's non-interactive convention; takes effect at the next boot.
  run raspi-config nonint do_overlayfs 0
  say "reboot to start with the read-only root"
}

main() {
  parse_args "$@"
  [ "$dry_run" = 1 ] && say "dry run: printing every step, executing none"
  OS_CODENAME=""
  check_platform
  install_apt_packages
  create_users
  build_release
  install_settings
  if ! self_check "$RELEASE_DIR"; then
    die "release $RELEASE_ID failed its self-check; $APP_ROOT/current is unchanged"
  fi
  install_units
  switch_and_start
  prune_releases
  if [ "$read_only_root" = 1 ]; then
    setup_read_only_root
  fi
  say "done: $RELEASE_ID is the current release"
}

# Sourcing with INSTALL_PI_LIBRARY=1 defines the functions only (the tests call them one by one).
if [ "${INSTALL_PI_LIBRARY:-0}" != 1 ]; then
  main "$@"
fi
