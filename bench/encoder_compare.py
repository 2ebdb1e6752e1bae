"""Encoder backends side by side: PyTorch fp32, ONNX Runtime fp32, ONNX Runtime int8.

For each backend (UCC_EMBED_BACKEND = torch | onnx | onnx-int8):

(a) retrieval quality on ../shared/eval/toolkit-dev with ../shared/corpora: nDCG@10 in hybrid
    and dense mode, through the project's own evaluation (``indexer.evaluation.evaluate``, what
    ``ucc eval`` runs), the corpus indexed with that backend;
(b) single-query encode latency (``embed_query``, the dev set's 60 queries) p50 and p99, with
    1 intra-op thread (what ``ucc serve`` gives each of its 2 workers on 2 cores) and with every
    core (one process alone, e.g. ``ucc search``);
(c) batch passage throughput (``embed_passages`` on the exact chunk texts of the dev corpus,
    batches of UCC_EMBED_BATCH_SIZE = 32), with 1 thread and with every core (``ucc index``);
(d) resident memory of a fresh process after loading the backend and encoding one query.

The machine is shared, so timings interleave the backends: every round runs each backend in
turn (the order rotates), and the report gives per-backend medians over rounds and the median
of the per-round ratios to PyTorch. Needs the ONNX exports (``ucc model export``).

    .venv/bin/python bench/encoder_compare.py [--rounds 5] [--batch-rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import SHARED, emit, median, percentile, rss_mib

from indexer.embedders import OnnxEmbedder, SentenceTransformerEmbedder, resolve_model_path
from indexer.evaluation import evaluate, load_dataset
from indexer.onnx_export import find_export, onnx_dir
from indexer.settings import load_settings
from indexer.store import Store

BACKENDS = ("torch", "onnx", "onnx-int8")


def make_embedder(backend: str, threads: int):
    settings = load_settings({})
    path = resolve_model_path(settings)
    if backend == "torch":
        return SentenceTransformerEmbedder(path, threads=threads)
    return OnnxEmbedder(path, find_export(path, onnx_dir(settings), backend), backend, threads=threads)


def set_torch_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)  # process-wide: set before each PyTorch measurement


def chunk_texts(store_dir: Path) -> list[str]:
    """The texts the build embedded (title and section header, then the passage)."""
    from build_throughput import _embed_texts

    store = Store(store_dir)
    try:
        return _embed_texts(store)
    finally:
        store.close()


def quality(dataset: Path, corpus: Path, store_dir: Path) -> dict:
    out = {}
    for backend in BACKENDS:
        embedder = make_embedder(backend, threads=os.cpu_count() or 1)
        if backend == "torch":
            set_torch_threads(os.cpu_count() or 1)
        t = time.perf_counter()
        result = evaluate(dataset, corpus, load_settings({}), modes=("hybrid", "dense"), embedder=embedder,
                          store_dir=store_dir / backend)
        out[backend] = {mode: m["ndcg@10"] for mode, m in result["modes"].items()}
        out[backend]["eval_seconds"] = round(time.perf_counter() - t, 1)
        out[backend]["chunks"] = result["chunks"]
        print(backend, out[backend], flush=True)
    return out


def query_latency(queries: list[str], rounds: int, threads: int) -> dict:
    embedders = {b: make_embedder(b, threads) for b in BACKENDS}
    for b, e in embedders.items():
        if b == "torch":
            set_torch_threads(threads)
        for q in queries[:5]:
            e.embed_query(q)  # load and warm up
    p50s = {b: [] for b in BACKENDS}
    p99s = {b: [] for b in BACKENDS}
    for r in range(rounds):
        for b in BACKENDS[r % 3:] + BACKENDS[: r % 3]:
            if b == "torch":
                set_torch_threads(threads)
            lat = []
            for q in queries:
                t = time.perf_counter()
                embedders[b].embed_query(q)
                lat.append((time.perf_counter() - t) * 1000)
            p50s[b].append(median(lat))
            p99s[b].append(percentile(lat, 99))
    return _summary(p50s, p99s, unit="ms")


def batch_throughput(texts: list[str], rounds: int, threads: int) -> dict:
    embedders = {b: make_embedder(b, threads) for b in BACKENDS}
    for b, e in embedders.items():
        if b == "torch":
            set_torch_threads(threads)
        e.embed_passages(texts[:32])
    rates = {b: [] for b in BACKENDS}
    for r in range(rounds):
        for b in BACKENDS[r % 3:] + BACKENDS[: r % 3]:
            if b == "torch":
                set_torch_threads(threads)
            t = time.perf_counter()
            embedders[b].embed_passages(texts)
            rates[b].append(len(texts) / (time.perf_counter() - t))
    out = {}
    for b in BACKENDS:
        out[b] = {"passages_per_s_median": round(median(rates[b]), 1), "per_round": [round(x, 1) for x in rates[b]]}
        if b != "torch":
            out[b]["ratio_to_torch_median"] = round(median([x / y for x, y in zip(rates[b], rates["torch"])]), 2)
    return out


def _summary(p50s: dict, p99s: dict, unit: str) -> dict:
    out = {}
    for b in BACKENDS:
        out[b] = {f"p50_{unit}_median": round(median(p50s[b]), 2), f"p99_{unit}_median": round(median(p99s[b]), 2),
                  f"p50_{unit}_per_round": [round(x, 2) for x in p50s[b]]}
        if b != "torch":
            out[b]["p50_ratio_to_torch_median"] = round(median([x / y for x, y in zip(p50s[b], p50s["torch"])]), 3)
            out[b]["p99_ratio_to_torch_median"] = round(median([x / y for x, y in zip(p99s[b], p99s["torch"])]), 3)
    return out


def rss_of(backend: str) -> dict:
    """Load one backend in a fresh process; its RSS after one query, and the load time."""
    done = subprocess.run([sys.executable, __file__, "--rss-child", backend], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rss_child(backend: str) -> None:
    t = time.perf_counter()
    embedder = make_embedder(backend, threads=1)
    embedder.embed_query("how do residents apply for a parking permit")
    print(json.dumps({"rss_mib": round(rss_mib()), "load_and_first_query_s": round(time.perf_counter() - t, 2)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="Interleaved rounds of the query-latency runs.")
    parser.add_argument("--batch-rounds", type=int, default=3, help="Interleaved rounds of the batch runs.")
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "toolkit-dev")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora")
    parser.add_argument("--rss-child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return
    for path in (args.dataset, args.corpus):
        if not path.exists():
            raise SystemExit(f"{path} is missing: this benchmark needs ../shared/eval and ../shared/corpora")
    cores = os.cpu_count() or 1
    queries = list(load_dataset(args.dataset).queries.values())
    with tempfile.TemporaryDirectory(prefix="ucc-encoders-") as tmp:
        ndcg = quality(args.dataset, args.corpus, Path(tmp))
        texts = chunk_texts(Path(tmp) / "torch")
    result = {"cores": cores, "queries": len(queries), "passages": len(texts), "ndcg@10": ndcg}
    for b in BACKENDS[1:]:
        result["ndcg@10"][b]["hybrid_share_of_torch"] = round(ndcg[b]["hybrid"] / ndcg["torch"]["hybrid"], 4)
        result["ndcg@10"][b]["dense_share_of_torch"] = round(ndcg[b]["dense"] / ndcg["torch"]["dense"], 4)
    result["query_latency_1_thread"] = query_latency(queries, args.rounds, threads=1)
    print("1 thread", json.dumps(result["query_latency_1_thread"]), flush=True)
    result[f"query_latency_{cores}_threads"] = query_latency(queries, args.rounds, threads=cores)
    print(f"{cores} threads", json.dumps(result[f"query_latency_{cores}_threads"]), flush=True)
    result["batch_throughput_1_thread"] = batch_throughput(texts, args.batch_rounds, threads=1)
    print("batch 1 thread", json.dumps(result["batch_throughput_1_thread"]), flush=True)
    result[f"batch_throughput_{cores}_threads"] = batch_throughput(texts, args.batch_rounds, threads=cores)
    print(f"batch {cores} threads", json.dumps(result[f"batch_throughput_{cores}_threads"]), flush=True)
    result["rss_fresh_process"] = {b: rss_of(b) for b in BACKENDS}
    emit("encoder_compare", result)


if __name__ == "__main__":
    main()
