"""The Prometheus metrics (app/web/metrics.py): one process's figures, and several workers' summed
through prometheus_client's multiprocess folder, each worker a real process of its own."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from functools import partial

from app.web.metrics import Metrics

from .conftest import REPO, prometheus_value

SEARCH = {"method": "GET", "route": "/api/v1/search", "status": "200"}


def test_one_process_counts_requests_durations_answers_and_the_index():
    metrics = Metrics()
    metrics.observe_request("GET", "/api/v1/search", 200, 0.004)
    metrics.observe_request("GET", "/api/v1/search", 200, 0.2)
    metrics.observe_answer("answered", "web")
    text = metrics.render({"generation": 3, "chunks": 10, "documents": None})
    value = partial(prometheus_value, text)
    assert value("ucc_http_requests_total", **SEARCH) == 2
    assert value("ucc_http_request_duration_seconds_bucket", route="/api/v1/search", le="0.005") == 1
    assert value("ucc_http_request_duration_seconds_bucket", route="/api/v1/search", le="0.25") == 2
    assert value("ucc_http_request_duration_seconds_count", route="/api/v1/search") == 2
    assert value("ucc_answers_total", status="answered", channel="web") == 1
    assert value("ucc_index_generation") == 3 and value("ucc_index_chunks") == 10
    assert "ucc_index_documents" not in text  # a missing figure is left out
    assert value("ucc_workers") == 1
    assert value("ucc_worker_resident_memory_bytes", worker=str(os.getpid())) > 1_000_000
    assert "_created" not in text
    assert Metrics().render().count("# TYPE") >= 5  # every metric is described before any count


def _worker(folder: str, seconds: float, answers: int) -> None:
    metrics = Metrics(folder)
    metrics.observe_request("GET", "/api/v1/search", 200, seconds)
    for _ in range(answers):
        metrics.observe_answer("answered", "web")


SCRAPE = """
import sys
from app.web.metrics import Metrics
print(Metrics(sys.argv[1]).render({"generation": 3}))
"""


def test_several_workers_are_summed_whichever_answers_the_scrape(tmp_path):
    # Two workers (processes of their own, as gunicorn forks them) count into one folder; a third
    # process started with the folder in PROMETHEUS_MULTIPROC_DIR, as `ucc serve` starts workers,
    # answers the scrape with the sums, at once (no snapshot delay).
    folder = str(tmp_path / "metrics")
    context = multiprocessing.get_context("spawn")
    for seconds, answers in ((0.004, 0), (0.2, 2)):
        worker = context.Process(target=_worker, args=(folder, seconds, answers))
        worker.start()
        worker.join(60)
        assert worker.exitcode == 0
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder}
    done = subprocess.run([sys.executable, "-c", SCRAPE, folder], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    text = done.stdout
    value = partial(prometheus_value, text)
    assert value("ucc_http_requests_total", **SEARCH) == 2
    assert value("ucc_http_request_duration_seconds_bucket", route="/api/v1/search", le="0.005") == 1
    assert value("ucc_http_request_duration_seconds_bucket", route="/api/v1/search", le="0.25") == 2
    assert value("ucc_answers_total", status="answered", channel="web") == 2
    assert value("ucc_index_generation") == 3
    assert value("ucc_workers") == 3  # the two workers (exited, still counted) and the scraper
    assert "ucc_worker_resident_memory_bytes{" in text


def test_an_exited_workers_memory_leaves_the_page_but_its_counts_stay(tmp_path):
    from app.operations.httpserver import child_exit

    folder = tmp_path / "metrics"
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_worker, args=(str(folder), 0.01, 1))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    assert list(folder.glob(f"gauge_liveall_{worker.pid}.db"))

    class Exited:
        pid = worker.pid

    saved = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    try:
        child_exit(None, Exited())  # gunicorn's hook in the master
    finally:
        if saved is None:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR")
        else:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = saved
    assert not list(folder.glob(f"gauge_liveall_{worker.pid}.db"))
    assert list(folder.glob(f"counter_{worker.pid}.db"))
