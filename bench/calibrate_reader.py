"""Calibrate the reader's weights (app/answering/compose.py: SENTENCE_WEIGHT, PASSAGE_WEIGHT, TYPE_BONUS,
FOCUS_WEIGHT, TYPED_MARGIN, OFF_SUBJECT_PENALTY) by
cross-validation over answer-quality question files (the answers-dev format).

Every combination of the grid answers every question once (the assistant's caches make later
passes cheap); then, for each of K folds, the combination that passes most questions of the other
folds is chosen and scored on the held-out fold. The cross-validated figure is what a choice of
weights is worth on questions it was not tuned on; compare it with the defaults' own figure.

    .venv/bin/python bench/calibrate_reader.py ../shared/eval/answers-dev/qa.jsonl \
        tests/data/answers-heldout/qa.jsonl --folds 5 --json

Only questions the cited-answer route takes matter (routed ones do not use these weights), so the
grid runs over those alone. Needs the knowledge/ index (``ucc index``).
"""

from __future__ import annotations

import argparse
import itertools
import random

from _common import REPO, emit  # noqa: F401 (sys.path)

# The first calibration (2026-12-04) searched SENTENCE_WEIGHT 0.45/0.55/0.7, PASSAGE_WEIGHT 0/0.15/0.3
# and TYPE_BONUS 0-0.12; the second (2026-12-05) added FOCUS_WEIGHT (0-0.3: 0.05-0.2 lost nothing at
# SENTENCE_WEIGHT 0.45, 0.3 lost one) and TYPED_MARGIN around the chosen values; the third
# (2026-12-05, later) OFF_SUBJECT_PENALTY at the values chosen before.
GRID = {
    "SENTENCE_WEIGHT": [0.45],
    "PASSAGE_WEIGHT": [0.15],
    "TYPE_BONUS": [0.08],
    "FOCUS_WEIGHT": [0.15],
    "TYPED_MARGIN": [0.3],
    "OFF_SUBJECT_PENALTY": [0.0, 0.1, 0.15, 0.25],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="question files in the answers-dev format")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import app.answering.compose as compose
    from app.operations.answer_eval import check, load_cases
    from app.assistant import Assistant
    from indexer.settings import load_settings

    assistant = Assistant(load_settings({"UCC_KNOWLEDGE_DIR": str(REPO / "knowledge"), **__import__("os").environ}))
    cases = [c for f in args.files for c in load_cases(f)]
    cited = [c for c in cases if assistant.ask(c.q)["intent"] == "answer"]
    defaults = {k: getattr(compose, k) for k in GRID}
    combos = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    passed: list[list[bool]] = []
    for combo in combos:
        for k, v in combo.items():
            setattr(compose, k, v)
        passed.append([check(c, assistant.ask(c.q)).passed for c in cited])
    for k, v in defaults.items():
        setattr(compose, k, v)

    order = list(range(len(cited)))
    random.Random(args.seed).shuffle(order)
    folds = [order[i::args.folds] for i in range(args.folds)]
    cv_passed, chosen = 0, []
    for held in folds:
        train = [i for i in order if i not in held]
        best = max(range(len(combos)), key=lambda j: (sum(passed[j][i] for i in train), -j))
        chosen.append(combos[best])
        cv_passed += sum(passed[best][i] for i in held)
    default_j = next((j for j, c in enumerate(combos) if c == defaults), None)
    result = {
        "files": args.files, "questions": len(cases),
        "cited_route": len(cited), "folds": args.folds, "grid": GRID,
        "cross_validated_passed": cv_passed,
        "defaults": defaults,
        "defaults_passed": sum(passed[default_j]) if default_j is not None else None,
        "best_in_sample": max(sum(p) for p in passed),
        "chosen_per_fold": chosen,
        "passed_by_combination": [{**c, "passed": sum(p)} for c, p in zip(combos, passed)],
    }
    if args.json:
        emit("calibrate_reader", result)
    else:
        print(f"{len(cited)} of {len(cases)} questions take the cited-answer route")
        print(f"defaults {defaults}: {result['defaults_passed']}/{len(cited)} pass")
        print(f"{args.folds}-fold cross-validated: {cv_passed}/{len(cited)} pass "
              f"(best in sample {result['best_in_sample']})")
        for i, c in enumerate(chosen, 1):
            print(f"  fold {i}: {c}")
        for row in result["passed_by_combination"]:
            print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
