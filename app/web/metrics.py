"""Prometheus metrics, in process, with a small hand-written text renderer.

What ``GET /metrics`` shows (text format 0.0.4):

- ``ucc_http_requests_total{method, route, status}``: requests by route *template*
  (``/api/v1/cities/<slug>``, never the raw path; unknown paths count as ``unmatched``);
- ``ucc_http_request_duration_seconds{route}``: a latency histogram per route template;
- ``ucc_answers_total{status, channel}``: answers given by ``POST /api/v1/ask`` by status
  (answered, need_more_detail, cannot_answer, error);
- ``ucc_index_generation``, ``ucc_index_chunks``, ``ucc_index_documents``: the live index;
- ``ucc_worker_resident_memory_bytes{worker}``: resident memory of each serving process;
- ``ucc_workers``: processes whose figures are summed.

Several gunicorn workers: each process counts for itself. When the app is given a metrics
folder (``ucc serve`` gives ``UCC_DATA_DIR/metrics``), every worker writes a snapshot of its
counters there within a second of a change (a small daemon thread per worker; and whenever it
renders ``/metrics``), and ``/metrics``
sums the snapshots of every worker of this server, so whichever worker answers the scrape the
totals are the server's (figures of the other workers may be up to a second old). Snapshots
of workers that have exited are kept in the sums so that counters never go down; ``ucc serve``
empties the folder when it starts. Without a folder (tests, a single process) the figures are
this process's own.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterable

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DUMP_EVERY = 1.0  # seconds between snapshots written by one worker


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class Metrics:
    """Counters and histograms of one process; optionally shared through a folder of snapshots."""

    def __init__(self, directory: str | Path | None = None, buckets: Iterable[float] = BUCKETS):
        self.buckets = tuple(sorted(float(b) for b in buckets))
        self.directory = Path(directory) if directory else None
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = {}
        self._durations: dict[str, list[float]] = {}  # route -> [bucket counts..., +Inf count, sum]
        self._answers: dict[tuple[str, str], int] = {}
        self._dirty = False
        self._flusher: threading.Thread | None = None
        self._pid = os.getpid()
        self.started = time.time()
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    # -- recording ----------------------------------------------------------------------------
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (method, route, str(status))
            self._requests[key] = self._requests.get(key, 0) + 1
            h = self._durations.get(route)
            if h is None:
                h = self._durations[route] = [0.0] * (len(self.buckets) + 2)
            for i, bound in enumerate(self.buckets):
                if seconds <= bound:
                    h[i] += 1
                    break
            else:
                h[len(self.buckets)] += 1
            h[-1] += seconds
            self._dirty = True
        self._start_flusher()

    def observe_answer(self, status: str, channel: str) -> None:
        with self._lock:
            key = (status, channel)
            self._answers[key] = self._answers.get(key, 0) + 1
            self._dirty = True
        self._start_flusher()

    # -- snapshots ----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pid": self._pid,
                "buckets": list(self.buckets),
                "requests": [[*k, v] for k, v in self._requests.items()],
                "durations": {r: list(h) for r, h in self._durations.items()},
                "answers": [[*k, v] for k, v in self._answers.items()],
                "rss": _rss_bytes(),
            }

    def _dump(self) -> None:
        """Write this worker's snapshot now (the flusher does it within a second of a change;
        rendering ``/metrics`` does it at once)."""
        if self.directory is None:
            return
        with self._lock:
            self._dirty = False
        data = json.dumps(self.snapshot())
        target = self.directory / f"worker-{self._pid}.json"
        tmp = target.with_suffix(".tmp")
        try:
            tmp.write_text(data, encoding="utf-8")
            os.replace(tmp, target)
        except OSError:
            pass  # metrics never fail a request

    def _start_flusher(self) -> None:
        """Requests only count; one daemon thread per worker writes the snapshot when it changed,
        so a worker that goes idle right after a burst still publishes its last counts."""
        if self.directory is None or self._flusher is not None and self._flusher.is_alive():
            return
        with self._lock:
            if self._flusher is not None and self._flusher.is_alive():
                return
            self._flusher = threading.Thread(target=self._flush_forever, name="ucc-metrics-flush", daemon=True)
            self._flusher.start()

    def _flush_forever(self) -> None:
        while True:
            time.sleep(DUMP_EVERY)
            if self._dirty:
                self._dump()

    def _snapshots(self) -> list[dict[str, Any]]:
        if self.directory is None:
            return [self.snapshot()]
        self._dump()
        out = []
        for path in sorted(self.directory.glob("worker-*.json")):
            try:
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out or [self.snapshot()]

    def collect(self) -> dict[str, Any]:
        """Every snapshot summed: requests, durations, answers, and the memory of live workers."""
        requests: dict[tuple, float] = {}
        durations: dict[str, list[float]] = {}
        answers: dict[tuple, float] = {}
        memory: dict[str, int] = {}
        snaps = self._snapshots()
        for snap in snaps:
            if tuple(snap.get("buckets", ())) != self.buckets:
                continue
            for *key, value in snap["requests"]:
                requests[tuple(key)] = requests.get(tuple(key), 0) + value
            for route, h in snap["durations"].items():
                acc = durations.setdefault(route, [0.0] * len(h))
                for i, v in enumerate(h):
                    acc[i] += v
            for *key, value in snap["answers"]:
                answers[tuple(key)] = answers.get(tuple(key), 0) + value
            pid = snap.get("pid")
            if snap.get("rss") is not None and pid is not None and _alive(int(pid)):
                memory[str(pid)] = int(snap["rss"])
        return {"requests": requests, "durations": durations, "answers": answers, "memory": memory,
                "workers": len(snaps)}

    # -- rendering ----------------------------------------------------------------------------
    def render(self, index: dict[str, Any] | None = None) -> str:
        """The Prometheus text exposition of every metric; ``index`` adds the index gauges
        (``generation``, ``chunks``, ``documents``; missing or None values are left out)."""
        data = self.collect()
        out: list[str] = []

        def head(name: str, kind: str, text: str) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")

        head("ucc_http_requests_total", "counter", "HTTP requests by method, route template and status.")
        for (method, route, status), v in sorted(data["requests"].items()):
            out.append(f"ucc_http_requests_total{_labels(method=method, route=route, status=status)} {_num(v)}")
        head("ucc_http_request_duration_seconds", "histogram", "Time to answer a request, by route template.")
        for route, h in sorted(data["durations"].items()):
            cumulative = 0.0
            for bound, count in zip(self.buckets, h):
                cumulative += count
                out.append(f"ucc_http_request_duration_seconds_bucket{_labels(route=route, le=_num(bound))} "
                           f"{_num(cumulative)}")
            cumulative += h[len(self.buckets)]
            out.append(f"ucc_http_request_duration_seconds_bucket{_labels(route=route, le='+Inf')} {_num(cumulative)}")
            out.append(f"ucc_http_request_duration_seconds_sum{_labels(route=route)} {h[-1]:.6f}")
            out.append(f"ucc_http_request_duration_seconds_count{_labels(route=route)} {_num(cumulative)}")
        head("ucc_answers_total", "counter", "Answers to POST /api/v1/ask by status and channel.")
        for (status, channel), v in sorted(data["answers"].items()):
            out.append(f"ucc_answers_total{_labels(status=status, channel=channel)} {_num(v)}")
        gauges = (("generation", "ucc_index_generation", "The live index generation."),
                  ("chunks", "ucc_index_chunks", "Chunks (passages) in the live index."),
                  ("documents", "ucc_index_documents", "Documents in the live index."))
        for key, name, text in gauges:
            value = (index or {}).get(key)
            if value is not None:
                head(name, "gauge", text)
                out.append(f"{name} {_num(value)}")
        head("ucc_worker_resident_memory_bytes", "gauge", "Resident memory of each serving process.")
        for pid, rss in sorted(data["memory"].items()):
            out.append(f"ucc_worker_resident_memory_bytes{_labels(worker=pid)} {rss}")
        head("ucc_workers", "gauge", "Processes whose counters are summed here (exited workers included).")
        out.append(f"ucc_workers {data['workers']}")
        return "\n".join(out) + "\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: Any) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _num(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)
