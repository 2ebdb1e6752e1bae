"""Latency of ``Assistant.reply`` for questions in other languages, on the live index.

The questions of tests/data/routes_multilingual.jsonl and routes_multilingual_heldout3.jsonl
(103 in es/it/de/fr/nl) are asked in one process: one pass to warm the caches, then ``--rounds``
passes; p50 and p95 of the last pass, for routed answers (scores, members, examples...) and cited
ones apart.

    .venv/bin/python bench/xl_reply_latency.py [--rounds 2]   # after `ucc index`
"""

from __future__ import annotations

import argparse
import json
import time

from _common import REPO, emit, median, percentile

from app.assistant import Assistant
from indexer.settings import load_settings

FILES = ("routes_multilingual.jsonl", "routes_multilingual_heldout3.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    questions = [json.loads(line)["q"] for name in FILES
                 for line in (REPO / "tests" / "data" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assistant = Assistant(load_settings())
    for q in questions:
        assistant.reply(q)
    times: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        times = {}
        for q in questions:
            t = time.perf_counter()
            reply = assistant.reply(q)
            ms = (time.perf_counter() - t) * 1000
            times.setdefault("cited" if reply.intent == "answer" else "routed", []).append(ms)
    emit("xl_reply_latency", {"questions": len(questions), "rounds": args.rounds,
                              **{kind: {"n": len(v), "p50_ms": round(median(v), 2), "p95_ms": round(percentile(v, 95), 2)}
                                 for kind, v in times.items()}})


if __name__ == "__main__":
    main()
