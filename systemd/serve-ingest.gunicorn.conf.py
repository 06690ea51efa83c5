"""gunicorn settings of the collection server (systemd/appliance-ingest.service runs it).

The app comes from APPLIANCE_INGEST_CONFIG (the same TOML as `appliance serve-ingest`). Threads
in few processes suit the work: each upload is a short database transaction and an fsync, mostly
waiting. Bound everything a booth or an attacker on the network could stretch: header sizes,
request time, idle keep-alive. Bodies are bounded by the app (max_body_bytes, 413).
"""

import os

wsgi_app = "appliance.ingest.wsgi:app_from_environment()"
bind = os.environ.get("APPLIANCE_INGEST_BIND", "127.0.0.1:8730").split(",")
workers = int(os.environ.get("APPLIANCE_INGEST_WORKERS", min(2 * (os.cpu_count() or 1), 8)))
worker_class = "gthread"
threads = int(os.environ.get("APPLIANCE_INGEST_THREADS", 8))
# Build the app once in the master: a bad settings file stops the start with one line, instead
# of every worker failing in a loop. The database pool is made per process after the fork.
preload_app = True
timeout = 60  # a worker stuck this long is killed and replaced
graceful_timeout = 25  # below the unit's TimeoutStopSec
keepalive = 5
limit_request_line = 4096
limit_request_fields = 50
limit_request_field_size = 8190
max_requests = 20000  # recycle workers now and then; jitter so they do not all restart at once
max_requests_jitter = 2000
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "warning"
forwarded_allow_ips = os.environ.get("APPLIANCE_INGEST_FORWARDED_ALLOW_IPS", "127.0.0.1")

# /metrics adds up every worker's counters (prometheus_client multiprocess mode): they share a
# folder of counter files, emptied at each start. systemd gives /run/appliance-ingest
# (RuntimeDirectory=); elsewhere a fresh temp folder.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    runtime = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = (
        os.path.join(runtime, "metrics") if runtime else tempfile.mkdtemp(prefix="serve-ingest-metrics-")
    )


def on_starting(_server):
    import shutil

    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, mode=0o700, exist_ok=True)


def child_exit(_server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
