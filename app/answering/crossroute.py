"""Routing a question in another language by its meaning, not by English cue words.

The router (app/answering/router.py) reads English phrasing. A question such as "¿Qué puntuación tiene
Madrid?" names a member but none of its English cues, so it would get a cited answer instead of
Madrid's scores. Here the multilingual encoder (indexer/crosslingual.py) compares the question with
one English exemplar per routed intent, filled with the member it names; the closest exemplar wins
when it is close enough and clearly ahead of the next, and the question is routed as that exemplar.

Thresholds from a handful of questions in es/it/de/fr/nl (bench/RESULTS.md): intended routes scored
0.68–0.92 with a margin of 0.1 or more; questions about a member's services 0.49–0.57.
"""

from __future__ import annotations

import numpy as np

MIN_SIMILARITY = 0.65
MIN_MARGIN = 0.08
EXEMPLARS = {
    "scores": "How does {city} score on the dashboard?",
    "similar": "Which cities are similar to {city}?",
    "learn_from": "Who should {city} learn from?",
}


def english_question(question: str, city_name: str, encode) -> str | None:
    """The English question a non-English ``question`` about ``city_name`` stands for, or None.
    ``encode(texts)`` gives the multilingual encoder's unit vectors."""
    filled = [t.format(city=city_name) for t in EXEMPLARS.values()]
    vecs = encode([question] + filled)
    sims = vecs[1:] @ vecs[0]
    order = np.argsort(-sims)
    best, second = float(sims[order[0]]), float(sims[order[1]])
    if best >= MIN_SIMILARITY and best - second >= MIN_MARGIN:
        return filled[int(order[0])]
    return None
