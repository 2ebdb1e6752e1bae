"""``ucc serve``: gunicorn sizing, and a real server on 127.0.0.1 that keeps answering while ten
rebuilt index generations swap in: no failed request, every response from one whole generation."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from app.commands.serve import bind_address, gunicorn_options, page_urls, serve_command, torch_threads
from indexer.settings import load_settings

from .conftest import REPO, prometheus_value, write
from .ports import free_port


def test_defaults_bind_this_machine_only_with_two_workers():
    opts = gunicorn_options(load_settings({}))
    assert opts["bind"] == ["127.0.0.1:8000"]
    assert opts["workers"] == 2 and opts["threads"] == 1
    assert opts["worker_class"] == "app.operations.httpserver.BufferedThreadWorker"  # gthread that buffers requests
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


MARKER = """---
title: Permit office code word
kind: guide
---

# Permit office code word

Notice {n}: the permit office's digital desk publishes the code word {word} so that residents can confirm
an appointment online.
"""
EXTRA = """---
title: Extra notice {n}
kind: guide
---

# Extra notice {n}

Extra notice {n} explains how residents renew a parking permit online in a few steps.
"""
WORDS = ["amber", "birch", "cedar", "dune", "ember", "fjord", "grove", "heath", "inlet", "juniper", "kelp"]
REBUILDS = 10


def _post(conn: http.client.HTTPConnection, path: str, payload: dict) -> tuple[int, bytes, str]:
    conn.request("POST", path, body=json.dumps(payload), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read(), r.getheader("Connection", "")


def _words_in(text: str) -> set[str]:
    return {w for w in WORDS if w in text.lower()}


def _extras_in(titles) -> set[int]:
    return {int(t.rsplit(" ", 1)[1]) for t in titles if t.startswith("Extra notice ")}


@pytest.mark.model
def test_serving_while_ten_rebuilds_swap_in(tmp_path, real_embedder):
    """Searches and answers keep coming while ten rebuilds with changed content swap in: no
    request fails, and every response comes from one whole generation (its code word, its extra
    notice and its citations all belong to the generation the response names)."""
    from indexer.build import build_index

    kb = tmp_path / "kb"
    write(kb / "snow.md", SNOW)
    write(kb / "marker.md", MARKER.format(n=0, word=WORDS[0]))
    write(kb / "extra-0.md", EXTRA.format(n=0))
    data = tmp_path / "var"
    port = free_port()
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

        searches: list[tuple[int, list[dict]]] = []
        answers: list[dict] = []
        failures: list[str] = []
        stop = threading.Event()

        def hammer(kind: str) -> None:
            conn = None
            while not stop.is_set():
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if kind == "search":
                        conn.request("GET", "/api/v1/search?q=" + quote("permit office code word") + "&k=5")
                        r = conn.getresponse()
                        status, payload, connection = r.status, r.read(), r.getheader("Connection", "")
                    else:
                        status, payload, connection = _post(
                            conn, "/api/v1/ask", {"question": "Which code word does the permit office publish?"})
                    if status != 200:
                        failures.append(f"{kind}: {status} {payload[:200]!r}")
                    else:
                        doc = json.loads(payload)
                        if kind == "search":
                            searches.append((doc["generation"], doc["hits"]))
                        else:
                            answers.append(doc)
                    if connection.lower() == "close":
                        conn.close()
                        conn = None
                except Exception as exc:  # any failure of the request counts
                    failures.append(f"{kind}: {exc!r}")
                    if conn is not None:
                        conn.close()
                    conn = None

        threads = [threading.Thread(target=hammer, args=(kind,)) for kind in ("search", "search", "ask")]
        for t in threads:
            t.start()
        settings = load_settings({}, UCC_DATA_DIR=str(data), UCC_KNOWLEDGE_DIR=str(kb))
        try:
            time.sleep(0.5)
            for n in range(1, REBUILDS + 1):
                write(kb / "marker.md", MARKER.format(n=n, word=WORDS[n]))
                (kb / f"extra-{n - 1}.md").unlink()
                write(kb / f"extra-{n}.md", EXTRA.format(n=n))
                report = build_index([kb], settings, embedder=real_embedder)
                assert report.generation == gen0 + n
                deadline = time.time() + 20  # let the service answer from this generation before the next
                while time.time() < deadline and not any(g == gen0 + n for g, _ in searches[-10:]):
                    time.sleep(0.05)
                time.sleep(0.3)
            deadline = time.time() + 30
            while time.time() < deadline and not (
                    len(searches) >= 10 and all(g == gen0 + REBUILDS for g, _ in searches[-10:])):
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join(60)

        assert not failures, failures[:5]
        seen = {g for g, _ in searches}
        assert len(searches) >= 50 and len(answers) >= 5, (len(searches), len(answers))
        assert len(seen) >= REBUILDS, f"only generations {sorted(seen)} were served"
        assert all(g == gen0 + REBUILDS for g, _ in searches[-10:])
        for g, hits in searches:  # one whole generation per search response
            n = g - gen0
            assert 0 <= n <= REBUILDS
            marker = [h for h in hits if h["title"] == "Permit office code word"]
            assert marker, hits
            text = " ".join(p["text"] for h in marker for p in h["passages"])
            assert _words_in(text) == {WORDS[n]}, (g, text)
            assert _extras_in(h["title"] for h in hits) <= {n}, (g, [h["title"] for h in hits])
        answered = [a for a in answers if a["status"] == "answered"]
        assert answered, [a["status"] for a in answers]
        for a in answers:  # and per answer: citations, related items and text from one generation
            n = a["generation"] - gen0
            assert 0 <= n <= REBUILDS, a["generation"]
            titles = [c["title"] for c in a["citations"]] + [r["title"] for r in a["related"]]
            assert _extras_in(titles) <= {n}, (a["generation"], titles)
            texts = [a["answer"]] + [c.get("snippet") or "" for c in a["citations"]]
            assert _words_in(" ".join(texts)) <= {WORDS[n]}, (a["generation"], texts)
        assert any(WORDS[a["generation"] - gen0] in a["answer"] for a in answered)

        deadline = time.time() + 10  # each worker publishes its counts within a second
        while True:
            status, body = _get(port, "/metrics")
            text = body.decode()
            if 'route="/api/v1/search",status="200"}' in text or time.time() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and prometheus_value(text, "ucc_index_generation") == gen0 + REBUILDS
        assert prometheus_value(text, "ucc_http_requests_total", method="GET", route="/api/v1/search",
                                status="200") >= 50, text
        assert prometheus_value(text, "ucc_answers_total", status="answered", channel="web") >= 1, text
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
