"""Shipping the index: ``ucc publish`` on a build host, ``ucc pull`` on a web host, at 1k and 10k
synthetic chunks, from a folder and over HTTP, while a searcher keeps searching the web host.

The corpus and the build are those of search_latency.py (random sentences, random unit vectors
through the real build code). For each size: publish (a snapshot of the live generation), publish
again (a no-op), pull from the folder into a fresh data folder, pull the next generation over HTTP
from a local ``http.server`` while two threads search that data folder without pause (searches
done and failed, p99), and pull again (a no-op). Timings are the reports' own ``seconds``.

    .venv/bin/python bench/ship_throughput.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from _common import emit, percentile
from search_latency import RandomPassages, make_corpus

from indexer.build import build_index
from indexer.embedders import get_embedder
from indexer.publish import publish
from indexer.pull import pull
from indexer.search import Searcher
from indexer.settings import load_settings


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _searching(searcher: Searcher, stop: threading.Event, lat: list, errors: list) -> None:
    queries = ["digital city services for residents", "school benefit granted automatically", "w12 w400 permit"]
    i = 0
    while not stop.is_set():
        t = time.perf_counter()
        try:
            searcher.search(queries[i % len(queries)], k=10)
            lat.append((time.perf_counter() - t) * 1000)
        except Exception as exc:  # noqa: BLE001 - counted
            errors.append(repr(exc))
        i += 1


def run(size: int, real) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="ucc-ship-"))
    try:
        make_corpus(tmp / "kb", size, random.Random(size))
        build = load_settings({}, UCC_DATA_DIR=str(tmp / "build"))
        web = load_settings({}, UCC_DATA_DIR=str(tmp / "web"))
        passages = RandomPassages(real)
        report = build_index([tmp / "kb"], build, embedder=passages)
        first = publish(build.data_dir, tmp / "pub")
        again = publish(build.data_dir, tmp / "pub")
        from_folder = pull(web, str(tmp / "pub"), embedder=real)
        (tmp / "kb" / "part00" / "doc0.md").write_text("---\ntitle: Changed\nkind: guide\n---\nOne new passage.\n")
        build_index([tmp / "kb"], build, embedder=passages)
        publish(build.data_dir, tmp / "pub")
        searcher = Searcher(web, embedder=real)
        searcher.search("warm up", k=10)
        stop, lat, errors = threading.Event(), [], []
        threads = [threading.Thread(target=_searching, args=(searcher, stop, lat, errors)) for _ in range(2)]
        server, url = _serve(tmp / "pub")
        try:
            for t in threads:
                t.start()
            time.sleep(1.0)
            over_http = pull(web, url, embedder=real)
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
            noop = pull(web, url, embedder=real)
            server.shutdown()
            server.server_close()
        return {"chunks": report.chunks, "published_bytes": first.bytes, "publish_s": round(first.seconds, 3),
                "publish_again_s": round(again.seconds, 3), "pull_folder_s": round(from_folder.seconds, 3),
                "pull_http_s": round(over_http.seconds, 3), "pull_noop_s": round(noop.seconds, 3),
                "generation_after": searcher.search("digital city", k=1).generation,
                "searches_during": len(lat), "search_errors": len(errors), "errors": errors[:3],
                "search_p50_ms": round(percentile(lat, 50), 2), "search_p99_ms": round(percentile(lat, 99), 2)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    real = get_embedder(load_settings({}))
    real.embed_query("warm up")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        rows.append(run(size, real))
        print(rows[-1], flush=True)
    emit("ship_throughput", {"sizes": rows})


if __name__ == "__main__":
    main()
