"""Fusion of the retrievers' scores: convex combinations of min-max-normalised scores, and
reciprocal rank fusion. indexer/search.py chooses which (bench/RESULTS.md) and re-exports them.
"""

from __future__ import annotations

from typing import Iterable


def _ranking(scores: dict[int, float]) -> list[int]:
    return sorted(scores, key=lambda k: -scores[k])


def _minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return {k: 1.0 for k in scores}
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def fuse_convex(bm25: dict[int, float], dense: dict[int, float], weight: float) -> dict[int, float]:
    """weight · dense + (1 − weight) · BM25, each min-max normalised over the candidates."""
    b, d = _minmax(bm25), _minmax(dense)
    return {k: weight * d.get(k, 0.0) + (1 - weight) * b.get(k, 0.0) for k in set(b) | set(d)}


def fuse_weighted(scores: list[dict[int, float]], weights: Iterable[float]) -> dict[int, float]:
    """Σ weight · score, each list of scores min-max normalised; a key missing from one counts 0 there."""
    out: dict[int, float] = {}
    for one, weight in zip(scores, weights):
        for key, value in _minmax(one).items():
            out[key] = out.get(key, 0.0) + weight * value
    return out


def fuse_rrf(rankings: list[list[int] | dict[int, float]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion: Σ 1 / (k + rank). A ranking is a list of keys, best first, or a
    dict of scores, where equal scores share the better rank (1, 2, 2, 4), so that identical
    passages fuse to identical scores whatever order a retriever listed them in."""
    out: dict[int, float] = {}
    for ranking in rankings:
        ranks = _tied_ranks(ranking) if isinstance(ranking, dict) else {key: r for r, key in enumerate(ranking, 1)}
        for key, rank in ranks.items():
            out[key] = out.get(key, 0.0) + 1.0 / (k + rank)
    return out


def _tied_ranks(scores: dict[int, float]) -> dict[int, int]:
    ranks: dict[int, int] = {}
    previous, rank = None, 0
    for position, key in enumerate(_ranking(scores), 1):
        if scores[key] != previous:
            previous, rank = scores[key], position
        ranks[key] = rank
    return ranks
