#!/usr/bin/env bash
# Prove on an x86_64 machine what can be proved about the Raspberry Pi target (64-bit Bookworm):
# a Debian bookworm arm64 root run through qemu-user, the project installed there from its aarch64
# wheels with the same pins install-pi.sh uses, every model run once, `appliance check --demo`, and
# `install-pi.sh --dry-run`, and scripts/bench.py both there and on the host (their CPU-time ratio
# is a relative measure only). It cannot prove the camera, GPIO, speed or temperature of a real Pi.
#
#   sudo bash scripts/check_arm64.sh               build (or reuse) the root, run every check
#   sudo bash scripts/check_arm64.sh --rebuild     discard the cached root and venv first
#   options: --cache DIR   (default /var/cache/appliance-arm64; re-runs reuse the root and venv)
#            --mirror URL  (default: the Debian mirror of the host's apt sources)
#
# Prints one line per step, "RESULT <step> ok|FAIL <seconds>s <detail>", logs in <cache>/logs/.
# Exit status 0 only when every step passed. Network: the Debian mirror and PyPI only.
set -euo pipefail

SUITE="bookworm"
CACHE_DIR="/var/cache/appliance-arm64"
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mirror=""
rebuild=0
# Inside the root: a copy of this checkout and the venv, both under one folder.
GUEST_DIR="/opt/appliance-check"
ROOT_PACKAGES=(python3 python3-venv python3-pip ca-certificates)
# Emulate the Raspberry Pi 4's CPU. Under qemu-user /proc/cpuinfo is the x86_64 host's, and
# ai-edge-litert >= 2.2 crashes (SIGSEGV) parsing it, so the root sees a Pi 4's instead.
QEMU_CPU_MODEL="cortex-a72"
failed_steps=()
mounted=()

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

say() { printf 'check-arm64: %s\n' "$*"; }
die() { printf 'check-arm64: error: %s\n' "$*" >&2; exit 1; }

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --rebuild) rebuild=1 ;;
      --cache) shift; CACHE_DIR="${1:-}"; [ -n "$CACHE_DIR" ] || die "--cache needs a folder" ;;
      --mirror) shift; mirror="${1:-}"; [ -n "$mirror" ] || die "--mirror needs a URL" ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
    shift
  done
  ROOT="$CACHE_DIR/rootfs"
  LOGS="$CACHE_DIR/logs"
}

now() { date +%s.%N; }

seconds_since() {
  awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'
}

# A step writes its one-line outcome here; the runner prints it on the RESULT line.
detail() { printf '%s' "$*" >"$LOGS/$CURRENT_STEP.detail"; }

# run_step NAME FUNCTION: the function runs in a subshell with errexit really on (a function called
# from an `if` would silently ignore failures), its output goes to the terminal and LOGS/NAME.log.
run_step() {
  local name="$1" start rc seconds text=""
  shift
  CURRENT_STEP="$name"
  rm -f "$LOGS/$name.detail"
  printf '\n==> %s\n' "$name"
  start="$(now)"
  set +e
  (set -e; "$@") 2>&1 | tee "$LOGS/$name.log"
  rc="${PIPESTATUS[0]}"
  set -e
  seconds="$(seconds_since "$start")"
  if [ -f "$LOGS/$name.detail" ]; then
    text="$(cat "$LOGS/$name.detail")"
  elif [ "$rc" != 0 ]; then
    text="$(grep -v '^[[:space:]]*$' "$LOGS/$name.log" | tail -n 1 | cut -c1-200)"
  fi
  if [ "$rc" = 0 ]; then
    printf 'RESULT %s ok %ss %s\n' "$name" "$seconds" "$text" | tee -a "$LOGS/summary.txt"
  else
    printf 'RESULT %s FAIL %ss %s (exit %s; log %s)\n' "$name" "$seconds" "$text" "$rc" \
      "$LOGS/$name.log" | tee -a "$LOGS/summary.txt"
    failed_steps+=("$name")
  fi
  return 0
}

# Without these the later steps cannot run at all: stop and say which one failed.
require_step() {
  run_step "$@"
  if [ "${#failed_steps[@]}" -gt 0 ]; then
    say "stopping early: $1 failed"
    exit 1
  fi
}

in_root() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 PIP_CERT="$GUEST_DIR/host-ca.crt" QEMU_CPU="$QEMU_CPU_MODEL" "$@"
}

in_source() {
  in_root /usr/bin/env -C "$GUEST_DIR/src" "$@"
}

host_packages() {
  local missing=()
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
  command -v update-binfmts >/dev/null 2>&1 || missing+=(binfmt-support)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
  detail "debootstrap $(dpkg-query -W -f '${Version}' debootstrap)," \
    "qemu-user-static $(dpkg-query -W -f '${Version}' qemu-user-static)${missing[*]:+ (installed now: ${missing[*]})}"
}

register_binfmt() {
  local entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
      || { detail "cannot mount binfmt_misc (container without CAP_SYS_ADMIN?)"; return 1; }
  fi
  [ -e "$entry" ] || update-binfmts --enable qemu-aarch64 \
    || { detail "update-binfmts --enable qemu-aarch64 failed"; return 1; }
  grep -qx enabled "$entry" || { detail "$entry is not enabled"; return 1; }
  # The F flag makes the kernel keep the interpreter open, so the root needs no copy of qemu.
  detail "qemu-aarch64 registered, $(grep '^flags' "$entry")"
}

host_mirror() {
  # The first plain Debian archive URI (not -security) of the host's enabled apt sources.
  local files=() file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && files+=("$file")
  done
  [ "${#files[@]}" -gt 0 ] || return 0
  {
    sed -n 's/^URIs:[[:space:]]*//p' "${files[@]}"
    sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\).*/\2/p' "${files[@]}"
  } | tr -s '[:space:]' '\n' | grep -E '^https?://.*/debian/?$' | head -n 1 || true
}

mounts_below() {
  # Mount points at or below the root, deepest first (the order to unmount them in).
  awk -v root="$ROOT" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

unmount_root() {
  local point
  for point in $(mounts_below); do
    umount "$point" 2>/dev/null || umount -l "$point"
  done
  mounted=()
}

remove_root() {
  unmount_root
  [ -z "$(mounts_below)" ] || die "something is still mounted below $ROOT; not deleting it"
  rm -rf --one-file-system "$ROOT"
}

write_pi4_cpuinfo() {
  local file="$1" cpu
  : >"$file"
  for cpu in 0 1 2 3; do
    printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n' "$cpu" >>"$file"
    printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n' >>"$file"
  done
  printf 'Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B (emulated by qemu-aarch64)\n' >>"$file"
}

mount_root() {
  local point
  for point in proc sys dev dev/pts; do
    mountpoint -q "$ROOT/$point" && continue
    case "$point" in
      proc) mount -t proc proc "$ROOT/proc" ;;
      sys) mount -t sysfs sysfs "$ROOT/sys" ;;
      *) mount --bind "/$point" "$ROOT/$point" ;;
    esac
    mounted+=("$point")
  done
  if ! mountpoint -q "$ROOT/proc/cpuinfo"; then
    write_pi4_cpuinfo "$CACHE_DIR/cpuinfo-pi4"
    mount --bind "$CACHE_DIR/cpuinfo-pi4" "$ROOT/proc/cpuinfo"
    mounted+=(proc/cpuinfo)
  fi
}

build_root() {
  if [ -f "$ROOT/.appliance-root-complete" ]; then
    detail "reused the cached root ($(cat "$ROOT/.appliance-root-complete"))"
    return 0
  fi
  [ -e "$ROOT" ] && remove_root
  mkdir -p "$ROOT"
  say "first stage from $mirror (downloads and unpacks arm64 packages on the host)"
  local start first second
  start="$(now)"
  debootstrap --arch=arm64 --foreign --variant=minbase "$SUITE" "$ROOT" "$mirror"
  first="$(seconds_since "$start")"
  cp /usr/bin/qemu-aarch64-static "$ROOT/usr/bin/"
  say "second stage inside the root, every program run by qemu-aarch64"
  start="$(now)"
  chroot "$ROOT" /debootstrap/debootstrap --second-stage
  second="$(seconds_since "$start")"
  printf '%s\n' "first stage ${first}s, second stage ${second}s, $SUITE from $mirror" >"$ROOT/.appliance-root-complete"
  detail "built: $(cat "$ROOT/.appliance-root-complete")"
}

root_packages() {
  # No daemon may start inside the root when a package is installed.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # pip in the root trusts what the host trusts (a site's TLS-inspecting proxy CA included).
  mkdir -p "$ROOT$GUEST_DIR"
  cp -L "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$ROOT$GUEST_DIR/host-ca.crt"
  local missing=() package
  for package in "${ROOT_PACKAGES[@]}"; do
    # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
    in_root dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    in_root apt-get update -q
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  detail "$(in_root uname -m), $(in_root python3 --version),"\
    "Debian $(cat "$ROOT/etc/debian_version")${missing[*]:+ (installed now: ${missing[*]})}"
}

copy_source() {
  # A fresh copy every run, so the checks see this checkout (models included, the x86_64 venv not).
  rm -rf --one-file-system "$ROOT$GUEST_DIR/src"
  mkdir -p "$ROOT$GUEST_DIR/src"
  tar -C "$source_dir" --exclude=./.venv --exclude=./.git --exclude=./data --exclude=./out \
      --exclude=./evaluation --exclude='__pycache__' --exclude='*.egg-info' --exclude=.pytest_cache \
      --exclude=.ruff_cache -cf - . | tar -C "$ROOT$GUEST_DIR/src" -xf -
  local count
  count="$(find "$ROOT$GUEST_DIR/src/models" -name '*.tflite' | wc -l)"
  [ "$count" -gt 0 ] || { detail "no .tflite in $source_dir/models (run scripts/provision/fetch_models.py)"; return 1; }
  detail "source and $count models copied to $GUEST_DIR/src"
}

venv_key() {
  # The venv is rebuilt only when what decides its contents changes.
  cat "$source_dir/pyproject.toml" "$ROOT$GUEST_DIR/constraints.txt" | sha256sum | cut -c1-16
}

install_venv() {
  local venv="$GUEST_DIR/venv" key
  # The same pins as install-pi.sh on Bookworm (NumPy 1 for picamera2), taken from that script.
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  in_source bash -c 'INSTALL_PI_LIBRARY=1; . scripts/provision/install-pi.sh; OS_CODENAME=bookworm; pip_constraints "$1"' \
    _ "$GUEST_DIR/constraints.txt"
  key="$(venv_key)"
  if [ -f "$ROOT$venv/.appliance-key" ] && [ "$(cat "$ROOT$venv/.appliance-key")" = "$key" ]; then
    say "reusing the venv built for these dependencies; reinstalling the package only"
    in_root "$venv/bin/python" -m pip install -q --no-deps --force-reinstall "$GUEST_DIR/src"
  else
    rm -rf --one-file-system "$ROOT$venv"
    in_root python3 -m venv "$venv"
    in_root "$venv/bin/python" -m pip install -q --upgrade pip
    in_root "$venv/bin/python" -m pip install -q --only-binary=:all: -c "$GUEST_DIR/constraints.txt" \
      numpy opencv-python-headless ai-edge-litert zxing-cpp pydantic
    in_root "$venv/bin/python" -m pip install -q -c "$GUEST_DIR/constraints.txt" "$GUEST_DIR/src[pi]"
    printf '%s\n' "$key" >"$ROOT$venv/.appliance-key"
  fi
  in_root "$venv/bin/python" -m pip list --format=freeze >"$LOGS/venv-freeze.txt"
  detail "$(grep -iE '^(numpy|opencv-python-headless|ai-edge-litert|zxing-cpp|pydantic|lgpio)==' \
    "$LOGS/venv-freeze.txt" | tr '\n' ' ')"
}

write_model_probe() {
  cat >"$ROOT$GUEST_DIR/probe_models.py" <<'PYTHON'
"""Load every model of the manifest with ai_edge_litert and run it once on zeros."""
import json
import sys
import time
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from appliance.inference.manifest import load_manifest, verify_model

models_dir = Path(sys.argv[1])
failures = 0
for entry in load_manifest(models_dir).models:
    record = {"model": entry.name}
    try:
        path = verify_model(models_dir, entry)
        start = time.perf_counter()
        interpreter = Interpreter(model_path=str(path), num_threads=1)
        interpreter.allocate_tensors()
        loaded = time.perf_counter()
        for detail in interpreter.get_input_details():
            interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], dtype=detail["dtype"]))
        interpreter.invoke()
        done = time.perf_counter()
        outputs = [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]
        shapes = sorted(tuple(int(v) for v in out.shape) for out in outputs)
        shapes_ok = shapes == sorted(tuple(s) for s in entry.outputs)
        finite = all(bool(np.isfinite(out).all()) for out in outputs)
        record.update(ok=shapes_ok and finite, shapes_ok=shapes_ok, finite=finite,
                      load_ms=round((loaded - start) * 1000, 1), invoke_ms=round((done - loaded) * 1000, 1))
    except Exception as exc:  # every model is reported, whatever breaks
        record.update(ok=False, error=f"{type(exc).__name__}: {exc}")
    failures += not record["ok"]
    print(json.dumps(record), flush=True)
sys.exit(1 if failures else 0)
PYTHON
}

probe_models() {
  write_model_probe
  local out="$LOGS/models.jsonl" rc=0
  in_source "$GUEST_DIR/venv/bin/python" "$GUEST_DIR/probe_models.py" models >"$out" || rc=$?
  cat "$out"
  detail "$(python3 - "$out" <<'PYTHON'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
ok = [r for r in rows if r["ok"]]
parts = [f"{r['model']} {r['invoke_ms']:.0f}ms" for r in ok] + [f"{r['model']} FAILED" for r in rows if not r["ok"]]
print(f"{len(ok)}/{len(rows)} models ran (first invoke under qemu): " + ", ".join(parts))
PYTHON
)"
  return "$rc"
}

check_wheels() {
  # The compiled wheels besides litert: OpenCV decodes, zxing-cpp reads a QR made by segno.
  in_source "$GUEST_DIR/venv/bin/python" - <<'PYTHON'
import cv2
import numpy as np
import segno
import zxingcpp

qr = segno.make_qr("c8bade99b9b2edca", error="m")
pixels = np.array(qr.matrix, dtype=np.uint8)
image = np.pad((1 - pixels) * 255, 4, constant_values=255)
image = cv2.resize(image, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
ok, jpeg = cv2.imencode(".jpg", image)
decoded = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
texts = [r.text for r in zxingcpp.read_barcodes(decoded)]
print("cv2", cv2.__version__, "numpy", np.__version__, "read:", texts)
raise SystemExit(0 if texts == ["c8bade99b9b2edca"] else 1)
PYTHON
  detail "OpenCV JPEG round trip and zxing-cpp QR read work on aarch64"
}

check_demo() {
  # Models named by absolute path: the default (relative) one is the next step's subject.
  local out="$LOGS/check-arm64.json" rc=0
  printf '[runtime]\nmodels_dir = "%s"\n' "$GUEST_DIR/src/models" >"$ROOT$GUEST_DIR/settings.toml"
  in_source "$GUEST_DIR/venv/bin/appliance" --settings "$GUEST_DIR/settings.toml" check --json --demo >"$out" || rc=$?
  cat "$out"
  # Exit 1 is a photo that fails the rules (the astronaut does); anything else is a crash.
  [ "$rc" = 0 ] || [ "$rc" = 1 ] || { detail "appliance check exited $rc"; return 1; }
  local host_out="" host_python="$source_dir/.venv/bin/python"
  if [ -x "$source_dir/.venv/bin/appliance" ]; then
    host_out="$LOGS/check-host.json"
    (cd "$source_dir" && .venv/bin/appliance check --json --demo >"$host_out") || true
  else
    host_python=python3
  fi
  detail "$("$host_python" - "$out" "$host_out" <<'PYTHON'
import json, sys
arm = json.loads(open(sys.argv[1]).read().splitlines()[0])
if arm["verdict"] not in ("pass", "fail"):
    print(f"verdict {arm['verdict']}: {arm['error']}")
    raise SystemExit(1)
text = f"verdict {arm['verdict']} with {len(arm['checks'])} checks"
if sys.argv[2]:
    host = json.loads(open(sys.argv[2]).read().splitlines()[0])
    by_id = {c["id"]: c for c in host["checks"]}
    differ = []
    for check in arm["checks"]:
        other = by_id.get(check["id"])
        if other is None or other["passed"] != check["passed"]:
            differ.append(check["id"] + " (verdict)")
        elif isinstance(check["value"], float) and abs(check["value"] - other["value"]) > 0.02 * max(1, abs(other["value"])):
            differ.append(f"{check['id']} {check['value']} vs {other['value']}")
    same = "same" if host["verdict"] == arm["verdict"] else "DIFFERENT"
    text += f"; x86_64 host: {same} verdict, {len(arm['checks']) - len(differ)}/{len(arm['checks'])} checks agree"
    text += (" (differ: " + ", ".join(differ) + ")") if differ else ""
print(text)
PYTHON
)"
}

check_default_paths() {
  # As systemd starts the booth: installed (not editable) package, cwd the release folder, and no
  # models_dir in the settings install-pi.sh writes. Relative paths must still find the models.
  local out="$LOGS/check-default-paths.txt" rc=0
  printf '[device]\ndata_dir = "/tmp/appliance-check-data"\n' >"$ROOT$GUEST_DIR/settings-default.toml"
  in_source "$GUEST_DIR/venv/bin/appliance" --settings "$GUEST_DIR/settings-default.toml" check --json --demo \
    >"$out" 2>&1 || rc=$?
  cat "$out"
  [ "$rc" = 0 ] || [ "$rc" = 1 ] || { detail "exit $rc: $(grep -v '^INFO' "$out" | tail -n 1)"; return 1; }
  detail "the installed package finds the models from the release folder"
}

install_dry_run() {
  local out="$LOGS/install-pi-dry-run.txt" rc=0
  in_source bash scripts/provision/install-pi.sh --dry-run >"$out" 2>&1 || rc=$?
  cat "$out"
  [ "$rc" = 0 ] || { detail "install-pi.sh --dry-run exited $rc"; return 1; }
  local found steps
  found="$(sed -n 's/^install-pi: found: //p' "$out")"
  steps="$(grep -c '^==> \[' "$out")"
  if grep -q '^install-pi: warning:' "$out"; then
    detail "platform warning: $(sed -n 's/^install-pi: warning: //p' "$out")"
    return 1
  fi
  detail "found $found, no platform warning, $steps steps printed"
}

# A few photos for the relative benchmark: the same on both sides, copied into the root's /tmp only
# for the step's duration (people's photos never stay in the cached root).
BENCH_PHOTOS=4
BENCH_ARGS=(--repeat 1 --hold 3 --stills 2 --json)

bench_relative() {
  # Timing under qemu-user is emulation, not a Pi: the same bench.py runs in the root and on this
  # host, and only the ratio of their CPU times is reported, as a relative measure.
  local faces="$source_dir/../shared/faces/a_good_frontal" guest_photos="/tmp/appliance-bench-photos"
  local photos=() name arm_out="$LOGS/bench-arm64.txt" host_out="$LOGS/bench-host.txt" rc=0
  [ -d "$faces" ] || { detail "skipped: $faces is absent (no photos to time)"; return 0; }
  [ -x "$source_dir/.venv/bin/python" ] || { detail "skipped: no host .venv to compare with"; return 0; }
  mapfile -t photos < <(find "$faces" -maxdepth 1 -name 'dpf_*' | sort | head -n "$BENCH_PHOTOS")
  [ "${#photos[@]}" -gt 0 ] || { detail "skipped: no dpf_* photos in $faces"; return 0; }
  rm -rf "$ROOT$guest_photos"
  mkdir -p "$ROOT$guest_photos"
  cp "${photos[@]}" "$ROOT$guest_photos/"
  local guest_list=()
  for name in "${photos[@]}"; do guest_list+=("$guest_photos/$(basename "$name")"); done
  in_source "$GUEST_DIR/venv/bin/python" scripts/bench.py --photos "${guest_list[@]}" "${BENCH_ARGS[@]}" \
    >"$arm_out" 2>&1 || rc=$?
  rm -rf "$ROOT$guest_photos"
  cat "$arm_out"
  [ "$rc" = 0 ] || { detail "bench.py in the root exited $rc"; return 1; }
  (cd "$source_dir" && .venv/bin/python scripts/bench.py --photos "${photos[@]}" "${BENCH_ARGS[@]}") >"$host_out" 2>&1 \
    || { detail "bench.py on the host failed"; return 1; }
  detail "$(python3 - "$arm_out" "$host_out" <<'PYTHON'
import json, sys
arm, host = (json.loads(open(path).read().strip().splitlines()[-1]) for path in sys.argv[1:3])
parts = []
for key, label in (("live_cpu_ms_p50", "live CPU p50"), ("live_cpu_ms_p95", "live CPU p95"),
                   ("still_12mp_cpu_ms_p50", "12 MP verdict CPU p50")):
    parts.append(f"{label} {arm[key]:.0f} ms under qemu vs {host[key]:.1f} ms on the host "
                 f"({arm[key] / host[key]:.1f}x)")
print("relative only (qemu emulates, it is not a Pi): " + "; ".join(parts))
PYTHON
)"
}

cleanup() {
  [ "${#mounted[@]}" -eq 0 ] || unmount_root
}

main() {
  parse_args "$@"
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, binfmt)"
  [ "$(uname -m)" = x86_64 ] || say "warning: written for an x86_64 host, this is $(uname -m)"
  mkdir -p "$LOGS"
  : >"$LOGS/summary.txt"
  trap cleanup EXIT
  if [ "$rebuild" = 1 ] && [ -e "$ROOT" ]; then
    say "--rebuild: removing $ROOT"
    remove_root
  fi
  mirror="${mirror:-$(host_mirror)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  local start
  start="$(now)"
  require_step host-packages host_packages
  require_step binfmt register_binfmt
  require_step root-build build_root
  mount_root
  require_step root-packages root_packages
  require_step source-copy copy_source
  require_step venv install_venv
  run_step wheels check_wheels
  run_step models probe_models
  run_step check-demo check_demo
  run_step check-default-paths check_default_paths
  run_step install-dry-run install_dry_run
  run_step bench-relative bench_relative
  printf '\n'
  say "summary (total $(seconds_since "$start")s, logs in $LOGS):"
  cat "$LOGS/summary.txt"
  if [ "${#failed_steps[@]}" -gt 0 ]; then
    say "failed: ${failed_steps[*]}"
    exit 1
  fi
  say "every step passed"
}

main "$@"
