"""Each doctor check against a fake fault (and its healthy counterpart)."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from datetime import datetime

import pytest

from appliance.doctor import (
    CHECKS,
    CheckResult,
    check_camera,
    check_clock,
    check_database,
    check_disk,
    check_gpio,
    check_models,
    check_network,
    check_server,
    check_settings,
    check_temperature,
    check_throttling,
    run_checks,
)
from appliance.system.probes import ProbeError, camera_probe_for, parse_throttled
from appliance.testing.doctor_fakes import MODELS, Usage, make_inputs, runner, thermal_zone


def test_every_check_returns_its_own_name(tmp_path):
    results = run_checks(make_inputs(tmp_path))
    assert [r.name for r in results] == [c.__name__.removeprefix("check_") for c in CHECKS]
    assert all(isinstance(r, CheckResult) and r.detail for r in results)


def test_a_crashing_check_is_a_failed_result(tmp_path):
    def check_boom(inputs):
        raise RuntimeError("kaput")

    (result,) = run_checks(make_inputs(tmp_path), [check_boom])
    assert result == CheckResult("boom", False, "check failed unexpectedly: RuntimeError: kaput",
                                 "检查意外出错：RuntimeError: kaput")


def test_settings(tmp_path):
    assert check_settings(make_inputs(tmp_path)).ok
    bad = check_settings(make_inputs(tmp_path, settings_problem="settings: x = 1: too small"))
    assert not bad.ok and "too small" in bad.detail and "test.toml" in bad.detail


def test_models_missing_and_corrupt(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODELS / "manifest.toml", models)
    inputs = make_inputs(tmp_path, {"runtime": {"models_dir": str(models)}})
    missing = check_models(inputs)
    assert not missing.ok and "missing" in missing.detail
    for path in (MODELS).glob("*.tflite"):
        (models / path.name).symlink_to(path)
    if not check_models(inputs).ok:
        pytest.skip("models not provisioned in the repo; run scripts/provision/fetch_models.py")
    victim = models / "iris_landmark.tflite"
    victim.unlink()
    victim.write_bytes(b"\0" * 1000)
    corrupt = check_models(inputs)
    assert not corrupt.ok and "corrupt" in corrupt.detail and "iris_landmark" in corrupt.detail


def test_models_without_manifest(tmp_path):
    result = check_models(make_inputs(tmp_path, {"runtime": {"models_dir": str(tmp_path)}}))
    assert not result.ok and "manifest" in result.detail


def test_camera_unplugged_and_present(tmp_path):
    def unplugged():
        raise ProbeError("no camera connected (check the ribbon cable; libcamera sees none)")

    result = check_camera(make_inputs(tmp_path, camera_probe=unplugged))
    assert not result.ok and "ribbon" in result.detail
    assert check_camera(make_inputs(tmp_path)).ok


def test_camera_probe_for_missing_video_file(tmp_path):
    probe = camera_probe_for("video", str(tmp_path / "nope.mp4"))
    assert not check_camera(make_inputs(tmp_path, camera_probe=probe)).ok


def test_pi_camera_probe_without_picamera2(tmp_path):
    pytest.importorskip("cv2")
    try:
        import picamera2  # noqa: F401
    except ImportError:
        result = check_camera(make_inputs(tmp_path, camera_probe=camera_probe_for("picamera2")))
        assert not result.ok and "picamera2" in result.detail
    else:
        pytest.skip("picamera2 is installed here; the PC case does not apply")


def test_gpio_without_pin_factory(tmp_path):
    def no_factory():
        raise ProbeError("no GPIO pin factory loads")

    assert not check_gpio(make_inputs(tmp_path, gpio_probe=no_factory)).ok
    assert check_gpio(make_inputs(tmp_path)).ok


def test_disk_space_low_and_enough(tmp_path):
    low = make_inputs(tmp_path, disk_usage=lambda p: Usage(32e9, 31.9e9, 100e6))
    result = check_disk(low)
    assert not result.ok and "500 MB minimum" in result.detail
    plenty = make_inputs(tmp_path, disk_usage=lambda p: Usage(32e9, 2e9, 30e9))
    assert check_disk(plenty).ok


def test_clock_sources(tmp_path):
    synced = check_clock(make_inputs(tmp_path, run=runner({"timedatectl": "yes\n"})))
    assert synced.ok and "timedatectl" in synced.detail
    unsynced = check_clock(make_inputs(tmp_path, run=runner({"timedatectl": "no\n"})))
    assert not unsynced.ok
    chrony = "Reference ID    : 00000000 ()\nLeap status     : Not synchronised\n"
    assert not check_clock(make_inputs(tmp_path, run=runner({"chronyc": chrony}))).ok
    chrony_ok = chrony.replace("Not synchronised", "Normal")
    assert check_clock(make_inputs(tmp_path, run=runner({"chronyc": chrony_ok}))).ok


def test_clock_unknown_judged_by_year(tmp_path):
    sane = check_clock(make_inputs(tmp_path))
    assert sane.ok and "unknown" in sane.detail
    never_set = check_clock(make_inputs(tmp_path, now=lambda: datetime(1970, 1, 1)))
    assert not never_set.ok and "never set" in never_set.detail


def test_network_default_route(tmp_path):
    route = tmp_path / "proc" / "net" / "route"
    route.parent.mkdir(parents=True)
    header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
    route.write_text(header + "wlan0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n")
    assert not check_network(make_inputs(tmp_path)).ok
    route.write_text(header + "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\n")
    result = check_network(make_inputs(tmp_path))
    assert result.ok and "wlan0" in result.detail
    route.unlink()
    assert not check_network(make_inputs(tmp_path)).ok


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 404

    def do_GET(self):
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_server_reachable_unreachable_and_unset(tmp_path, loopback_server):
    assert check_server(make_inputs(tmp_path)).ok
    reachable = check_server(make_inputs(tmp_path, server_url=loopback_server))
    assert reachable.ok and "HTTP 404" in reachable.detail
    _Handler.status = 503
    try:
        assert not check_server(make_inputs(tmp_path, server_url=loopback_server)).ok
    finally:
        _Handler.status = 404
    # A loopback port nobody listens on: the connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    result = check_server(make_inputs(tmp_path, server_url=dead))
    assert not result.ok and "unreachable" in result.detail


def test_temperature(tmp_path):
    assert check_temperature(make_inputs(tmp_path)).ok  # no sensor: unknown
    thermal_zone(tmp_path, 0, "cpu-thermal", 82300)
    thermal_zone(tmp_path, 1, "rp1_adc", 40000)
    hot = check_temperature(make_inputs(tmp_path))
    assert not hot.ok and "82.3" in hot.detail
    cool = check_temperature(make_inputs(tmp_path, settings={"system": {"max_cpu_temp_c": 85}}))
    assert cool.ok


def test_throttling(tmp_path):
    assert check_throttling(make_inputs(tmp_path)).ok
    now = check_throttling(make_inputs(tmp_path, run=runner({"vcgencmd": "throttled=0x50005\n"})))
    assert not now.ok and "under-voltage" in now.detail and "throttled" in now.detail
    past = check_throttling(make_inputs(tmp_path, run=runner({"vcgencmd": "throttled=0x10000\n"})))
    assert past.ok and "since boot: under-voltage" in past.detail
    assert check_throttling(make_inputs(tmp_path, run=runner({"vcgencmd": "throttled=0x0\n"}))).ok
    assert not check_throttling(make_inputs(tmp_path, run=runner({"vcgencmd": "error\n"}))).ok


def test_parse_throttled_bits():
    state = parse_throttled("throttled=0xe0008")
    assert state.now == ("soft temperature limit",)
    assert state.since_boot == ("frequency capped", "throttled", "soft temperature limit")


def test_database(tmp_path):
    db = tmp_path / "store.db"
    assert check_database(make_inputs(tmp_path, database_path=db)).ok
    db.write_bytes(b"definitely not sqlite" * 200)
    result = check_database(make_inputs(tmp_path, database_path=db))
    assert not result.ok
    assert check_database(make_inputs(tmp_path, database_path=None)).ok

