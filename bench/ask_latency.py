"""Latency of ``Answerer.ask`` (extractive) on the knowledge index, with the real model.

knowledge/ is indexed into a temporary folder; a mixed question set is then asked one question at
a time: answerable questions (tests/data/answerable.jsonl), unanswerable ones
(tests/data/unanswerable.jsonl), vague ones, and conversations with follow-ups ("and in Spain?",
"who else does that?", "how did they measure it?"), with a conversation store on disk.

Three figures: the first pass (cold: sentence embeddings not cached yet, as for a fresh process),
the following passes (warm: the usual case for a running assistant; each pass words the questions
differently, so every query is embedded afresh and only passage sentences are cached), and the
first pass of a new Answerer that called ``Answerer.warm()`` at start-up. Each is p50/p99 over every
question, with the median time of each stage.

    .venv/bin/python bench/ask_latency.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import REPO, emit, median, percentile, rss_mib

from app.answering.answerer import Answerer
from app.network.catalog import Catalog
from app.answering.conversations import ConversationStore
from indexer.build import build_index
from indexer.embedders import get_embedder
from indexer.search import Searcher
from indexer.settings import load_settings

VAGUE = ["services", "digital", "help", "Ghent", "Any good examples?"]
CONVERSATIONS = [
    ["How do cities run participatory budgets?", "and in Spain?", "who else does that?"],
    ["How did Helsinki offer pre-primary education places without parents applying?", "how did they measure it?",
     "who else does that?"],
    ["How does Rotterdam let residents report problems in public space?", "what about Paris?", "did it work?"],
    ["How do we make sure residents without digital skills are not left behind?", "and in Belgium?",
     "tell me more"],
]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def workload() -> list[list[str]]:
    """Sessions: one-question sessions and multi-turn conversations, interleaved."""
    answerable = [x["question"] for x in read_jsonl(REPO / "tests" / "data" / "answerable.jsonl")]
    unanswerable = [x["question"] for x in read_jsonl(REPO / "tests" / "data" / "unanswerable.jsonl")]
    singles = answerable + unanswerable[::2] + VAGUE
    sessions: list[list[str]] = []
    for i, q in enumerate(singles):
        sessions.append([q])
        if i % 10 == 0:
            sessions.append(CONVERSATIONS[(i // 10) % len(CONVERSATIONS)])
    return sessions


# Each warm pass words the questions a little differently, so that every question is new to the
# query-vector caches (as in real use) while the passages are the same.
PREFIXES = ["", "Quick question: ", "A colleague asks: ", "I was wondering, ", "Please tell me: ", "Hello! ",
            "For our team: ", "One more: "]


def run(answerer: Answerer, sessions: list[list[str]], prefix: str = "") -> tuple[list[float], dict[str, list[float]], dict[str, int]]:
    lat: list[float] = []
    stages: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    for session in sessions:
        cid = None
        for i, q in enumerate(session):
            q = prefix + q if i == 0 else q  # follow-ups stay short; their resolved text still changes
            t = time.perf_counter()
            r = answerer.ask(q, conversation=cid)
            lat.append((time.perf_counter() - t) * 1000)
            cid = r.conversation_id
            key = r.status + (f"/{r.reason}" if r.reason else "")
            statuses[key] = statuses.get(key, 0) + 1
            for k, v in r.timings_ms.items():
                stages.setdefault(k, []).append(v)
    return lat, stages, statuses


def summary(lat: list[float], stages: dict[str, list[float]]) -> dict:
    return {
        "asks": len(lat),
        "p50_ms": round(median(lat), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "mean_ms": round(statistics.fmean(lat), 2),
        "max_ms": round(max(lat), 2),
        "stage_median_ms": {k: round(median(v), 2) for k, v in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="Warm passes over the question set.")
    args = parser.parse_args()
    load_start = [round(x, 2) for x in os.getloadavg()]  # other processes on the machine skew latency
    tmp = Path(tempfile.mkdtemp(prefix="ucc-ask-"))
    try:
        settings = load_settings({}, UCC_DATA_DIR=str(tmp / "var"))
        embedder = get_embedder(settings)
        t = time.perf_counter()
        report = build_index([REPO / "knowledge"], settings, embedder=embedder)
        build_s = time.perf_counter() - t
        catalog = Catalog.load(REPO / "knowledge")
        searcher = Searcher(settings, embedder=embedder)
        searcher.search("warm up the model and the index")
        sessions = workload()

        answerer = Answerer(searcher, catalog, ConversationStore.from_settings(settings))
        cold_lat, cold_stages, statuses = run(answerer, sessions)
        warm_lat: list[float] = []
        warm_stages: dict[str, list[float]] = {}
        for r in range(args.rounds):
            lat, stages, _ = run(answerer, sessions, PREFIXES[1 + r % (len(PREFIXES) - 1)])
            warm_lat += lat
            for k, v in stages.items():
                warm_stages.setdefault(k, []).extend(v)

        fresh = Answerer(searcher, catalog, ConversationStore.from_settings(settings))
        t = time.perf_counter()
        sentences = fresh.warm()
        warm_s = time.perf_counter() - t
        pre_lat, pre_stages, _ = run(fresh, sessions, "Between us: ")

        emit("ask_latency", {
            "index": {"documents": report.documents, "chunks": report.chunks, "build_s": round(build_s, 1)},
            "questions_per_pass": sum(len(s) for s in sessions),
            "statuses_per_pass": statuses,
            "cold_first_pass": summary(cold_lat, cold_stages),
            "warm": {"rounds": args.rounds, **summary(warm_lat, warm_stages)},
            "after_warm_call": {"warm_s": round(warm_s, 2), "sentences_embedded": sentences,
                                **summary(pre_lat, pre_stages)},
            "target": "p50 <= 30 ms, p99 <= 80 ms",
            "load_average_at_start_and_end": [load_start, [round(x, 2) for x in os.getloadavg()]],
            "rss_mib": round(rss_mib(), 0),
        })
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
