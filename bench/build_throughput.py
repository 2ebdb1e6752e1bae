"""Build throughput: chunks/s of a full `build_index` of ../shared/corpora with the real
model, against raw `model.encode` on exactly the same chunk texts; then the time of a
rebuild when nothing changed.

    .venv/bin/python bench/build_throughput.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import SHARED, emit, median

from indexer.build import build_index
from indexer.embedders import get_embedder
from indexer.settings import load_settings
from indexer.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpora")
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"{args.corpus} is missing: this benchmark needs ../shared/corpora")
    embedder = get_embedder(load_settings({}))
    embedder.embed_passages(["warm up the model"] * 8)
    build_rates, encode_rates, ratios, noop = [], [], [], []
    for _ in range(args.runs):
        tmp = Path(tempfile.mkdtemp(prefix="ucc-bench-"))
        try:
            settings = load_settings({}, UCC_DATA_DIR=str(tmp))
            report = build_index([args.corpus], settings, embedder=embedder)
            n = report.chunks_embedded
            build_rates.append(n / report.seconds)
            store = Store(tmp)
            texts = _embed_texts(store)
            store.close()
            t = time.perf_counter()
            embedder.model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True)
            raw = time.perf_counter() - t
            encode_rates.append(len(texts) / raw)
            ratios.append(build_rates[-1] / encode_rates[-1])
            again = build_index([args.corpus], settings, embedder=embedder)
            assert again.generation is None, "a no-change rebuild must not create a generation"
            noop.append(again.seconds)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    emit("build_throughput", {
        "corpus": str(args.corpus.resolve()),
        "documents": report.documents,
        "chunks": report.chunks,
        "runs": args.runs,
        "build_chunks_per_s_median": round(median(build_rates), 1),
        "raw_encode_chunks_per_s_median": round(median(encode_rates), 1),
        "ratio_build_to_raw_median": round(median(ratios), 3),
        "no_change_rebuild_s_median": round(median(noop), 3),
        "timings_last_build_s": report.timings,
    })


def _embed_texts(store: Store) -> list[str]:
    """The exact texts the build embedded: title and section header, then the passage."""
    rows = store.db.execute(
        "SELECT d.title, c.section, c.text FROM chunks c JOIN documents d ON d.id = c.doc ORDER BY c.id"
    ).fetchall()
    from indexer.chunking import header_for

    out = []
    for title, section, text in rows:
        header = header_for(title, tuple(section.split(" > ")) if section else ())
        out.append(f"{header}\n{text}" if header else text)
    return out


if __name__ == "__main__":
    main()
