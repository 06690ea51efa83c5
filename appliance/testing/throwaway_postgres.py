"""A throw-away PostgreSQL cluster on loopback for tests and the fault run: initdb into a temp
folder, start, stop, restart, kill; nothing of the machine's own PostgreSQL is touched.

    with ThrowawayPostgres() as pg:
        url = pg.url            # postgresql://ingest@127.0.0.1:PORT/postgres
        pg.restart()            # what a database failover or upgrade does to the hosts
        url2 = pg.new_database("fleet")

Debian's binaries live in /usr/lib/postgresql/<version>/bin (scripts/setup.sh --dev installs them).
initdb refuses to run as root, so as root the cluster runs as the postgres user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def pg_tool(name: str) -> str | None:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def available() -> bool:
    return bool(pg_tool("initdb") and pg_tool("pg_ctl"))


class ThrowawayPostgres:
    def __init__(self) -> None:
        initdb, pg_ctl = pg_tool("initdb"), pg_tool("pg_ctl")
        if not (initdb and pg_ctl):
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not installed: run scripts/setup.sh --dev")
        self._initdb, self._pg_ctl = initdb, pg_ctl
        self._root = Path(tempfile.mkdtemp(prefix="ingest-pg-"))
        self._data, self._sockets = self._root / "data", self._root / "run"
        self._user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"postgresql://ingest@127.0.0.1:{self.port}/postgres"

    def _as_user(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", self._user, "--", *command] if os.geteuid() == 0 else command

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(self._as_user([self._pg_ctl, "-D", str(self._data), *args]), check=check, capture_output=True)

    def init(self) -> None:
        self._sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self._root, self._user)
            shutil.chown(self._sockets, self._user)
        init = [self._initdb, "-D", str(self._data), "-U", "ingest", "--auth=trust", "-E", "UTF8"]
        subprocess.run(self._as_user(init), check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self._sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._ctl("-o", options, "-w", "-l", str(self._root / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop", check=False)

    def restart(self, down_s: float = 0.0) -> None:
        """Stop (connections are cut, as in a failover), stay down `down_s`, start again."""
        import time

        self.stop("fast")
        time.sleep(down_s)
        self.start()

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        self.init()
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.remove()
