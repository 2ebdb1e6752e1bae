"""What comes around a cited answer: related services of other members, the peers to call, notes.

- :func:`related`: services and case studies of other members close to the question that share a
  topical tag with the cited documents (or come close to the best document), then the services the
  cited documents list in their front matter; at most :data:`RELATED_MAX`, one per member.
- :func:`peers`: the members behind the citations and related items, with their documents.
- :func:`add_notes`: that benchmark figures are self-assessed, that a cited document is partly
  inferred, that no document of a member the question names answers it.
- :func:`tags`: a document's topical tags (award, membership and format tags left out), which
  also tell "who else does this?" which other members' documents are on the same topic.

``docs`` is every document of the index generation being answered from, by doc_id.
"""

from __future__ import annotations

import re
from typing import Sequence

from indexer.search import Hit

from app.answering.answers import AnswerResult, Citation, Related, link
from app.answering.conversations import Places, Resolution

RELATED_MAX = 4
RELATED_MARGIN = 0.15  # related services may sit this far below the best document (never below MIN_SCORE)
PEER_MARGIN = 0.15  # "who else?": another city's document this close to the best one counts as the same topic
TOPIC_TAGS = 3  # "same topic": sharing one of the first three tags of a document already cited
SELF_ASSESSMENT_NOTE = "Benchmark figures are the cities' own self-assessment."

_NON_TOPICAL_TAG = re.compile(r"award|member|^region$|^municipalities$|^mobile app$|^open source$|^cities$")

Documents = dict[str, Hit]


def related(hits: Sequence[Hit], citations: list[Citation], exclude: set, places: Places, floor: float,
            min_score: float, docs: Documents) -> list[Related]:
    """Services (and case studies) of other cities close to the question that share a topical tag
    with the cited documents (or come close to the best document: ``floor``), then the services the
    cited documents list; none of the members in ``exclude``."""
    cited = {c.doc_id for c in citations}
    out: list[Related] = []
    seen_cities: set = set()

    def add(doc: Hit) -> None:
        if doc.doc_id in cited or doc.city is None or doc.city in exclude or doc.city in seen_cities:
            return
        if any(r.doc_id == doc.doc_id for r in out) or len(out) >= RELATED_MAX:
            return
        seen_cities.add(doc.city)
        out.append(Related(doc.doc_id, doc.title, doc.city, places.city_name(doc.city), link(doc), doc.kind))

    topic = tags(docs, [c.doc_id for c in citations], head=TOPIC_TAGS)
    for h in hits:
        score = h.dense_score or 0.0
        if h.kind in ("service", "case") and score >= min_score \
                and (score >= floor or tags(docs, [h.doc_id]) & topic):
            add(h)
    for c in citations:
        doc = docs.get(c.doc_id)
        for slug in (doc.metadata.get("services") or []) if doc else []:
            svc = docs.get(f"services/{slug}.md") or next((d for d in docs.values() if d.doc_id.endswith(f"/{slug}.md")), None)
            if svc is not None:
                add(svc)
    return out


def others(hits: Sequence[Hit], res: Resolution, best: float, docs: Documents) -> list[Hit]:
    """"Who else?": other members' documents on the same topic: sharing a topical tag with what was
    cited before, or nearly as close to the subject as the best document (``best``)."""
    excluded = set(res.exclude_cities)
    topic = tags(docs, res.topic_doc_ids, head=TOPIC_TAGS)
    return [h for h in hits if h.city and h.city not in excluded
            and (tags(docs, [h.doc_id]) & topic or (h.dense_score or 0.0) >= best - PEER_MARGIN)]


def tags(docs: Documents, doc_ids: Sequence[str], head: int | None = None) -> set[str]:
    """The topical tags of these documents (award, membership and format tags left out); with
    ``head``, only each document's first ``head`` of them (front matter lists the main topic first)."""
    out: set[str] = set()
    for d in doc_ids:
        doc = docs.get(d)
        found = [str(t).strip().lower() for t in ((doc.metadata.get("tags") or []) if doc else [])]
        found = [t for t in found if t and not _NON_TOPICAL_TAG.search(t)]
        out.update(found[:head] if head else found)
    return out


def peers(citations: list[Citation], related_items: list[Related], places: Places) -> list[dict]:
    """The members behind the citations and related items, each with its documents."""
    found: dict[str, dict] = {}
    for item in [*citations, *related_items]:
        if item.city:
            peer = found.setdefault(item.city, {"city": item.city, "name": places.city_name(item.city),
                                                "doc_ids": []})
            peer["doc_ids"].append(item.doc_id)
    return list(found.values())


def add_notes(result: AnswerResult, question: str, res: Resolution, places: Places, docs: Documents) -> None:
    """What a reader of ``result`` should know about its sources."""
    if any(c.doc_id.startswith("benchmark/") or "benchmark" in c.doc_id for c in result.citations):
        result.notes.append(SELF_ASSESSMENT_NOTE)
    for c in result.citations:
        doc = docs.get(c.doc_id)
        if doc is not None and doc.metadata.get("confidence") == "inferred":
            result.notes.append(f"Parts of \u201c{c.title}\u201d are inferred rather than read in a source.")
    asked = [p for p in places.find(question) if p.facet == "city"]
    cited = {c.city for c in result.citations}
    if asked and res.kind == "new" and not res.filters.get("city"):
        missing = [p.name for p in asked if p.value not in cited]
        if missing:
            result.notes.append(f"Nothing from {', '.join(dict.fromkeys(missing))} answers this; "
                                "the answer comes from other members.")
