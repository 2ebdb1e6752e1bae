"""Latency of the city capabilities: ``similar``, ``learn_from`` and ``scores``, in process.

The knowledge base is indexed once into a temporary folder (or an existing data
folder is used), then one Catalog, Benchmark, CityDirectory and Searcher are
built, as a long-running face (Flask, Slack) would. Three kinds of figures:

- ``first_call``: the very first call of each capability on fresh objects
  (reads the YAML files, opens the index, embeds the first queries);
- ``first_per_city``: the first ``learn_from`` of every member, after the objects
  are warm but before any of its searches are cached (query embedding included);
- ``steady``: median and p99 over ``--calls`` calls rotating through all 26
  members under local names or typos ("Gent", "Milano", "Gothenberg"...).
  Wall-clock time, and the thread's CPU time (``steady_cpu``), which leaves out
  time spent waiting for a core: on a busy machine the wall-clock p99 shows the
  scheduler (4 ms ticks) more than the code.

``scores`` is ``Benchmark.city_scores`` for a member with a row plus the ranking
(what ``ucc scores`` computes), ``similar`` is basis ``all`` (k=5), ``learn_from``
is the default (3 weakest sub-indicators).

    .venv/bin/python bench/cities_latency.py [--calls 2000] [--embedder real|fake] [--data-dir DIR]

With ``--data-dir`` the index there is brought up to date (nothing is re-embedded
when the knowledge base has not changed) and kept.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, emit, median, percentile

from app.network.benchmark import Benchmark
from app.network.catalog import Catalog
from app.network.cities import CityDirectory
from app.network.learning import learn_from
from indexer.build import build_index
from indexer.search import Searcher
from indexer.settings import load_settings

# How officials might type the members' names: local forms, typos, any case.
NAMES = {
    "espoo": "Esbo", "milan": "Milano", "murcia": "murcia", "rotterdam": "Rotterdm", "tallinn": "Tallin",
    "emilia-romagna": "Emilia Romagna", "arezzo": "AREZZO", "barcelona": "Barcelonna", "catalonia": "Catalunya",
    "brussels-capital-region": "Bruxelles", "ghent": "Gent", "glasgow": "Glasgow", "gothenburg": "Gothenberg",
    "helsinki": "Helsingfors", "kronoberg": "Region Kronoberg", "kyiv": "Kiev", "lisbon": "Lisboa",
    "ljubljana": "Lubljana", "madrid": "madird", "mataro": "Mataro", "olesa-de-montserrat": "Olesa",
    "paris": "Paris", "porto": "Oporto", "riga": "Rīga", "terrassa": "Tarrasa", "utrecht": "Utrecht",
}


def fake_embedder():
    sys.path.insert(0, str(REPO))
    from tests.conftest import FakeEmbedder

    return FakeEmbedder()


CPU: list[float] = []


def timed(fn) -> float:
    """Wall-clock milliseconds of one call; the thread's CPU milliseconds go to CPU."""
    c = time.thread_time_ns()
    t = time.perf_counter()
    fn()
    wall = (time.perf_counter() - t) * 1000
    CPU.append((time.thread_time_ns() - c) / 1e6)
    return wall


def stats(values: list[float]) -> dict:
    return {"median_ms": round(median(values), 3), "p99_ms": round(percentile(values, 99), 3),
            "max_ms": round(max(values), 3), "calls": len(values)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="Timed calls per capability (steady state).")
    ap.add_argument("--embedder", choices=["real", "fake"], default="real",
                    help="real: the default model (query embedding included); fake: hashed words.")
    ap.add_argument("--data-dir", type=Path, help="Use the index in this data folder instead of building one.")
    args = ap.parse_args()

    knowledge = REPO / "knowledge"
    tmp = None
    if args.data_dir:
        settings = load_settings({}, UCC_DATA_DIR=str(args.data_dir), UCC_KNOWLEDGE_DIR=str(knowledge))
    else:
        tmp = Path(tempfile.mkdtemp(prefix="ucc-cities-bench-"))
        settings = load_settings({}, UCC_DATA_DIR=str(tmp), UCC_KNOWLEDGE_DIR=str(knowledge))
    embedder = fake_embedder() if args.embedder == "fake" else None
    try:
        t = time.perf_counter()
        report = build_index([knowledge], settings, embedder=embedder)
        build_s = time.perf_counter() - t
        searcher = Searcher(settings, embedder=embedder)
        if embedder is None:
            searcher.embedder.embed_query("warm up")  # load the model outside the timings

        # First calls on fresh objects: YAML parsing, opening the index, first embeddings.
        catalog = Catalog.load(knowledge)
        bench = Benchmark(catalog)
        directory = CityDirectory(catalog, searcher, bench)
        first = {
            "scores": timed(lambda: (bench.city_scores(directory.resolve("Gent").slug), bench.ranking())),
            "similar": timed(lambda: directory.similar("Gent", k=5, basis="all")),
            "learn_from": timed(lambda: learn_from(directory, bench, searcher, "Gent")),
        }

        slugs = [c.slug for c in catalog.cities]
        scored = sorted(bench.rows())
        first_per_city = [timed(lambda s=s: learn_from(directory, bench, searcher, NAMES.get(s, s))) for s in slugs]

        steady: dict[str, list[float]] = {"similar": [], "learn_from": [], "scores": []}
        cpu: dict[str, list[float]] = {"similar": [], "learn_from": [], "scores": []}
        for i in range(args.calls):
            slug = slugs[i % len(slugs)]
            name = NAMES.get(slug, slug)
            member = scored[i % len(scored)]
            calls = {
                "similar": lambda: directory.similar(name, k=5, basis="all"),
                "learn_from": lambda: learn_from(directory, bench, searcher, name),
                "scores": lambda: (bench.city_scores(directory.resolve(NAMES[member]).slug), bench.ranking()),
            }
            for op, fn in calls.items():
                steady[op].append(timed(fn))
                cpu[op].append(CPU[-1])
        for basis in ("benchmark", "context", "services"):
            steady[f"similar_{basis}"] = [
                timed(lambda s=s: directory.similar(NAMES[s], k=5, basis=basis))
                for s in (scored if basis == "benchmark" else slugs) * max(1, args.calls // 50)
                if basis != "services" or s in directory.documents()
            ]

        emit("cities_latency", {
            "embedder": searcher.embedder.name,
            "documents": report.documents,
            "chunks": report.chunks,
            "build_seconds": round(build_s, 1),
            "load_average": Path("/proc/loadavg").read_text().split()[:3],
            "first_call_ms": {k: round(v, 1) for k, v in first.items()},
            "learn_from_first_per_city": stats(first_per_city),
            "steady": {k: stats(v) for k, v in steady.items()},
            "steady_cpu": {k: stats(v) for k, v in cpu.items()},
            "target_ms": 5,
        })
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
