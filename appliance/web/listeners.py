"""One listening socket of the booth's web server: cheroot, a fixed pool of threads, timeouts, TLS.

werkzeug's development server starts a thread for every connection, without limit and without a
read timeout, so a few hundred half-open sockets from the Wi-Fi make as many threads. cheroot runs
inside the booth process (no second service to supervise), keeps a fixed pool of worker threads,
parks idle keep-alive connections in a selector instead of a thread, gives every socket a read
timeout, and speaks TLS with the standard library's ssl module.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from appliance.errors import ApplianceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenerLimits:
    threads: int  # worker threads: requests handled at once, streams included
    timeout_s: float  # a socket that sends nothing for this long is closed
    queue: int  # accepted connections waiting for a worker; beyond it new ones wait in the kernel


class Listener:
    """A WSGI app on (host, port); `port` is the real one after start (port 0 picks a free one)."""

    def __init__(self, name: str, app: Any, host: str, port: int, limits: ListenerLimits,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.name = name
        self.app = app
        self.host = host
        self._port = port
        self.tls = tls is not None
        self._server = wsgi.Server(
            # cheroot's stubs say int for both timeouts; it passes them to socket.settimeout and
            # queue.put(timeout=...), which take float seconds.
            (host, port), app, numthreads=limits.threads, max=limits.threads,
            timeout=limits.timeout_s,  # type: ignore[arg-type]
            accepted_queue_size=limits.queue,
            accepted_queue_timeout=limits.timeout_s,  # type: ignore[arg-type]
            shutdown_timeout=2, server_name=f"booth-{name}", request_queue_size=64,
        )
        self._server.software = "booth"  # no server version in the Server header
        if tls is not None:
            self._server.ssl_adapter = BuiltinSSLAdapter(str(tls[0]), str(tls[1]))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def start(self) -> None:
        try:
            self._server.prepare()
        except OSError as exc:
            raise ApplianceError(f"web: the {self.name} cannot listen on {self.host}:{self._port}: {exc}") from None
        self._port = int(self._server.bind_addr[1])
        self._thread = threading.Thread(target=self._server.serve, name=f"web-{self.name}", daemon=True)
        self._thread.start()
        log.info("web: %s listening on %s://%s:%d", self.name, self.scheme, self.host, self._port)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.stop()
        self._thread.join(timeout=5.0)
        self._thread = None
