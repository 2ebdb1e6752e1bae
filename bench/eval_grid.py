"""Design choices measured on the development set: chunk size, fusion method and weight.

Builds the dev corpus once per chunk size (stores are kept in bench/out/ so re-runs reuse
embeddings) and scores every fusion setting on ../shared/eval/toolkit-dev. Used to choose
the defaults; the held-out set is not available here, so prefer settings that are good over
a broad range, not the single best point.

    .venv/bin/python bench/eval_grid.py [--tokens 128,200,254] [--weights 0.3,0.4,0.5,0.6,0.7]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import REPO, SHARED, emit

from indexer.build import build_index
from indexer.embedders import get_embedder
from indexer.evaluation import load_dataset, score_run
from indexer.search import Searcher
from indexer.settings import load_settings


def run_all(searcher: Searcher, data, mode: str) -> dict:
    run = {q: [h.doc_id for h in searcher.search(t, k=10, mode=mode).hits] for q, t in data.queries.items()}
    return {k: round(v, 4) for k, v in score_run(run, data.qrels).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", default="128,200,254")
    parser.add_argument("--weights", default="0.3,0.4,0.5,0.6,0.7,0.8")
    parser.add_argument("--candidates", default="100")
    args = parser.parse_args()
    data = load_dataset(SHARED / "eval" / "toolkit-dev")
    embedder = get_embedder(load_settings({}))
    rows = []
    for tokens in [int(t) for t in args.tokens.split(",")]:
        store_dir = REPO / "bench" / "out" / f"evalstore-{tokens}"
        for cand in [int(c) for c in args.candidates.split(",")]:
            settings = load_settings({}, UCC_DATA_DIR=str(store_dir), UCC_CHUNK_TOKENS=tokens, UCC_CANDIDATES=cand)
            report = build_index([SHARED / "corpora"], settings, embedder=embedder)
            searcher = Searcher(settings, embedder=embedder)
            base = {"tokens": tokens, "candidates": cand, "chunks": report.chunks}
            for mode in ("bm25", "dense"):
                rows.append({**base, "mode": mode, **run_all(searcher, data, mode)})
                print(rows[-1], flush=True)
            searcher.fusion = "rrf"
            rows.append({**base, "mode": "hybrid-rrf60", **run_all(searcher, data, "hybrid")})
            print(rows[-1], flush=True)
            searcher.fusion = "convex"
            for w in [float(x) for x in args.weights.split(",")]:
                searcher.weight = w
                rows.append({**base, "mode": f"hybrid-convex-{w}", **run_all(searcher, data, "hybrid")})
                print(rows[-1], flush=True)
    emit("eval_grid", {"dataset": "toolkit-dev", "rows": rows})


if __name__ == "__main__":
    main()
