"""What the examples finder returns: examples, guides, and sub-indicators with their strong members.

Plain dataclasses with ``to_dict`` for the JSON faces; :class:`app.network.examples.pack.SessionPack`
gathers them for one UserCentriCafé session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXAMPLE_KINDS = ("service", "case")
GUIDE_KIND = "guide"


@dataclass
class Example:
    """One service or case that illustrates a topic."""

    title: str
    city: str | None  # slug
    city_name: str | None
    country: str | None
    year: int | None
    kind: str | None
    summary: str
    url: str | None
    doc_id: str
    source: str
    score: float  # raw cosine similarity of the entry's best passage to the topic
    award: dict[str, Any] | None = None
    subindicators: list[str] = field(default_factory=list)
    principles: list[str] = field(default_factory=list)
    member: bool = True
    tags: list[str] = field(default_factory=list)
    status: str | None = None
    has_outcomes: bool = False
    services: list[str] = field(default_factory=list)  # services a case is about (slugs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "city": self.city,
            "city_name": self.city_name,
            "country": self.country,
            "year": self.year,
            "kind": self.kind,
            "summary": self.summary,
            "url": self.url,
            "doc_id": self.doc_id,
            "source": self.source,
            "score": round(self.score, 4),
            "award": self.award,
            "subindicators": list(self.subindicators),
            "principles": list(self.principles),
            "member": self.member,
        }


@dataclass
class Guide:
    """A toolkit guide worth reading before the session."""

    title: str
    source: str
    doc_id: str
    score: float
    sections: list[str] = field(default_factory=list)  # the sections that matched the topic
    subindicators: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "source": self.source,
            "doc_id": self.doc_id,
            "score": round(self.score, 4),
            "sections": list(self.sections),
            "subindicators": list(self.subindicators),
        }


@dataclass
class StrongCity:
    """A member green on a sub-indicator: its Yes answers ("yes/n") and their fraction."""

    city: str  # slug
    name: str
    score: str  # "yes/n"
    fraction: float

    def to_dict(self) -> dict[str, Any]:
        return {"city": self.city, "name": self.name, "score": self.score, "fraction": round(self.fraction, 4)}


@dataclass
class RelatedSubindicator:
    """A dashboard sub-indicator the examples and guides are tagged with, and who is green on it."""

    id: str
    name: str
    entries: int  # examples and guides tagged with it
    revision: str | None
    strong: list[StrongCity] = field(default_factory=list)
    in_revision: bool = True  # False: the latest revision has no such sub-indicator

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "entries": self.entries,
            "revision": self.revision,
            "in_revision": self.in_revision,
            "strong_cities": [s.to_dict() for s in self.strong],
        }

