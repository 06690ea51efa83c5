"""sd_notify against a fake service manager: a datagram socket we bind ourselves."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from appliance.system.notify import SystemdNotifier, watchdog_interval


@pytest.fixture
def fake_manager(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield str(path), sock
    sock.close()


def _receive(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_ready_with_status_is_one_datagram(fake_manager):
    path, sock = fake_manager
    notifier = SystemdNotifier.from_environment({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("models loaded")
    assert _receive(sock) == ["READY=1", "STATUS=models loaded"]


def test_status_watchdog_stopping_and_extend(fake_manager):
    path, sock = fake_manager
    notifier = SystemdNotifier(path)
    notifier.status("camera lost\nREADY=1")
    notifier.watchdog()
    notifier.stopping()
    notifier.extend_timeout(12.5)
    # A newline inside a status must not smuggle in a second field.
    assert _receive(sock) == ["STATUS=camera lost READY=1"]
    assert _receive(sock) == ["WATCHDOG=1"]
    assert _receive(sock) == ["STOPPING=1"]
    assert _receive(sock) == ["EXTEND_TIMEOUT_USEC=12500000"]


def test_abstract_socket_address():
    name = f"appliance-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(2.0)
        assert SystemdNotifier(f"@{name}").watchdog()
        assert sock.recv(100) == b"WATCHDOG=1"


def test_without_notify_socket_nothing_is_sent():
    notifier = SystemdNotifier.from_environment({})
    assert not notifier.enabled
    assert notifier.ready() is False


def test_dead_socket_is_logged_not_raised(tmp_path, caplog):
    notifier = SystemdNotifier(str(tmp_path / "nobody-listens.sock"))
    assert notifier.watchdog() is False
    assert notifier.watchdog() is False
    assert sum("sd_notify" in r.message for r in caplog.records) == 1


def test_watchdog_interval_from_environment():
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 30.0
    # Inherited by a child: the variables name another process, which must do the feeding.
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, pid=4242) is None
    assert watchdog_interval({"WATCHDOG_USEC": "garbage"}) is None
