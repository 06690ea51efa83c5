"""Load TFLite models with ai-edge-litert, or tflite-runtime where only that is installed.

Both interpreters share one API; what differs is what they can load (tflite-runtime lacks the
custom op selfie_segmentation needs), so the choice is made once per model and reported by name.
Quantized models are handled here too: callers always feed and receive float arrays.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from appliance.errors import ModelError
from appliance.inference.manifest import ModelEntry, load_manifest, verify_model

if TYPE_CHECKING:  # face_parsing reads the landmark indices, whose module imports this one
    from appliance.inference.face_parsing import FaceParser

_BACKENDS = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
}


def interpreter_class(backend: str = "auto") -> tuple[str, Any]:
    """Return (backend name, Interpreter class); 'auto' prefers litert."""
    order = ["litert", "tflite-runtime"] if backend == "auto" else [backend]
    errors = []
    for name in order:
        try:
            module = importlib.import_module(_BACKENDS[name])
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
            continue
        return name, module.Interpreter
    raise ModelError(
        "no TFLite interpreter available (" + "; ".join(errors) + "); install ai-edge-litert"
    )


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence the runtime's one-line INFO banner (printed by C++ straight to fd 2) while a model
    loads, so CLI output and the journal carry only what the booth says; errors still raise."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    sys.stderr.flush()
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@dataclass(frozen=True)
class _Quant:
    scale: float
    zero_point: int
    dtype: Any


class TFLiteModel:
    """One loaded model: float arrays in, float arrays out, regardless of quantization."""

    def __init__(self, path: Path, threads: int = 1, backend: str = "auto") -> None:
        self.path = Path(path)
        self.backend, cls = interpreter_class(backend)
        try:
            with _quiet_native_stderr():
                self._interp = cls(model_path=str(self.path), num_threads=threads)
                self._interp.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"cannot load {self.path.name} with {self.backend}: {exc}") from None
        self._inputs = self._interp.get_input_details()
        self._outputs = self._interp.get_output_details()
        self.input_shapes = [tuple(int(v) for v in d["shape"]) for d in self._inputs]
        self.output_shapes = [tuple(int(v) for v in d["shape"]) for d in self._outputs]
        self._in_quant = [self._quant(d) for d in self._inputs]
        self._out_quant = [self._quant(d) for d in self._outputs]

    @staticmethod
    def _quant(detail: dict[str, Any]) -> _Quant | None:
        scale, zero_point = detail.get("quantization", (0.0, 0))
        if detail["dtype"] in (np.float32, np.float16) or not scale:
            return None
        return _Quant(float(scale), int(zero_point), detail["dtype"])

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        for detail, quant, value in zip(self._inputs, self._in_quant, inputs, strict=True):
            if quant is not None:
                info = np.iinfo(quant.dtype)
                value = np.clip(np.round(value / quant.scale + quant.zero_point), info.min, info.max)
                value = value.astype(quant.dtype)
            else:
                value = value.astype(detail["dtype"], copy=False)
            self._interp.set_tensor(detail["index"], value)
        self._interp.invoke()
        results = []
        for detail, quant in zip(self._outputs, self._out_quant, strict=True):
            raw = self._interp.get_tensor(detail["index"])
            if quant is not None:
                raw = (raw.astype(np.float32) - quant.zero_point) * quant.scale
            results.append(raw)
        return results


class ModelStore:
    """Verifies and loads the manifest's models on first use, once each."""

    def __init__(self, models_dir: Path, threads: int = 1, backend: str = "auto") -> None:
        self.models_dir = Path(models_dir)
        self.threads = threads
        self.backend = backend
        self.manifest = load_manifest(self.models_dir)
        self._loaded: dict[str, TFLiteModel] = {}
        self._loaded_other: dict[str, FaceParser] = {}

    def entry(self, name: str) -> ModelEntry:
        return self.manifest.entry(name)

    def get(self, name: str) -> TFLiteModel:
        if name not in self._loaded:
            entry = self.manifest.entry(name)
            path = verify_model(self.models_dir, entry)
            model = TFLiteModel(path, self.threads, self.backend)
            if [tuple(s) for s in model.input_shapes] != [tuple(s) for s in entry.inputs]:
                raise ModelError(
                    f"{entry.filename}: input shape {model.input_shapes} differs from the manifest's "
                    f"{list(entry.inputs)}"
                )
            self._loaded[name] = model
        return self._loaded[name]

    def face_parser(self) -> FaceParser:
        """The converted face-parsing network (OpenCV's dnn, not TFLite), verified, loaded once."""
        from appliance.inference.face_parsing import FaceParser

        if "face_parsing" not in self._loaded_other:
            entry = self.manifest.converted_entry("face_parsing")
            self._loaded_other["face_parsing"] = FaceParser(verify_model(self.models_dir, entry), entry.side)
        return self._loaded_other["face_parsing"]
