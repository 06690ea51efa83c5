"""Prometheus metrics of the collection server (`GET /metrics`).

Two kinds: counters of this process's answers (uploads by result, refusals by reason), and
figures read from the shared database at scrape time (photos by review state, review latency,
per-booth last seen and heartbeat values), so every host reports the same fleet-wide numbers.
Under gunicorn's several workers the counters go through prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by systemd/serve-ingest.gunicorn.conf.py): every worker's counts
add up in each scrape, whichever worker answers it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from appliance.ingest.metadata import Metadata, MetadataError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REVIEW_BOUNDS_S = (3600.0, 6 * 3600.0, 24 * 3600.0, 48 * 3600.0, 96 * 3600.0)


class FleetCollector(Collector):
    """Read from the database at each scrape; a database that is down gives ingest_database_up 0
    and no fleet figures, never a failed scrape."""

    def __init__(self, metadata: Metadata):
        self._metadata = metadata

    def describe(self) -> list[Metric]:
        """Nothing: registering the collector must not query the database (app creation runs in
        gunicorn's master before the fork)."""
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ingest_database_up", "1 if this host reaches its database")
        try:
            counts = self._metadata.photo_counts()
            booths = self._metadata.booths()
            buckets, count, total = self._metadata.review_latencies(REVIEW_BOUNDS_S)
        except MetadataError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        photos = GaugeMetricFamily("ingest_photos", "photos on the server by review state", labels=["review_state"])
        for state in ("pending", "accepted", "rejected"):
            photos.add_metric([state], counts.get(state, 0))
        yield photos
        latency = HistogramMetricFamily(
            "ingest_review_latency_seconds", "time from arrival to a reviewer's decision"
        )
        latency.add_metric(
            [], [*((f"{b:g}", n) for b, n in zip(REVIEW_BOUNDS_S, buckets, strict=True)), ("+Inf", count)], total
        )
        yield latency
        families = {
            "last_seen": GaugeMetricFamily(
                "ingest_booth_last_seen_timestamp_seconds", "last heartbeat or upload", labels=["device"]),
            "queue": GaugeMetricFamily("ingest_booth_queue_depth", "photos waiting on the booth", labels=["device"]),
            "oldest": GaugeMetricFamily(
                "ingest_booth_oldest_pending_timestamp_seconds", "oldest photo waiting on the booth",
                labels=["device"]),
            "disk": GaugeMetricFamily("ingest_booth_disk_free_bytes", "free space on the booth", labels=["device"]),
            "temp": GaugeMetricFamily("ingest_booth_temperature_celsius", "the booth's CPU", labels=["device"]),
        }
        for booth in booths:
            if booth.revoked_at is not None:
                continue
            values = {
                "last_seen": booth.last_seen_at, "queue": booth.queue_depth, "oldest": booth.oldest_pending_at,
                "disk": booth.disk_free_bytes, "temp": booth.temperature_c,
            }
            for key, value in values.items():
                if value is not None:
                    families[key].add_metric([booth.device_id], value)
        yield from families.values()


class IngestMetrics:
    """This app's counters and the /metrics text; one per app, no global registry."""

    def __init__(self, metadata: Metadata):
        self._registry = CollectorRegistry(auto_describe=True)
        self.uploads = Counter(
            "ingest_uploads", "uploads answered", ["result"], registry=self._registry
        )
        self.refusals = Counter(
            "ingest_refusals", "requests refused, by error code", ["reason"], registry=self._registry
        )
        self._fleet = FleetCollector(metadata)
        self._registry.register(self._fleet)

    def exposition(self) -> bytes:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            return generate_latest(self._registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        registry.register(self._fleet)
        return generate_latest(registry)
