"""What questions in other languages cost: making the multilingual vectors, a search, a worker's memory.

Against the live index of UCC_DATA_DIR (build it first: `ucc index`): the time to make the
generation's multilingual vectors (passages, whole documents, the corpus's words; as on the first
question in another language of a generation), the search latency of the 100 questions of
../shared/eval/toolkit-dev-multilingual and of the 40 English ones of ../shared/eval/toolkit-dev
(each timed alone, after one warm-up round, so the query-vector cache does not help: every string
is timed once), and the resident memory of one process after an English, a Spanish and a routed
question with the answer caches warm (what a web worker holds).

    UCC_DATA_DIR=var .venv/bin/python bench/crosslingual_cost.py [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _common import SHARED, emit, median, percentile, rss_mib

from app.assistant import Assistant
from indexer import store as st
from indexer.search import _STOPWORDS
from indexer.settings import load_settings


def _queries(folder: Path, name: str) -> list[str]:
    path = folder / name / "queries.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _latency(searcher, queries: list[str]) -> dict:
    times = []
    for q in queries:
        t = time.perf_counter()
        searcher.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    return {"queries": len(queries), "p50_ms": round(median(times), 1), "p90_ms": round(percentile(times, 90), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=SHARED / "eval", help="folder of the eval sets")
    args = parser.parse_args()
    assistant = Assistant(load_settings())
    assistant.warm()
    searcher = assistant.searcher
    db = searcher._db()
    xl = searcher._crosslingual()
    gen = searcher.live()
    t = time.perf_counter()
    rows = db.execute(
        "SELECT c.id, c.doc, d.title, c.section, c.text FROM chunks c JOIN documents d ON d.id = c.doc "
        f"WHERE {st.live_clause()} ORDER BY c.doc, c.ordinal", {"gen": gen.id}).fetchall()
    field = xl._make(rows, _STOPWORDS)  # made again, whatever is kept: the cost of a new generation
    make_s = time.perf_counter() - t
    searcher.warm_crosslingual()
    multilingual, english = _queries(args.eval, "toolkit-dev-multilingual"), _queries(args.eval, "toolkit-dev")
    _latency(searcher, [q + " " for q in multilingual[:20] + english[:10]])  # warm-up, other strings
    result = {
        "generation": gen.id,
        "chunks": len(field.ids), "documents": len(field.documents), "words": len(field.words),
        "make_vectors_s": round(make_s, 1),
        "vectors_mib": round(sum(a.nbytes for a in (field.chunks, field.documents, field.word_vectors)) / 2**20, 1),
        "search_other_languages": _latency(searcher, multilingual),
        "search_english": _latency(searcher, english),
    }
    assistant.warm_answers()
    for question in ("How do residents report problems in public space?",
                     "¿Cómo informan los vecinos de problemas en la vía pública?", "¿Qué puntuación tiene Madrid?"):
        assistant.ask(question)
    result["rss_mib_after_asks"] = round(rss_mib(), 0)
    emit("crosslingual_cost", result)


if __name__ == "__main__":
    main()
