"""``ucc serve``: the web face (API, widget, moderator console) under gunicorn.

Register it on the main group::

    main.add_command(serve_command)

What it does:

1. brings the index up to date with ``UCC_KNOWLEDGE_DIR`` (incremental, as ``ucc index``; skipped
   with ``--no-index``), in a child process so that the server's master process never loads
   PyTorch (forking a process that has started PyTorch's thread pools is unsafe);
2. runs gunicorn through its Python API with ``preload_app=False``: each worker builds its own
   app and loads the model and the live FAISS index once, when it starts, then serves;
3. prints the URLs of the widget demo, the console and the API docs.

Slow clients: the workers are gthread workers whose event loop reads each whole request before a
thread sees it (:class:`app.operations.httpserver.BufferedThreadWorker`), so a client trickling its headers
or body holds no thread; it has 10 s to send its request and is then disconnected. Measured with
tests/test_slow_clients.py (bench/RESULTS.md). ``ucc slack --http`` runs under the same options.

Sizing for a small machine: ``UCC_WORKERS`` processes (default 2) of ``UCC_THREADS`` threads
(default 1; keep-alive 5 s, at most 256 open connections a worker), and when
``UCC_TORCH_THREADS`` is 0 each worker's encoder (ONNX Runtime's intra-op threads, or PyTorch's)
gets ``cores // (workers × threads)`` threads (at least 1), so the workers do not fight over the
cores. Worker timeout 120 s (loading the model counts against it), graceful shutdown 30 s.

A newly built index generation (``ucc index`` or ``POST /api/v1/admin/reindex`` while serving) is
picked up by every worker on its next query, without a restart: a query reads the live generation
and its rows in one SQLite snapshot, and the previous generation's FAISS file stays on disk
(``UCC_KEEP_GENERATIONS``), so no request fails during the swap. ``kill -HUP <master pid>``
replaces the workers gracefully (e.g. after editing ``cities.yaml``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import click

from indexer.datafiles import METRICS_DIR
from indexer.errors import UccError
from indexer.settings import Settings, load_settings

log = logging.getLogger("ucc.serve")

TIMEOUT = 120
GRACEFUL_TIMEOUT = 30
KEEPALIVE = 5
WORKER_CONNECTIONS = 256  # open connections a worker holds (each may buffer a request of up to ~1 MB)
WORKER_CLASS = "app.operations.httpserver.BufferedThreadWorker"


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def torch_threads(settings: Settings, workers: int, threads: int, cores: int | None = None) -> int:
    """Encoder threads per worker (ONNX Runtime or PyTorch): the setting if given, else the cores
    shared out (at least 1)."""
    if settings.torch_threads > 0:
        return int(settings.torch_threads)
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, workers * threads))


def gunicorn_options(settings: Settings, host: str | None = None, port: int | None = None,
                     workers: int | None = None, threads: int | None = None) -> dict[str, Any]:
    """The gunicorn settings ``ucc serve`` runs with (the command-line options win over UCC_*)."""
    host = host or settings.host or "127.0.0.1"
    port = int(port if port is not None else settings.port)
    workers = max(1, int(workers or settings.workers))
    threads = max(1, int(threads or settings.threads))
    return {
        "bind": [bind_address(host, port)],
        "workers": workers,
        "threads": threads,
        "worker_class": WORKER_CLASS,  # gthread, reading whole requests before a thread sees them
        "worker_connections": WORKER_CONNECTIONS,
        "preload_app": False,  # each worker loads the model and the index itself, once
        "timeout": TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": KEEPALIVE,
        "proc_name": "ucc-serve",
        "errorlog": "-",
        "loglevel": "info",
        "accesslog": None,  # the question log and /metrics say what happened; no IPs in files
        # nor in error lines: the worker's own error pages log the problem, not the address
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        # gunicorn >= 25 opens a control socket at one fixed path per user; two servers (or a
        # server and a test) would fight over it. Reload with kill -HUP <master pid> instead.
        "control_socket_disable": True,
    }


def page_urls(host: str, port: int) -> dict[str, str]:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("localhost" if host == "::" else host)
    base = f"http://{bind_address(shown, port)}"
    return {"demo": f"{base}/widget/demo", "console": f"{base}/console", "api_docs": f"{base}/api/v1/docs",
            "health": f"{base}/healthz"}


def warm(app) -> None:
    """Load the model, the live FAISS index and the query path now, not at the first request;
    sentence embeddings for answers are filled in a background thread."""
    assistant = app.extensions["ucc.assistant"]
    app.extensions["ucc.warm"] = False
    try:
        assistant.warm()
    except UccError as exc:  # no index yet: serve anyway; /readyz says 503 until there is one
        log.warning("not warmed up: %s", exc.message)
        return

    def fill() -> None:
        try:
            assistant.warm_answers()
            app.extensions["ucc.warm"] = True
        except Exception:  # warming is an optimisation; a failure here must not stop the worker
            log.exception("could not warm the answer cache")

    threading.Thread(target=fill, name="ucc-warm", daemon=True).start()


def make_server(options: dict[str, Any], metrics_dir: Path, environ: dict[str, str] | None = None):
    """A gunicorn application; each worker calls ``load()`` after the fork."""
    from app.operations.httpserver import wsgi_server

    settings = load_settings(environ)

    def load():
        from app.web import create_app

        app = create_app(load_settings(environ, metrics_dir=str(metrics_dir), gunicorn_reload=True))
        warm(app)
        return app

    return wsgi_server(options, load, max_body_bytes=settings.max_body_bytes)


def reset_metrics(metrics_dir: Path) -> None:
    """Empty the workers' metrics folder and make it prometheus_client's multiprocess folder
    (``PROMETHEUS_MULTIPROC_DIR``) before gunicorn forks them."""
    from app.web.metrics import reset_folder

    reset_folder(metrics_dir)


def refresh_index() -> None:
    """``ucc index -q`` in a child process (the master must not load PyTorch before forking)."""
    done = subprocess.run([sys.executable, "-m", "app", "index", "--quiet"], check=False)
    if done.returncode != 0:
        raise click.ClickException("the index could not be built; see the message above (or use --no-index)")


@click.command("serve")
@click.option("--host", help="Address to bind (default UCC_HOST: 127.0.0.1, this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default UCC_PORT: 8000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default UCC_WORKERS: 2).")
@click.option("--threads", type=click.IntRange(1, 64), help="Threads per worker (default UCC_THREADS: 1).")
@click.option("--no-index", is_flag=True, help="Serve the index as it is; do not refresh it first.")
def serve_command(host, port, workers, threads, no_index):
    """Serve the API, the widget and the moderator console with gunicorn.

    Refreshes the index first (only what changed), then starts the workers; each loads the
    model and the index once. A rebuilt index is picked up without a restart. Stop with Ctrl-C.

    Example: ucc serve --port 8000
    """
    settings = load_settings()
    options = gunicorn_options(settings, host, port, workers, threads)
    if not no_index:
        refresh_index()
    os.environ["UCC_TORCH_THREADS"] = str(torch_threads(settings, options["workers"], options["threads"]))
    metrics_dir = Path(settings.metrics_dir) if settings.metrics_dir else settings.data_dir / METRICS_DIR
    reset_metrics(metrics_dir)
    host_, _, port_ = options["bind"][0].rpartition(":")
    urls = page_urls(host_.strip("[]"), int(port_))
    click.echo(f"Serving on {options['bind'][0]} with {options['workers']} worker(s) x {options['threads']} "
               f"thread(s); stop with Ctrl-C.")
    click.echo(f"  Widget demo:        {urls['demo']}")
    click.echo(f"  Moderator console:  {urls['console']}" + ("" if settings.admin_token else
                                                            "  (set UCC_ADMIN_TOKEN to open it)"))
    click.echo(f"  API docs:           {urls['api_docs']}")
    sys.stdout.flush()
    make_server(options, metrics_dir).run()
