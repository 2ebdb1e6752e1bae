"""What a search returns: documents (:class:`Hit`) with their best passages (:class:`Passage`),
in a :class:`SearchResult`. indexer/search.py makes them; the assistant and the faces read them
(imported from ``indexer.search``, which re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Passage:
    chunk_id: str
    text: str
    section: str
    page: int | None
    score: float  # the mode's score (fused in hybrid mode): comparable within one query only
    dense: float | None = None  # raw cosine similarity to the query, comparable across queries
    bm25: float | None = None  # raw BM25 score (higher is better)

    def to_dict(self) -> dict:
        return {"chunk_id": self.chunk_id, "text": self.text, "section": self.section, "page": self.page,
                "score": round(self.score, 6), "dense": _round(self.dense), "bm25": _round(self.bm25)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass
class Hit:
    rank: int
    score: float
    doc_id: str
    source: str
    title: str
    kind: str | None
    city: str | None
    country: str | None
    year: int | None
    url: str | None
    format: str
    metadata: dict[str, Any]
    passages: list[Passage] = field(default_factory=list)

    @property
    def page(self) -> int | None:
        return self.passages[0].page if self.passages else None

    @property
    def snippet(self) -> str:
        return snippet(self.passages[0].text) if self.passages else ""

    @property
    def closest_passage(self) -> Passage | None:
        """The passage of highest raw cosine (None when the hit has no passages)."""
        return max(self.passages, key=lambda p: p.dense or 0.0, default=None)

    @property
    def dense_score(self) -> float | None:
        """The best raw cosine among the hit's passages (None in bm25 mode)."""
        values = [p.dense for p in self.passages if p.dense is not None]
        return max(values) if values else None

    def to_dict(self) -> dict:
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "kind": self.kind,
            "city": self.city,
            "country": self.country,
            "year": self.year,
            "url": self.url,
            "page": self.page,
            "snippet": self.snippet,
            "dense_score": _round(self.dense_score),
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass
class SearchResult:
    query: str
    mode: str
    generation: int
    hits: list[Hit]
    timings: dict[str, float]
    language: str = "und"  # the query's language (indexer.crosslingual.detect)
    encoder: str = ""  # the dense encoder used: the index's model, or the multilingual one for other languages
    english_query: str = ""  # another language's words carried over to the corpus's (CrossLingual.english_query)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "mode": self.mode,
            "language": self.language,
            "encoder": self.encoder,
            "generation": self.generation,
            "hits": [h.to_dict() for h in self.hits],
            "timings_ms": {k: round(v * 1000, 2) for k, v in self.timings.items()},
        }


def snippet(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"
