"""Signed JSON requests to the collection server over HTTPS (certificates checked) or loopback HTTP.

Every transport failure - refused connection, timeout, a truncated or non-JSON answer, a server
certificate we do not trust - becomes TransientUplinkError, so the worker has one thing to back off
on. A certificate refusal is retried too (the operator may fix the CA file or the server its
certificate; the photos wait safely), but its text names the cause and the setting to look at,
since "network error" would send the operator to check cables. The server's clock (sent with
every answer) corrects ours when the two drift apart, because a booth whose clock jumped would
otherwise be locked out by the replay window.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from appliance.errors import SettingsError
from appliance.uplink.signing import HEADER_SERVER_TIME, signed_headers

# Below this difference, our clock is trusted; above it, the server's time is used for signing.
_CLOCK_TOLERANCE_S = 30.0


class TransientUplinkError(Exception):
    """The request may or may not have reached the server; retrying later is safe (idempotent)."""


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificates and host names are always checked; ca_file (if given) replaces the system's
    trust store, so a private collection CA is trusted by this booth and nothing else is."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except FileNotFoundError:
        raise SettingsError(f"uplink.ca_file: file not found: {ca_file}") from None
    except ssl.SSLError:
        raise SettingsError(f"uplink.ca_file: {ca_file} holds no PEM certificate") from None


def _certificate_refusal(exc: ssl.SSLCertVerificationError) -> str:
    reason = exc.verify_message or exc.reason or "verification failed"
    return f"tls: server certificate refused ({reason}); check uplink.ca_file and the host name in uplink.server_url"


class CollectionClient:
    def __init__(
        self,
        base_url: str,
        device_id: str,
        key: bytes,
        *,
        timeout_s: float = 15.0,
        ca_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"uplink.server_url: {base_url!r} is not an http(s) URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise SettingsError("uplink.server_url: must be https:// (plain http only to 127.0.0.1)")
        self._host, self._port = parts.hostname, parts.port  # a hostname is required just above
        self._prefix = parts.path.rstrip("/")
        self._device_id = device_id
        self._key = key
        self._timeout = timeout_s
        self._clock = clock
        self._offset = 0.0
        self._tls: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._tls = _tls_context(ca_file)

    def now(self) -> float:
        """Our best idea of the server's time (local clock plus the learned offset)."""
        return self._clock() + self._offset

    def post_json(self, path: str, payload: dict[str, Any]) -> Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        full_path = self._prefix + path
        headers = signed_headers(self._device_id, self._key, "POST", full_path, body, self.now())
        headers["Content-Type"] = "application/json"
        connection = self._connect()
        try:
            connection.request("POST", full_path, body=body, headers=headers)
            answer = connection.getresponse()
            raw = answer.read()
            server_time = answer.getheader(HEADER_SERVER_TIME)
            status = answer.status
        except ssl.SSLCertVerificationError as exc:
            raise TransientUplinkError(_certificate_refusal(exc)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransientUplinkError(f"network: {type(exc).__name__}: {exc}"[:200]) from None
        finally:
            connection.close()
        self._learn_clock(server_time)
        try:
            parsed = json.loads(raw) if raw else {}
        except (ValueError, UnicodeDecodeError):
            raise TransientUplinkError(f"HTTP {status}: answer is not JSON") from None
        if not isinstance(parsed, dict):
            raise TransientUplinkError(f"HTTP {status}: answer is not a JSON object")
        return Response(status, parsed)

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self._host, self._port
        if self._tls is not None:
            return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._tls)
        return http.client.HTTPConnection(host, port, timeout=self._timeout)

    def _learn_clock(self, server_time: str | None) -> None:
        if not server_time:
            return
        try:
            difference = float(server_time) - self._clock()
        except ValueError:
            return
        if abs(difference - self._offset) > _CLOCK_TOLERANCE_S:
            self._offset = difference if abs(difference) > _CLOCK_TOLERANCE_S else 0.0
