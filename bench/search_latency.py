"""In-process hybrid search latency at 1k, 10k and 100k chunks, and resident memory.

Synthetic documents (random sentences over a 2,000-word vocabulary) are indexed through the
real build code with random unit vectors standing in for passage embeddings (embedding 100k
passages with the model would take half an hour and is measured by build_throughput.py).
Queries are embedded by the real model, so the latency includes query encoding, FTS5 BM25,
FAISS exact search, fusion and grouping. Each query is timed alone, one after another, and every
query string is new (the searcher's query-vector cache never helps).

    .venv/bin/python bench/search_latency.py [--sizes 1000,10000,100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import emit, median, percentile, rss_mib

from indexer.build import build_index
from indexer.embedders import get_embedder
from indexer.search import Searcher
from indexer.settings import load_settings


class RandomPassages:
    """Random unit vectors for passages; the real model's tokenizer and name."""

    def __init__(self, real):
        self.real = real
        self.name = real.name
        self.dim = real.dim
        self.max_tokens = real.max_tokens
        self.passage_prefix = ""
        self.rng = np.random.default_rng(7)

    def count_tokens(self, texts):
        return self.real.count_tokens(texts)

    def embed_passages(self, texts):
        v = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_query(self, text):
        return self.real.embed_query(text)


def make_corpus(root: Path, chunks: int, rng: random.Random) -> None:
    vocab = [f"w{i}" for i in range(2000)] + "service residents digital city permit benefit parking school".split()
    per_doc = 10
    for d in range(chunks // per_doc):
        paras = []
        for p in range(per_doc):
            words = rng.choices(vocab, k=50)
            paras.append(f"## Section {p}\n\n" + " ".join(words) + ".")
        folder = root / f"part{d % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"doc{d}.md").write_text(f"---\ntitle: Document {d}\nkind: guide\ncity: c{d % 26}\n---\n"
                                           + "\n\n".join(paras))


QUERIES = [
    "how do residents apply for a parking permit online",
    "school benefit granted automatically",
    "digital city services for residents",
    "w12 w400 permit",
    "usability testing with residents",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    real = get_embedder(load_settings({}))
    real.embed_query("warm up")
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        tmp = Path(tempfile.mkdtemp(prefix="ucc-lat-"))
        try:
            make_corpus(tmp / "kb", size, random.Random(size))
            settings = load_settings({}, UCC_DATA_DIR=str(tmp / "var"))
            t = time.perf_counter()
            report = build_index([tmp / "kb"], settings, embedder=RandomPassages(real))
            build_s = time.perf_counter() - t
            searcher = Searcher(settings, embedder=real)
            row = {"chunks": report.chunks, "documents": report.documents, "build_s_without_model": round(build_s, 1)}
            for label, filters, tag in (("hybrid", None, "w"), ("hybrid_city_filter", {"city": "c3"}, "x")):
                for q in QUERIES[:3]:
                    searcher.search(q, filters=filters)  # warm up
                lat = []
                for i in range(args.queries):
                    # a new query string every time: the searcher's query-vector cache never helps
                    q = f"{QUERIES[i % len(QUERIES)]} {tag}{i}"
                    t = time.perf_counter()
                    searcher.search(q, k=10, filters=filters)
                    lat.append((time.perf_counter() - t) * 1000)
                row[label] = {"p50_ms": round(median(lat), 2), "p99_ms": round(percentile(lat, 99), 2)}
            lat = []
            for i in range(args.queries):
                t = time.perf_counter()
                searcher.search(QUERIES[i % len(QUERIES)], k=10, mode="bm25")
                lat.append((time.perf_counter() - t) * 1000)
            row["bm25_only"] = {"p50_ms": round(median(lat), 2), "p99_ms": round(percentile(lat, 99), 2)}
            row["rss_mib_after"] = round(rss_mib(), 0)
            results.append(row)
            print(row, flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    emit("search_latency", {"queries_per_size": args.queries, "sizes": results})


if __name__ == "__main__":
    main()
