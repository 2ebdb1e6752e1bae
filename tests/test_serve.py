"""``ucc serve``: gunicorn sizing, and a real server on 127.0.0.1 that picks up a rebuilt index
without a restart and without a failed request."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from app.commands.serve import bind_address, gunicorn_options, page_urls, serve_command, torch_threads
from indexer.settings import load_settings

from .conftest import REPO, write


def test_defaults_bind_this_machine_only_with_two_workers():
    opts = gunicorn_options(load_settings({}))
    assert opts["bind"] == ["127.0.0.1:8000"]
    assert opts["workers"] == 2 and opts["threads"] == 1 and opts["worker_class"] == "gthread"
    assert opts["preload_app"] is False and opts["timeout"] >= 60 and opts["accesslog"] is None


def test_options_and_settings():
    s = load_settings({"UCC_HOST": "0.0.0.0", "UCC_PORT": "9000", "UCC_WORKERS": "3", "UCC_THREADS": "2"})
    opts = gunicorn_options(s)
    assert opts["bind"] == ["0.0.0.0:9000"] and opts["workers"] == 3 and opts["threads"] == 2
    opts = gunicorn_options(s, host="::1", port=8081, workers=1, threads=4)
    assert opts["bind"] == ["[::1]:8081"] and opts["workers"] == 1 and opts["threads"] == 4
    assert bind_address("127.0.0.1", 80) == "127.0.0.1:80"


def test_torch_threads_share_the_cores():
    s = load_settings({})
    assert torch_threads(s, 2, 1, cores=2) == 1
    assert torch_threads(s, 1, 1, cores=4) == 4
    assert torch_threads(s, 4, 2, cores=2) == 1
    assert torch_threads(load_settings({"UCC_TORCH_THREADS": "3"}), 2, 1, cores=2) == 3


def test_page_urls():
    urls = page_urls("0.0.0.0", 8000)
    assert urls == {"demo": "http://127.0.0.1:8000/widget/demo", "console": "http://127.0.0.1:8000/console",
                    "api_docs": "http://127.0.0.1:8000/api/v1/docs", "health": "http://127.0.0.1:8000/healthz"}


def test_help_has_an_example():
    out = CliRunner().invoke(serve_command, ["--help"]).output
    assert "Example: ucc serve" in out and "--no-index" in out and "--workers" in out


# --- a real server -------------------------------------------------------------------------------

SNOW = """---
title: Snow clearing routes
kind: guide
---

# Snow clearing routes

The city publishes the plough routes every winter morning so residents know which streets are cleared first.
"""
TRAM = """---
title: Tram tickets by text message
kind: service
city: tallinn
---

# Tram tickets by text message

Passengers buy a tram ticket by sending a text message; the ticket arrives as a reply within seconds.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _wait_ready(port: int, proc, deadline: float) -> None:
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the server exited")
        try:
            if _get(port, "/readyz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError("the server did not become ready in time")


@pytest.mark.model
def test_serve_picks_up_a_new_generation_without_a_failed_request(tmp_path, real_embedder):
    from indexer.build import build_index

    kb = tmp_path / "kb"
    write(kb / "snow.md", SNOW)
    data = tmp_path / "var"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCC_")}
    env.update(UCC_DATA_DIR=str(data), UCC_KNOWLEDGE_DIR=str(kb), UCC_RATE_LIMIT="0", UCC_WORKERS="2",
               UCC_THREADS="1", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from app.commands.serve import serve_command; serve_command(prog_name='ucc serve')",
             "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(port, proc, time.time() + 180)
        status, body = _get(port, "/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok"}
        status, body = _get(port, "/api/v1/search?q=" + quote("snow plough routes") + "&k=3")
        first = json.loads(body)
        assert status == 200 and first["hits"][0]["title"] == "Snow clearing routes"
        gen0 = first["generation"]

        results: list[tuple[int, int | None, list[str]]] = []
        failures: list[str] = []
        stop = threading.Event()

        def hammer() -> None:
            conn = None
            while not stop.is_set():
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("GET", "/api/v1/search?q=" + quote("tram ticket text message") + "&k=3")
                    r = conn.getresponse()
                    payload = r.read()
                    if r.status != 200:
                        failures.append(f"{r.status} {payload[:200]!r}")
                        continue
                    doc = json.loads(payload)
                    results.append((r.status, doc["generation"], [h["title"] for h in doc["hits"]]))
                    if r.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                except Exception as exc:  # any failure of the request counts
                    failures.append(repr(exc))
                    if conn is not None:
                        conn.close()
                    conn = None

        workers = [threading.Thread(target=hammer) for _ in range(2)]
        for t in workers:
            t.start()
        try:
            time.sleep(0.5)
            settings = load_settings({}, UCC_DATA_DIR=str(data), UCC_KNOWLEDGE_DIR=str(kb))
            write(kb / "tram.md", TRAM)
            assert build_index([kb], settings, embedder=real_embedder).generation == gen0 + 1
            write(kb / "snow.md", SNOW.replace("every winter morning", "every winter morning before six"))
            report = build_index([kb], settings, embedder=real_embedder)  # the first generation's file goes
            assert report.generation == gen0 + 2
            deadline = time.time() + 30
            while time.time() < deadline:
                if sum(1 for _, g, _ in results[-20:] if g == gen0 + 2) == 20:
                    break
                time.sleep(0.1)
        finally:
            stop.set()
            for t in workers:
                t.join(30)
        assert not failures, failures[:5]
        assert len(results) >= 20
        before = [r for r in results if r[1] == gen0]
        after = [r for r in results if r[1] == gen0 + 2]
        assert after and all(titles[0] == "Tram tickets by text message" for _, _, titles in after)
        assert all("Tram tickets by text message" not in titles for _, _, titles in before)
        assert all(g == gen0 + 2 for _, g, _ in results[-20:])

        status, body = _get(port, "/metrics")
        text = body.decode()
        assert status == 200 and f"ucc_index_generation {gen0 + 2}" in text
        assert 'route="/api/v1/search",status="200"}' in text
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    output = log_path.read_text()
    assert f"http://127.0.0.1:{port}/widget/demo" in output
    assert f"http://127.0.0.1:{port}/console" in output
    assert f"http://127.0.0.1:{port}/api/v1/docs" in output
    assert "Traceback" not in output, output[-3000:]
    assert proc.returncode == 0, output[-2000:]
