"""Retrieval evaluation on a BEIR-layout data set.

``queries.jsonl`` ({"_id", "text"} per line) and ``qrels/test.tsv``
(query-id, corpus-id, graded score, with a header line). Corpus ids are file
paths relative to the corpus folder, or the ``_id`` of a ``corpus.jsonl``.
Metrics use graded gains: nDCG@k with gain = relevance (linear, as in
pytrec_eval/BEIR), Recall@k over documents with relevance > 0, MRR@k of the
first relevant document.
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .errors import DatasetError


@dataclass
class Dataset:
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    corpus_file: Path | None  # corpus.jsonl beside the queries, if any
    langs: dict[str, str] = field(default_factory=dict)  # query id -> its "lang" field, where the file gives one


def load_dataset(directory: Path, split: str = "test") -> Dataset:
    directory = Path(directory)
    qfile = directory / "queries.jsonl"
    rfile = directory / "qrels" / f"{split}.tsv"
    for f in (qfile, rfile):
        if not f.exists():
            raise DatasetError(f"{f} is missing: a BEIR data set has queries.jsonl and qrels/{split}.tsv.")
    queries: dict[str, str] = {}
    langs: dict[str, str] = {}
    for n, line in enumerate(qfile.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            queries[str(obj["_id"])] = str(obj["text"])
            if obj.get("lang"):
                langs[str(obj["_id"])] = str(obj["lang"])
        except (ValueError, KeyError, TypeError):
            raise DatasetError(f"{qfile}: line {n} is not a {{\"_id\", \"text\"}} object.") from None
    qrels: dict[str, dict[str, int]] = {}
    with rfile.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    for n, row in enumerate(rows, 1):
        if not row or (n == 1 and row[0].strip().lower() in {"query-id", "query_id", "qid"}):
            continue
        if len(row) < 3:
            raise DatasetError(f"{rfile}: line {n} needs query-id, corpus-id and score.")
        try:
            score = int(float(row[2]))
        except ValueError:
            raise DatasetError(f"{rfile}: line {n}: score {row[2]!r} is not a number.") from None
        qrels.setdefault(row[0].strip(), {})[row[1].strip()] = score
    queries = {q: t for q, t in queries.items() if q in qrels}
    if not queries:
        raise DatasetError(f"{directory}: no query has relevance judgements.")
    corpus = directory / "corpus.jsonl"
    return Dataset(queries, qrels, corpus if corpus.exists() else None,
                   {q: lang for q, lang in langs.items() if q in queries})


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], rels: dict[str, int], k: int = 10) -> float:
    gains = [rels.get(d, 0) for d in ranked[:k]]
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    best = dcg(ideal)
    return dcg(gains) / best if best > 0 else 0.0


def recall_at_k(ranked: Sequence[str], rels: dict[str, int], k: int = 10) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], rels: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k], 1):
        if rels.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def score_run(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = 10) -> dict[str, float]:
    """Mean nDCG@k, Recall@k and MRR@k over the judged queries."""
    qids = [q for q in qrels if q in run]
    if not qids:
        return {f"ndcg@{k}": 0.0, f"recall@{k}": 0.0, f"mrr@{k}": 0.0}
    return {
        f"ndcg@{k}": sum(ndcg_at_k(run[q], qrels[q], k) for q in qids) / len(qids),
        f"recall@{k}": sum(recall_at_k(run[q], qrels[q], k) for q in qids) / len(qids),
        f"mrr@{k}": sum(mrr_at_k(run[q], qrels[q], k) for q in qids) / len(qids),
    }


def evaluate(
    dataset_dir: Path,
    corpus_dir: Path | None,
    settings,
    modes: Sequence[str] = ("hybrid", "bm25", "dense"),
    embedder=None,
    store_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    k: int = 10,
) -> dict:
    """Index the corpus into a throw-away store and score every mode."""
    from .build import build_index
    from .search import Searcher
    from .settings import load_settings

    data = load_dataset(dataset_dir)
    if corpus_dir is None:
        if data.corpus_file is None:
            raise DatasetError("Give --corpus DIR, or put a corpus.jsonl in the data set folder.")
        corpus_path = data.corpus_file
    else:
        corpus_path = Path(corpus_dir)
        if not corpus_path.exists():
            raise DatasetError(f"{corpus_path} does not exist.")
    with tempfile.TemporaryDirectory(prefix="ucc-eval-") as tmp:
        data_dir = Path(store_dir) if store_dir else Path(tmp)
        local = load_settings(dict(settings.values), UCC_DATA_DIR=str(data_dir))
        report = build_index([corpus_path], local, embedder=embedder, progress=progress)
        searcher = Searcher(local, embedder=embedder)
        results: dict[str, dict[str, float]] = {}
        by_lang: dict[str, dict[str, dict[str, float]]] = {}
        for mode in modes:
            run = {}
            for i, (qid, text) in enumerate(data.queries.items()):
                hits = searcher.search(text, k=k, mode=mode).hits
                run[qid] = [h.doc_id for h in hits]
                if progress:
                    progress(f"queries ({mode})", i + 1, len(data.queries))
            results[mode] = {name: round(v, 4) for name, v in score_run(run, data.qrels, k).items()}
            for lang in sorted(set(data.langs.values())):  # a "lang" field in the queries: per language too
                sub = {q: r for q, r in run.items() if data.langs.get(q) == lang}
                by_lang.setdefault(lang, {})[mode] = {
                    name: round(v, 4) for name, v in score_run(sub, {q: data.qrels[q] for q in sub}, k).items()}
        searcher.store.close()
        return {
            "default_mode": settings.search_mode,
            "modes": results,
            "by_language": by_lang,
            "queries": len(data.queries),
            "documents": report.documents,
            "chunks": report.chunks,
            "skipped": report.skipped,
        }
