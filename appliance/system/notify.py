"""The sd_notify protocol, spoken directly so the booth needs no systemd Python binding.

systemd hands a Type=notify service the path of a datagram socket in $NOTIFY_SOCKET; each message
is newline-separated KEY=VALUE text. Outside systemd (a developer's shell, tests without a fake
socket) the variable is absent and there is nobody to tell, so sending is a no-op - that is the
protocol's own rule, not a fallback to a mock.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def _socket_address(raw: str) -> str | bytes:
    """'@name' is a Linux abstract socket: the leading '@' stands for a NUL byte."""
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    return raw


def _one_line(text: str) -> str:
    """A newline would start a new KEY=VALUE pair and could forge READY=1 or similar."""
    return " ".join(text.splitlines()).strip()


class SystemdNotifier:
    """Sends state changes to the service manager that started this process."""

    def __init__(self, socket_path: str | None) -> None:
        self._address = _socket_address(socket_path) if socket_path else None
        self._failed_once = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *fields: str) -> bool:
        """Send KEY=VALUE fields as one datagram; True when it was delivered."""
        if self._address is None:
            return False
        payload = "\n".join(fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload, self._address)
        except OSError as exc:
            # A lost notification must not crash the booth; systemd will notice the missing
            # READY/WATCHDOG itself. Log once so a misconfigured unit is visible in the journal.
            if not self._failed_once:
                log.warning("sd_notify to %s failed: %s", self._address, exc)
                self._failed_once = True
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        fields = ["READY=1"]
        if status:
            fields.append(f"STATUS={_one_line(status)}")
        return self.send(*fields)

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={_one_line(text)}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        fields = ["STOPPING=1"]
        if status:
            fields.append(f"STATUS={_one_line(status)}")
        return self.send(*fields)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start-up time, e.g. while the first model load runs on a slow SD card."""
        return self.send(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")


def watchdog_interval(environ: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """The WatchdogSec systemd expects to be fed within, in seconds, or None when not supervised.

    WATCHDOG_PID, when set, names the process meant to feed; a child that inherited the variables
    must not feed on the parent's behalf.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    try:
        value = int(usec)
        owner = int(env.get("WATCHDOG_PID") or 0)
    except ValueError:
        return None
    if owner and owner != (os.getpid() if pid is None else pid):
        return None
    return value / 1_000_000 if value > 0 else None
