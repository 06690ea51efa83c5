"""Settings validation, model provisioning checks, the TFLite runtime and image loading."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from appliance.errors import ImageError, ModelError, SettingsError
from appliance.imageio import decode_image, load_image
from appliance.inference.manifest import load_manifest, verify_model
from appliance.inference.runtime import ModelStore, TFLiteModel
from appliance.settings import load_settings

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_defaults_come_from_the_spec():
    settings = load_settings()
    # SPEC's 5 degrees plus the landmark model's scatter, folded into the value that is applied
    assert settings.checks.pose.max_yaw_deg == 8.0 and settings.checks.pose.max_pitch_deg == 12.0
    assert settings.checks.pose.max_roll_deg == 3.0
    assert settings.checks.pose.auto_level_max_deg == 8.0


def test_bad_value_names_key_and_range(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("[checks.pose]\nmax_yaw_deg = 50\n")
    with pytest.raises(SettingsError) as info:
        load_settings(bad)
    message = str(info.value)
    assert "checks.pose.max_yaw_deg" in message and "30" in message and "\n" not in message


def test_unknown_key_and_broken_toml(tmp_path):
    unknown = tmp_path / "u.toml"
    unknown.write_text("[checks]\nnot_a_family = 1\n")
    with pytest.raises(SettingsError, match=r"unknown key 'checks\.not_a_family'"):
        load_settings(unknown)
    broken = tmp_path / "b.toml"
    broken.write_text("[checks\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken)


def test_cli_reports_bad_settings_in_one_line(tmp_path, capsys):
    from appliance.cli import main

    bad = tmp_path / "s.toml"
    bad.write_text("[runtime]\nthreads = 0\n")
    assert main(["--settings", str(bad), "check", "x.jpg"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "runtime.threads" in err


def test_missing_and_corrupt_models_name_the_fix(tmp_path):
    manifest = load_manifest(ROOT / "models")
    entry = manifest.entry("face_detection_short_range")
    shutil.copy(ROOT / "models" / "manifest.toml", tmp_path / "manifest.toml")
    with pytest.raises(ModelError, match=r"fetch_models\.py"):
        verify_model(tmp_path, entry)
    (tmp_path / entry.filename).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="corrupt"):
        verify_model(tmp_path, entry)


def test_every_manifest_model_loads_with_its_shapes():
    store = ModelStore(ROOT / "models")
    for entry in store.manifest.models:
        model = store.get(entry.name)
        assert [tuple(s) for s in model.output_shapes] == [tuple(s) for s in entry.outputs]


def test_quantized_io_is_converted(monkeypatch):
    model = TFLiteModel.__new__(TFLiteModel)
    quant = TFLiteModel._quant({"dtype": np.int8, "quantization": (0.5, 3)})
    assert quant is not None and quant.scale == 0.5 and quant.zero_point == 3
    assert TFLiteModel._quant({"dtype": np.float32, "quantization": (0.0, 0)}) is None
    del model


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b"hello world, not an image", "not an image"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "corrupt"),
])
def test_bad_image_bytes(data, reason):
    with pytest.raises(ImageError, match=reason):
        decode_image(data)


def test_huge_image_is_refused_before_decoding(tmp_path):
    from PIL import Image

    path = tmp_path / "big.png"
    Image.new("L", (9000, 9000)).save(path)
    with pytest.raises(ImageError, match="too large"):
        load_image(path, max_pixels=50_000_000)


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(ImageError, match="directory"):
        load_image(tmp_path)
    with pytest.raises(ImageError, match="not found"):
        load_image(tmp_path / "nope.jpg")


def test_relative_paths_follow_the_checkout_or_the_working_folder(tmp_path, monkeypatch):
    from pathlib import Path

    import appliance.paths as paths

    assert paths.resolve_path(Path("models")) == ROOT / "models"  # a source checkout
    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path))
    assert paths.resolve_path(Path("models")) == tmp_path / "models"
    monkeypatch.delenv("APPLIANCE_HOME")
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path / "site-packages")  # an installed release
    monkeypatch.chdir(tmp_path)
    assert paths.resolve_path(Path("models")) == tmp_path / "models"
    assert paths.resolve_path(tmp_path / "abs") == tmp_path / "abs"
