"""Prometheus metrics with prometheus_client, summed over gunicorn's workers by its multiprocess mode.

What ``GET /metrics`` shows (text format 0.0.4, written by ``prometheus_client.generate_latest``):

- ``ucc_http_requests_total{method, route, status}``: requests by route *template*
  (``/api/v1/cities/<slug>``, never the raw path; unknown paths count as ``unmatched``);
- ``ucc_http_request_duration_seconds{route}``: a latency histogram per route template;
- ``ucc_answers_total{status, channel}``: answers given by ``POST /api/v1/ask`` by status
  (answered, need_more_detail, cannot_answer, error);
- ``ucc_index_generation``, ``ucc_index_chunks``, ``ucc_index_documents``: the live index, read
  when the page is rendered;
- ``ucc_worker_resident_memory_bytes{worker}``: resident memory of each live serving process
  (under several workers prometheus_client adds its own ``pid`` label, the same number);
- ``ucc_workers``: processes whose figures are summed (exited workers included).

Several gunicorn workers: :class:`Metrics` given a folder puts prometheus_client in its
multiprocess mode there (``PROMETHEUS_MULTIPROC_DIR``): every worker's counters and histograms
live in memory-mapped files of that folder, updated as they change, and ``/metrics`` sums the
files of every worker of this server (``MultiProcessCollector``), so whichever worker answers
the scrape the totals are the server's, with no delay. Files of workers that have exited stay in
the sums so that counters never go down; gunicorn's ``child_exit`` hook
(:func:`app.operations.httpserver.wsgi_server`) calls ``mark_process_dead`` so that an exited
worker's memory leaves the page, and ``ucc serve`` sets the variable before the workers start and
empties the folder (:func:`reset_folder`). Without a folder (tests, a single process) the
figures are this process's own, in a registry of the :class:`Metrics` object.

prometheus_client chooses between the two modes for a whole process, when it is imported, from
``PROMETHEUS_MULTIPROC_DIR``; a :class:`Metrics` given a folder in a process that imported it
before then switches that process over (see :func:`_use_folder`), so one process holds metrics
of one mode: use a folder in every app of a process or in none.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest,
                               values)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
INDEX_GAUGES = (("generation", "ucc_index_generation", "The live index generation."),
                ("chunks", "ucc_index_chunks", "Chunks (passages) in the live index."),
                ("documents", "ucc_index_documents", "Documents in the live index."))


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def reset_folder(directory: str | Path) -> None:
    """Make ``directory`` the multiprocess folder of the workers about to start, and empty it
    (``ucc serve`` calls this in gunicorn's master, before the fork)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for path in [*directory.glob("*.db"), *directory.glob("worker-*")]:  # worker-*: older snapshots
        path.unlink(missing_ok=True)
    os.environ[FOLDER_VARIABLE] = str(directory)


def _use_folder(directory: Path) -> None:
    """Multiprocess mode in ``directory`` for this process: what prometheus_client does at import
    when the variable is set, done here if it was imported before (as its own tests do)."""
    directory.mkdir(parents=True, exist_ok=True)
    current = os.environ.get(FOLDER_VARIABLE)
    if current and Path(current).resolve() != directory.resolve():
        raise ValueError(f"{FOLDER_VARIABLE} is {current}, not the metrics folder {directory}")
    os.environ[FOLDER_VARIABLE] = str(directory)
    if values.ValueClass is values.MutexValue:
        values.ValueClass = values.MultiProcessValue()


class _IndexGauges:
    """A collector of the live index's figures, read when the page is rendered."""

    def __init__(self, index: dict[str, Any] | None):
        self.index = index or {}

    def collect(self):
        for key, name, text in INDEX_GAUGES:
            if self.index.get(key) is not None:
                yield GaugeMetricFamily(name, text, value=float(self.index[key]))


class Metrics:
    """The service's counters, histograms and gauges; summed over workers when given a folder."""

    def __init__(self, directory: str | Path | None = None, buckets: Iterable[float] = BUCKETS):
        self.directory = Path(directory) if directory else None
        if self.directory is not None:
            _use_folder(self.directory)
        disable_created_metrics()  # no *_created series: the multiprocess mode has none either
        self.registry = CollectorRegistry(auto_describe=True)
        into = {"registry": self.registry}
        self.requests = Counter("ucc_http_requests", "HTTP requests by method, route template and status.",
                                ("method", "route", "status"), **into)
        self.durations = Histogram("ucc_http_request_duration_seconds", "Time to answer a request, by route template.",
                                   ("route",), buckets=tuple(buckets), **into)
        self.answers = Counter("ucc_answers", "Answers to POST /api/v1/ask by status and channel.",
                               ("status", "channel"), **into)
        self.memory = Gauge("ucc_worker_resident_memory_bytes", "Resident memory of each serving process.",
                            ("worker",), multiprocess_mode="liveall", **into)
        self.workers = Gauge("ucc_workers", "Processes whose counters are summed here (exited workers included).",
                             multiprocess_mode="sum", **into)
        self.workers.set(1)
        self._note_memory()

    def _note_memory(self) -> None:
        rss = _rss_bytes()
        if rss is not None:
            self.memory.labels(worker=str(os.getpid())).set(rss)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.durations.labels(route=route).observe(seconds)
        self._note_memory()

    def observe_answer(self, status: str, channel: str) -> None:
        self.answers.labels(status=status, channel=channel).inc()

    def render(self, index: dict[str, Any] | None = None) -> str:
        """The Prometheus text exposition of every metric; ``index`` adds the index gauges
        (``generation``, ``chunks``, ``documents``; missing or None values are left out)."""
        self._note_memory()
        if self.directory is None:
            source = self.registry
        else:
            source = CollectorRegistry(auto_describe=True)
            MultiProcessCollector(source, path=str(self.directory))
        extra = CollectorRegistry(auto_describe=False)
        extra.register(_IndexGauges(index))
        return (generate_latest(source) + generate_latest(extra)).decode("utf-8")
