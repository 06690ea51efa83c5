#!/usr/bin/env python3
"""Fault run of the store and uplink: nothing accepted is lost, nothing is stored twice.

    .venv/bin/python scripts/fault_test.py --captures 200 [--json] [--seed 1]
    .venv/bin/python scripts/fault_test.py --hosts 2 --postgres --booths 3 --captures 30 --json

Starts a live `appliance serve-ingest` on loopback behind a fault-injecting proxy (500s, timeouts,
slow and truncated answers, requests that reach the server but whose answer is dropped), runs a
booth process that commits N scripted captures into its store and uploads them, and meanwhile
kill -9s the booth at random moments (at least one kill per --kill-every captures), kills the
server and restarts it - with a kill -9 of the server half-way through that restart and a kill -9 of
the booth while the server is down -, fills the disk (simulated here: the booth's free-space probe
reports zero; tests/system/test_store_full_disk.py fills a real tmpfs) and jumps the booth's clock by
hours. Then it lets the queue drain and compares the booth's store with the server, byte for byte.
With --json the last line is one JSON object: {"accepted", "on_server", "duplicates", "mismatched",
"kills"}. Exit status 0 when every accepted photo is on the server exactly once with the same bytes.

With --hosts N --postgres: a throw-away PostgreSQL (appliance/testing/throwaway_postgres.py), `serve-ingest
migrate`, N hosts with photo bytes in the database, several booths (each its own device key)
uploading through the fault proxy, which is also a toy round-robin over the hosts. During the run
PostgreSQL is restarted and a host is kill -9'd and restarted (each at least once), booths are
kill -9'd; then every booth's store is compared with the database, byte for byte. The JSON adds
"server_rows" (must equal "on_server": nothing on the server no booth accepted), "booths_heard"
(booths whose heartbeat reached the database), "hosts",
"booths", "gunicorn", "postgres_restarts" and "host_kills". With --gunicorn the hosts run under
gunicorn with systemd/serve-ingest.gunicorn.conf.py (two workers each) and a host's kill -9 takes
its whole process group, as a machine that dies.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import http.server
import io
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEVICE_ID = "booth-fault"
CLIENT_TIMEOUT_S = 1.0
FAULTS = ("ok", "ok", "ok", "ok", "ok", "ok", "error500", "timeout", "slow", "truncated", "dropped")


def make_jpeg(seed: int, size: tuple[int, int] = (96, 128)) -> bytes:
    """A distinct small JPEG per seed (noise), made with Pillow."""
    from PIL import Image

    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", size, data).save(out, format="JPEG", quality=75)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the booth process ------------------------------------------------------------------------

# How long a drained booth waits for the server to take one heartbeat (heartbeat_s is 2 s).
HEARD_WAIT_S = 20.0


def run_booth(work: Path, captures: int, proxy_url: str, device_id: str = DEVICE_ID) -> int:
    from appliance.store.disk_guard import DiskGuard
    from appliance.store.errors import StorageFullError
    from appliance.store.photo_store import PhotoStore
    from appliance.uplink.client import CollectionClient
    from appliance.uplink.config import UplinkSettings
    from appliance.uplink.heartbeat import BoothProbes
    from appliance.uplink.worker import UplinkWorker

    def clock() -> float:
        try:
            return time.time() + float((work / "clock_offset").read_text() or 0)
        except (FileNotFoundError, ValueError):
            return time.time()

    def free_bytes(_path: Path) -> int:
        return 0 if (work / "disk_full").exists() else 10**12

    store = PhotoStore(work / "booth", disk_guard=DiskGuard(work, 1, probe=free_bytes), clock=clock)
    settings = UplinkSettings(
        server_url=proxy_url, timeout_s=CLIENT_TIMEOUT_S, backoff_base_s=0.05, backoff_max_s=1.0,
        review_poll_s=2.0, batch_size=4, heartbeat_s=2.0,
    )
    key = bytes.fromhex((work / "device.key").read_text())
    client = CollectionClient(proxy_url, device_id, key, timeout_s=CLIENT_TIMEOUT_S, clock=clock)
    worker = UplinkWorker(store, client, device_id, settings, clock=clock, probes=BoothProbes(work))
    store.add_listener(worker.notify)
    worker.start()
    recent = store.recent(1)
    index = int(recent[0].capture_code, 16) if recent else 0  # redo the last one: must be a no-op
    while index < captures:
        photo = (work / "captures" / f"{index}.jpg").read_bytes()
        try:
            store.check_space()
            report = {"verdict": "pass", "i": index}
            store.commit_accepted("26031601", f"{index:016x}", "10403", photo, report)  # a 16-hex capture code
        except StorageFullError:
            print("DISKFULL", flush=True)
            time.sleep(0.05)
            continue
        print(f"ACCEPTED {index}", flush=True)
        index += 1
        time.sleep(random.uniform(0.02, 0.08))
    print("CAPTURED", flush=True)
    while store.queue_summary().pending:
        time.sleep(0.1)
    # A booth runs for hours and is heard every heartbeat period; this one stops once drained, so it
    # stays until the server has taken one of its heartbeats (each may have met an injected fault).
    deadline = time.monotonic() + HEARD_WAIT_S
    while worker.status().last_heartbeat_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
    print("DRAINED", flush=True)
    worker.stop()
    return 0


# --- the fault-injecting proxy ----------------------------------------------------------------

class FaultProxy:
    """Also the toy load balancer of the --hosts mode: requests go round-robin to the upstreams,
    and one that refuses the connection (killed) is skipped for the next."""

    def __init__(self, upstream_ports: list[int], rng: random.Random):
        self.upstream_ports = upstream_ports
        self._next = 0
        self._turn = threading.Lock()
        self.rng = rng
        self.enabled = True
        self.counts: dict[str, int] = {}
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault = proxy.rng.choice(FAULTS) if proxy.enabled else "ok"
                proxy.counts[fault] = proxy.counts.get(fault, 0) + 1
                if fault == "error500":
                    self._answer(500, b'{"error":"injected","message":"injected 500"}')
                    return
                if fault == "timeout":
                    time.sleep(CLIENT_TIMEOUT_S + 0.3)
                    self.close_connection = True
                    return
                if fault == "slow":
                    time.sleep(proxy.rng.uniform(0.1, 0.6))
                try:
                    status, headers, answer = proxy.forward(self.command, self.path, self.headers, body)
                except OSError:
                    self._answer(502, b'{"error":"upstream_down","message":"server unreachable"}')
                    return
                if fault == "dropped":  # the server stored it, the booth never hears back
                    self.close_connection = True
                    return
                if fault == "truncated":
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer[: len(answer) // 2])
                    self.close_connection = True
                    return
                self._answer(status, answer, headers)

            def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class QuietServer(http.server.ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the booth was killed mid-answer: expected here, not worth a traceback

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._turn:
            first = self._next
            self._next = (self._next + 1) % len(self.upstream_ports)
        for step in range(len(self.upstream_ports)):
            port = self.upstream_ports[(first + step) % len(self.upstream_ports)]
            try:
                return self._forward_to(port, method, path, headers, body)
            except ConnectionRefusedError:
                if step == len(self.upstream_ports) - 1:
                    raise
        raise OSError("no upstream")

    def _forward_to(self, port: int, method: str, path: str, headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            keep = {k: v for k, v in headers.items() if k.lower().startswith(("x-", "content-type"))}
            conn.request(method, path, body=body, headers=keep)
            answer = conn.getresponse()
            data = answer.read()
            passed = {k: v for k, v in answer.getheaders() if k.lower().startswith("x-")}
            return answer.status, passed, data
        finally:
            conn.close()


# --- the driver -------------------------------------------------------------------------------

class Server:
    def __init__(self, work: Path, port: int, config: Path | None = None, name: str = "server"):
        self.work, self.port, self.process = work, port, None
        self.config, self.name = config, name
        self.startup_s = 1.0  # measured on each successful start
        self.down = threading.Event()  # set while the server is being killed and restarted
        self.restarts = 0
        self.startup_kills = 0  # kill -9 while serve-ingest was starting
        self.startup_kills_before_listening = 0  # ... and it had not yet said "listening"

    def _spawn(self) -> subprocess.Popen:
        command = [
            sys.executable, "-m", "appliance", "serve-ingest", "--data-dir", str(self.work / self.name),
            "--keys", str(self.work / "keys.toml"), "--port", str(self.port),
        ]
        if self.config is not None:
            command += ["--config", str(self.config)]
        with open(self.work / f"{self.name}.log", "ab") as log:
            return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log)

    def start(self, tries: int = 5) -> None:
        """Restart on the same port; a few tries, since the killed one's socket may linger."""
        for _ in range(tries):
            began = time.monotonic()
            self.process = self._spawn()
            if "listening" in self.process.stdout.readline().decode():
                self.startup_s = time.monotonic() - began
                return
            self.process.wait()
            time.sleep(0.5)
        tail = (self.work / f"{self.name}.log").read_text(errors="replace")[-500:]
        raise SystemExit(f"fault_test: serve-ingest did not start: {tail}")

    def kill_while_starting(self, rng: random.Random) -> None:
        """kill -9 somewhere in serve-ingest's start (imports, opening or creating the schema,
        binding the port); mostly before it listens, sometimes just after."""
        process = self._spawn()
        time.sleep(rng.uniform(0.2, 1.05) * self.startup_s)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.startup_kills += 1
        if b"listening" not in process.stdout.read():
            self.startup_kills_before_listening += 1

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class GunicornHost(Server):
    """A host as systemd/appliance-ingest.service runs it: gunicorn with the repo's config (two
    workers, threads, preload). Killed as a machine dies: kill -9 of the whole process group."""

    def _spawn(self) -> subprocess.Popen:
        env = {**os.environ, "APPLIANCE_INGEST_CONFIG": str(self.config), "APPLIANCE_INGEST_WORKERS": "2",
               "APPLIANCE_INGEST_BIND": f"127.0.0.1:{self.port}", "APPLIANCE_INGEST_THREADS": "4"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        command = [str(Path(sys.executable).with_name("gunicorn")), "--config",
                   str(REPO / "systemd" / "serve-ingest.gunicorn.conf.py")]
        with open(self.work / f"{self.name}.log", "ab") as log:
            return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)

    def start(self, tries: int = 5) -> None:
        for _ in range(tries):
            began = time.monotonic()
            self.process = self._spawn()
            while self.process.poll() is None and time.monotonic() - began < 30:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                    conn.request("GET", "/v1/health")
                    conn.getresponse().read()  # any answer, 503 too: the host is up
                    conn.close()
                    self.startup_s = time.monotonic() - began
                    return
                except OSError:
                    time.sleep(0.1)
            self.kill()
            time.sleep(0.5)
        tail = (self.work / f"{self.name}.log").read_text(errors="replace")[-500:]
        raise SystemExit(f"fault_test: gunicorn host did not start: {tail}")

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Booth:
    def __init__(self, work: Path, captures: int, proxy_url: str, device_id: str = DEVICE_ID):
        self.args = [sys.executable, __file__, "--booth", str(work), "--captures", str(captures),
                     "--proxy-url", proxy_url, "--device-id", device_id]
        self.progress = 0  # highest capture index accepted + 1 (a restart re-commits the last one)
        self.captured = threading.Event()
        self.drained = threading.Event()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for raw in process.stdout:
            line = raw.decode().strip()
            if line.startswith("ACCEPTED"):
                self.progress = max(self.progress, int(line.split()[1]) + 1)
            elif line == "CAPTURED":
                self.captured.set()
            elif line == "DRAINED":
                self.drained.set()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def prepare(work: Path, captures: int) -> None:
    (work / "captures").mkdir(parents=True)
    for i in range(captures):
        (work / "captures" / f"{i}.jpg").write_bytes(make_jpeg(10_000 + i))
    key = os.urandom(32).hex()
    (work / "device.key").write_text(key)
    (work / "keys.toml").write_text(f'"{DEVICE_ID}" = "{key}"\n')


def inject(event: str, work: Path, server: Server, rng: random.Random) -> None:
    if event == "server_down":
        server.restarts += 1
        server.down.set()  # the driver kills the booth once while this lasts
        try:
            server.kill()
            time.sleep(rng.uniform(0.5, 1.5))
            server.kill_while_starting(rng)
            server.start()
        finally:
            server.down.clear()
    elif event == "disk_full":
        (work / "disk_full").touch()
        time.sleep(rng.uniform(0.2, 0.6))
        (work / "disk_full").unlink()
    else:
        (work / "clock_offset").write_text(str(rng.choice((-7200, 3600, 86400, 0))))


def drive(work: Path, captures: int, kill_every: int, rng: random.Random, log) -> int:
    server = Server(work, free_port())
    server.start()
    proxy = FaultProxy([server.port], rng)
    booth = Booth(work, captures, proxy.url)
    booth.start()
    kills = 0
    kills_while_server_down = 0
    killed_in_restart = 0  # number of the last server restart the booth was killed in
    next_kill_at = rng.randint(1, max(kill_every - 1, 1))
    events_every = max(captures // 12, 3)
    event_cycle = ["server_down", "disk_full", "clock_jump"]
    rng.shuffle(event_cycle)
    next_event_at = events_every
    event_thread: threading.Thread | None = None
    deadline = time.monotonic() + 60 + captures * 2.0
    while not booth.captured.is_set():
        if time.monotonic() > deadline:
            raise SystemExit("fault_test: captures did not finish in time")
        if server.down.is_set() and killed_in_restart != server.restarts:
            killed_in_restart = server.restarts
            time.sleep(rng.uniform(0.0, 0.5))  # land anywhere in the outage, not just its start
            booth.kill()
            kills += 1
            kills_while_server_down += 1
            booth.start()
        if booth.progress >= next_kill_at:
            time.sleep(rng.uniform(0.0, 0.03))  # land anywhere: mid-commit, mid-upload, idle
            booth.kill()
            kills += 1
            # kill_every - 1: captures that slip in before the kill lands still keep the pace.
            next_kill_at = booth.progress + rng.randint(1, max(kill_every - 1, 1))
            booth.start()
        if booth.progress >= next_event_at and not (event_thread and event_thread.is_alive()):
            next_event_at += events_every
            event = event_cycle[(next_event_at // events_every) % 3]
            log(f"fault_test: {event} after {booth.progress} captures")
            # In its own thread, so that the kills keep their pace while the server is down.
            event_thread = threading.Thread(target=inject, args=(event, work, server, rng), daemon=True)
            event_thread.start()
        time.sleep(0.01)
    for _ in range(2):  # and while the queue drains: uploads must resume after a restart
        time.sleep(rng.uniform(0.05, 0.4))
        booth.kill()
        kills += 1
        booth.start()
    if event_thread:
        event_thread.join()
    proxy.enabled = False
    log(f"fault_test: all {captures} captures committed; draining; proxy faults: {proxy.counts}")
    log(
        f"fault_test: server restarts {server.restarts}, server kill -9s during a restart"
        f" {server.startup_kills} ({server.startup_kills_before_listening} before it listened),"
        f" booth kill -9s while the server was down {kills_while_server_down}"
    )
    if not booth.drained.wait(60 + captures * 0.5):
        log("fault_test: the queue did not drain in time")
    booth.process.wait(10)
    server.kill()
    proxy.server.shutdown()
    return kills


def compare(work: Path) -> dict[str, int]:
    booth = sqlite3.connect(work / "booth" / "store.db")
    accepted = dict(booth.execute("SELECT sha256, capture_code FROM photos").fetchall())
    server = sqlite3.connect(work / "server" / "ingest.db")
    rows = server.execute("SELECT sha256, capture_code FROM photos").fetchall()
    per_capture: dict[str, int] = {}
    for _sha, capture in rows:
        per_capture[capture] = per_capture.get(capture, 0) + 1
    on_server = mismatched = 0
    for sha, capture in accepted.items():
        expected = (work / "captures" / f"{int(capture, 16)}.jpg").read_bytes()
        path = work / "server" / "photos" / sha[:2] / f"{sha}.jpg"
        if sha in {r[0] for r in rows}:
            on_server += 1
            same = path.exists() and path.read_bytes() == expected
            if not same or hashlib.sha256(expected).hexdigest() != sha:
                mismatched += 1
    duplicates = sum(count - 1 for count in per_capture.values() if count > 1)
    return {
        "accepted": len(accepted), "on_server": on_server, "duplicates": duplicates, "mismatched": mismatched
    }


# --- the fleet: several hosts on one PostgreSQL (--hosts N --postgres) ------------------------

def prepare_fleet(work: Path, captures: int, booths: int, database_url: str) -> list[str]:
    devices = [f"booth-{n:02d}" for n in range(booths)]
    keys = []
    for n, device in enumerate(devices):
        folder = work / device
        (folder / "captures").mkdir(parents=True)
        for i in range(captures):
            (folder / "captures" / f"{i}.jpg").write_bytes(make_jpeg(100_000 * (n + 1) + i))
        key = os.urandom(32).hex()
        (folder / "device.key").write_text(key)
        keys.append(f'"{device}" = "{key}"')
    (work / "keys.toml").write_text("\n".join(keys) + "\n")
    (work / "ingest.toml").write_text(
        f'database_url = "{database_url}"\nphoto_storage = "database"\ndatabase_pool_size = 4\n'
        f'keys_file = "{work / "keys.toml"}"\ndata_dir = "{work / "hosts"}"\n'
    )
    return devices


def fleet_event(event: str, servers: list[Server], postgres, rng: random.Random, log) -> None:
    if event == "postgres_restart":
        postgres.restart(down_s=rng.uniform(0.3, 1.5))
        return
    host = rng.choice(servers)
    log(f"fault_test: kill -9 of {host.name}")
    host.kill()
    time.sleep(rng.uniform(0.5, 2.0))
    host.start(tries=20)


def run_fleet(work: Path, captures: int, booths: int, hosts: int, kill_every: int, rng: random.Random, log,
              gunicorn: bool = False):
    from appliance.testing.throwaway_postgres import ThrowawayPostgres

    with ThrowawayPostgres() as postgres:
        devices = prepare_fleet(work, captures, booths, postgres.url)
        migrate = [sys.executable, "-m", "appliance", "serve-ingest", "migrate", "--config", str(work / "ingest.toml")]
        subprocess.run(migrate, cwd=REPO, check=True, capture_output=True)
        kind = GunicornHost if gunicorn else Server
        servers = [kind(work, free_port(), work / "ingest.toml", name=f"host-{n}") for n in range(hosts)]
        for server in servers:
            server.start()
        proxy = FaultProxy([server.port for server in servers], rng)
        fleet = [Booth(work / device, captures, proxy.url, device) for device in devices]
        for booth in fleet:
            booth.start()
        kills, counts = 0, {"postgres_restart": 0, "host_kill": 0}
        next_kill = {id(b): rng.randint(1, max(kill_every - 1, 1)) for b in fleet}
        events_every = max(captures * booths // 8, 4)
        next_event_at = events_every
        cycle = ["host_kill", "postgres_restart"]  # the first event is cycle[1]
        event_thread: threading.Thread | None = None
        deadline = time.monotonic() + 90 + captures * booths * 2.0
        while not all(booth.captured.is_set() for booth in fleet):
            if time.monotonic() > deadline:
                raise SystemExit("fault_test: captures did not finish in time")
            for booth in fleet:
                if booth.progress >= next_kill[id(booth)] and not booth.captured.is_set():
                    time.sleep(rng.uniform(0.0, 0.03))
                    booth.kill()
                    kills += 1
                    next_kill[id(booth)] = booth.progress + rng.randint(1, max(kill_every - 1, 1))
                    booth.start()
            progress = sum(booth.progress for booth in fleet)
            if progress >= next_event_at and not (event_thread and event_thread.is_alive()):
                event = cycle[(next_event_at // events_every) % 2]
                next_event_at += events_every
                counts[event] += 1
                log(f"fault_test: {event} after {progress} captures")
                event_thread = threading.Thread(
                    target=fleet_event, args=(event, servers, postgres, rng, log), daemon=True
                )
                event_thread.start()
            time.sleep(0.01)
        if event_thread:
            event_thread.join()
        for event, count in counts.items():  # each fault at least once, however short the run
            if not count:
                counts[event] += 1
                log(f"fault_test: {event} while the queues drain")
                fleet_event(event, servers, postgres, rng, log)
        proxy.enabled = False
        log(f"fault_test: all captures committed; draining; proxy faults: {proxy.counts}")
        for booth in fleet:
            if not booth.drained.wait(60 + captures * 0.5):
                log("fault_test: a booth's queue did not drain in time")
            booth.process.wait(10)
        for server in servers:
            server.kill()
        proxy.server.shutdown()
        result = compare_fleet(work, devices, postgres.url)
    return {**result, "kills": kills, "hosts": hosts, "booths": booths, "gunicorn": gunicorn,
            "postgres_restarts": counts["postgres_restart"], "host_kills": counts["host_kill"]}


def compare_fleet(work: Path, devices: list[str], database_url: str) -> dict[str, int]:
    """Every photo a booth accepted is on the server once, under that booth and capture code,
    with the booth's bytes; read straight from PostgreSQL."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT p.sha256, p.device_id, p.capture_code, b.data FROM photos p"
            " LEFT JOIN photo_blobs b ON b.sha256 = p.sha256"
        ).fetchall()
        heard = conn.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0]
    by_sha = {sha: (device, capture, data) for sha, device, capture, data in rows}
    per_capture: dict[tuple[str, str], int] = {}
    for _sha, device, capture, _data in rows:
        per_capture[(device, capture)] = per_capture.get((device, capture), 0) + 1
    accepted = on_server = mismatched = 0
    for device in devices:
        store = sqlite3.connect(work / device / "booth" / "store.db")
        for sha, capture in store.execute("SELECT sha256, capture_code FROM photos").fetchall():
            accepted += 1
            expected = (work / device / "captures" / f"{int(capture[3:])}.jpg").read_bytes()
            if sha not in by_sha:
                continue
            on_server += 1
            got_device, got_capture, data = by_sha[sha]
            same = data is not None and bytes(data) == expected and hashlib.sha256(expected).hexdigest() == sha
            if not same or (got_device, got_capture) != (device, capture):
                mismatched += 1
        store.close()
    duplicates = sum(count - 1 for count in per_capture.values() if count > 1)
    return {"accepted": accepted, "on_server": on_server, "duplicates": duplicates, "mismatched": mismatched,
            "server_rows": len(rows), "booths_heard": heard}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, required=True)
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--kill-every", type=int, default=6, help="at least one kill per this many captures")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the run's files here")
    parser.add_argument("--booth", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--hosts", type=int, default=1, help="hosts behind a round-robin (needs --postgres)")
    parser.add_argument("--postgres", action="store_true", help="the hosts share a throw-away PostgreSQL")
    parser.add_argument("--booths", type=int, default=3, help="booths uploading at once (--postgres mode)")
    parser.add_argument("--gunicorn", action="store_true", help="hosts under gunicorn, as the systemd unit runs them")
    parser.add_argument("--proxy-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--device-id", default=DEVICE_ID, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.booth is not None:
        return run_booth(args.booth, args.captures, args.proxy_url, args.device_id)
    if args.hosts > 1 and not args.postgres:
        parser.error("--hosts 2 needs --postgres (several hosts share one database)")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    def log(text: str) -> None:
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    with tempfile.TemporaryDirectory(prefix="fault-test-") as temp:
        work = args.workdir or Path(temp)
        log(f"fault_test: seed {seed}, {args.captures} captures, work dir {work}")
        started = time.monotonic()
        if args.postgres:
            result = run_fleet(work, args.captures, args.booths, args.hosts, args.kill_every, rng, log, args.gunicorn)
        else:
            prepare(work, args.captures)
            kills = drive(work, args.captures, args.kill_every, rng, log)
            result = {**compare(work), "kills": kills}
        log(f"fault_test: finished in {time.monotonic() - started:.1f}s")
    ok = result["accepted"] == result["on_server"] and not result["duplicates"] and not result["mismatched"]
    ok = ok and result.get("server_rows", result["on_server"]) == result["on_server"]
    if args.json:
        print(json.dumps(result))
    else:
        print(" ".join(f"{k}={v}" for k, v in result.items()), "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
