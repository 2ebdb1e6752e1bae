"""Calibrate when the assistant answers: the least cosine of the best passage (MIN_SCORE) and the
scope similarity that tells outside_scope from no_content (SCOPE_MIN) in app/answering/gate.py.

Answerable questions: the 60 dev queries of ../shared/eval/toolkit-dev against an index of
../shared/corpora, and tests/data/answerable.jsonl against an index of knowledge/.
Unanswerable questions: tests/data/unanswerable.jsonl, asked of both indexes.

Every question is asked once with the thresholds switched off; the signals the Answerer computes
(best raw cosine, scope similarity, names the index never mentions) are then swept offline. The
threshold chosen maximises F0.5 of "answered" (a wrong answer costs more than a refusal); the
value reported is the median of the best thresholds over 1,000 bootstrap resamples of the
questions, so that no single query decides it. Prints one JSON object.

    .venv/bin/python bench/calibrate_answers.py [--corpus-store DIR] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from _common import REPO, SHARED, emit

from app.answering.answerer import Answerer
from app.answering.gate import MIN_SCORE, PLACE_COVERAGE_MIN, SCOPE_MIN
from app.network.catalog import Catalog
from indexer.build import build_index
from indexer.embedders import get_embedder
from indexer.evaluation import load_dataset
from indexer.search import Searcher
from indexer.settings import load_settings

DATA = REPO / "tests" / "data"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def open_index(paths: list[Path], data_dir: Path, embedder) -> Searcher:
    settings = load_settings({}, UCC_DATA_DIR=str(data_dir))
    build_index(paths, settings, embedder=embedder)  # a store already up to date re-embeds nothing
    return Searcher(settings, embedder=embedder)


def signals(answerer: Answerer, question: str) -> dict:
    result = answerer.ask(question)
    ev = result.evidence
    return {
        "top": ev.get("top_cosine", 0.0),
        "scope": ev.get("scope", 0.0),
        "coverage": ev.get("coverage", 0.0),
        "unknown_name": bool(ev.get("unknown_names")),
        "place_coverage": ev.get("place_coverage"),
        "vague": result.status == "need_more_detail",
        "cited": [c.doc_id for c in result.citations],
        "status": result.status,
    }


def answered(row: dict, t: float, use_names: bool = True, place_min: float | None = None) -> bool:
    """The Answerer's gates: best cosine, place-only matches, names unknown to the index."""
    place_min = PLACE_COVERAGE_MIN if place_min is None else place_min
    if row["top"] < t:
        return False
    if use_names and row["place_coverage"] is not None and row["place_coverage"] < place_min:
        return False
    return not (use_names and row["unknown_name"])


def prf(rows: list[dict], t: float, beta: float = 0.5, use_names: bool = True) -> dict:
    tp = sum(1 for r in rows if r["answerable"] and answered(r, t, use_names))
    fp = sum(1 for r in rows if not r["answerable"] and answered(r, t, use_names))
    fn = sum(1 for r in rows if r["answerable"] and not answered(r, t, use_names))
    tn = sum(1 for r in rows if not r["answerable"] and not answered(r, t, use_names))
    p = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    b2 = beta * beta
    f = (1 + b2) * p * rc / (b2 * p + rc) if p + rc else 0.0
    return {"threshold": round(t, 3), "precision": round(p, 4), "recall": round(rc, 4), "f0.5": round(f, 4),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def prf_place(rows: list[dict], t: float, c: float) -> dict:
    tp = sum(1 for r in rows if r["answerable"] and answered(r, t, place_min=c))
    fp = sum(1 for r in rows if not r["answerable"] and answered(r, t, place_min=c))
    fn = sum(1 for r in rows if r["answerable"] and not answered(r, t, place_min=c))
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else 1.0, "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0}


GRID = [round(0.15 + 0.005 * i, 3) for i in range(121)]  # 0.15 .. 0.75


def best_threshold(rows: list[dict], use_names: bool = True) -> float:
    scored = [(prf(rows, t, use_names=use_names)["f0.5"], t) for t in GRID]
    top = max(s for s, _ in scored)
    plateau = [t for s, t in scored if s >= top - 1e-9]
    return plateau[len(plateau) // 2]  # the middle of the best plateau


def dist(values: list[float]) -> dict:
    s = sorted(values)
    if not s:
        return {}
    q = lambda p: round(s[min(len(s) - 1, int(round(p * (len(s) - 1))))], 3)  # noqa: E731
    return {"n": len(s), "min": q(0), "p10": q(0.1), "p25": q(0.25), "p50": q(0.5), "p75": q(0.75), "p90": q(0.9),
            "max": q(1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-store", type=Path, help="Keep the ../shared/corpora index here (re-used if present).")
    parser.add_argument("--kb-store", type=Path, help="Keep the knowledge/ index here (re-used if present).")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--rows", type=Path, help="Also write every question's signals here (JSON lines).")
    args = parser.parse_args()
    t0 = time.perf_counter()
    embedder = get_embedder(load_settings({}))
    catalog = Catalog.load(REPO / "knowledge")
    tmp = Path(tempfile.mkdtemp(prefix="ucc-calib-"))
    try:
        kb = open_index([REPO / "knowledge"], args.kb_store or tmp / "kb", embedder)
        corpus_dir = args.corpus_store or tmp / "corpora"
        corpora = open_index([SHARED / "corpora"], corpus_dir, embedder)
        off = dict(min_score=0.0, scope_min=-1.0)
        kb_answerer = Answerer(kb, catalog, **off)
        corpus_answerer = Answerer(corpora, catalog, **off)

        dev = load_dataset(SHARED / "eval" / "toolkit-dev")
        answerable = read_jsonl(DATA / "answerable.jsonl")
        unanswerable = read_jsonl(DATA / "unanswerable.jsonl")
        rows: list[dict] = []
        for qid, text in dev.queries.items():
            rel = {d for d, g in dev.qrels[qid].items() if g > 0}
            rows.append({"set": "dev", "id": qid, "question": text, "answerable": True, "relevant": sorted(rel),
                         **signals(corpus_answerer, text)})
        for item in answerable:
            rows.append({"set": "knowledge", "id": item["id"], "question": item["question"], "answerable": True,
                         "relevant": item["doc_ids"], **signals(kb_answerer, item["question"])})
        for item in unanswerable:
            for name, ans in (("unanswerable@knowledge", kb_answerer), ("unanswerable@corpora", corpus_answerer)):
                rows.append({"set": name, "id": item["id"], "question": item["question"], "answerable": False,
                             "reason": item["reason"], "category": item.get("category"), **signals(ans, item["question"])})

        if args.rows:
            args.rows.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        chosen_full = best_threshold(rows)
        rng = random.Random(13)
        boots = []
        for _ in range(args.bootstrap):
            sample = [rows[rng.randrange(len(rows))] for _ in rows]
            boots.append(best_threshold(sample))
        boots.sort()
        chosen = boots[len(boots) // 2]
        interval = [boots[int(0.05 * (len(boots) - 1))], boots[int(0.95 * (len(boots) - 1))]]

        # Scope: among unanswerable questions refused, tell outside_scope from no_content.
        neg = [r for r in rows if not r["answerable"]]
        scope_grid = [round(0.05 + 0.005 * i, 3) for i in range(81)]

        def reason_acc(s: float) -> float:
            ok = sum(1 for r in neg if ("outside_scope" if r["scope"] < s else "no_content") == r["reason"])
            return ok / len(neg)

        accs = [(reason_acc(s), s) for s in scope_grid]
        best_acc = max(a for a, _ in accs)
        plateau = [s for a, s in accs if a >= best_acc - 1e-9]
        scope_chosen = plateau[len(plateau) // 2]
        pos_scope_below = sum(1 for r in rows if r["answerable"] and r["scope"] < scope_chosen)

        def per_set(t: float) -> dict:
            out = {}
            for name in ("dev", "knowledge", "unanswerable@knowledge", "unanswerable@corpora"):
                part = [r for r in rows if r["set"] == name]
                n_ans = sum(1 for r in part if answered(r, t))
                item = {"questions": len(part), "answered": n_ans}
                if part and part[0]["answerable"]:
                    good = sum(1 for r in part if answered(r, t) and set(r["cited"]) & set(r["relevant"]))
                    item["answered_citing_a_relevant_document"] = good
                out[name] = item
            return out

        def errors(t: float) -> dict:
            return {
                "answered_unanswerable": [f"{r['set']}:{r['id']} {r['question']} (cos {r['top']})" for r in rows
                                          if not r["answerable"] and answered(r, t)],
                "refused_answerable": [f"{r['set']}:{r['id']} {r['question'][:80]} (cos {r['top']})" for r in rows
                                       if r["answerable"] and not answered(r, t)],
            }

        result = {
            "questions": {"dev": len(dev.queries), "knowledge": len(answerable), "unanswerable": len(unanswerable)},
            "objective": "F0.5 of 'answered' (precision weighted), median over bootstrap resamples",
            "min_score": {
                "chosen": chosen,
                "best_on_all_rows": chosen_full,
                "bootstrap_90pct_interval": interval,
                "in_code_now": MIN_SCORE,
                "at_chosen": prf(rows, chosen),
                "at_chosen_cosine_only": prf(rows, chosen, use_names=False),
                "at_code_value": prf(rows, MIN_SCORE),
                "sweep": [prf(rows, t) for t in GRID[::4]],
            },
            "per_set_at_chosen": per_set(chosen),
            "errors_at_chosen": errors(chosen),
            "top_cosine_distributions": {
                name: dist([r["top"] for r in rows if r["set"] == name])
                for name in ("dev", "knowledge", "unanswerable@knowledge", "unanswerable@corpora")
            },
            "scope": {
                "chosen": scope_chosen,
                "in_code_now": SCOPE_MIN,
                "reason_accuracy_on_unanswerable": round(reason_acc(scope_chosen), 4),
                "answerable_below_it": pos_scope_below,
                "distributions": {
                    "answerable": dist([r["scope"] for r in rows if r["answerable"]]),
                    "outside_scope": dist([r["scope"] for r in neg if r["reason"] == "outside_scope"]),
                    "no_content": dist([r["scope"] for r in neg if r["reason"] == "no_content"]),
                },
            },
            "place_coverage": {
                "in_code": PLACE_COVERAGE_MIN,
                "answerable": dist([r["place_coverage"] for r in rows if r["answerable"] and r["place_coverage"] is not None]),
                "unanswerable": dist([r["place_coverage"] for r in rows
                                      if not r["answerable"] and r["place_coverage"] is not None]),
                "sweep_at_chosen_min_score": [
                    {"place_coverage_min": c, **prf_place(rows, chosen, c)} for c in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
                ],
            },
            "vague_flagged_answerable": [r["id"] for r in rows if r["answerable"] and r["vague"]],
            "seconds": round(time.perf_counter() - t0, 1),
        }
        emit("calibrate_answers", result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
