"""The summary of an example: the first sentences of its "In a nutshell" (service) or "Problem"
(case) section, verbatim, within about :data:`SUMMARY_CHARS` characters."""

from __future__ import annotations

from typing import Any

from indexer.errors import UccError
from indexer.search import Hit

from app.answering.sentences import split_sentences
from app.network.examples.hits import hit_city
from app.network.examples.model import EXAMPLE_KINDS

SUMMARY_CHARS = 240
SUMMARY_SECTIONS = ("in a nutshell", "problem")


def summarise(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first one or two sentences of ``text``, verbatim, within about ``limit`` characters."""
    parts = split_sentences(" ".join(text.split()))
    if not parts:
        return ""
    summary = parts[0]
    if len(parts) > 1 and len(summary) + 1 + len(parts[1]) <= limit:
        summary += " " + parts[1]
    if len(summary) > limit:
        cut = summary[: limit - 2].rsplit(" ", 1)[0].rstrip(",;:")
        summary = cut + " …"
    return summary



def _is_summary_section(section: str | None) -> bool:
    top = (section or "").split(" > ")[0].strip().lower()
    return top in SUMMARY_SECTIONS


def summary_passages(searcher, hits: list[Hit]) -> dict[str, str]:
    """doc_id -> the text of its "In a nutshell" (service) or "Problem" (case) passage."""
    out: dict[str, str] = {}
    wanted = {h.doc_id for h in hits}
    if not wanted:
        return out
    cities = {hit_city(h) for h in hits}
    flt: dict[str, Any] = {"kind": sorted({h.kind for h in hits if h.kind} or set(EXAMPLE_KINDS))}
    if None not in cities and all(h.city for h in hits):
        flt["city"] = sorted(cities)
    try:
        firsts = {d.doc_id: d for d in searcher.list_documents(flt, limit=5000) if d.doc_id in wanted}
    except UccError:
        firsts = {}
    for hit in hits:
        doc = firsts.get(hit.doc_id)
        first = doc.passages[0] if doc is not None and doc.passages else None
        if first is not None and _is_summary_section(first.section):
            out[hit.doc_id] = first.text
            continue
        matched = [p for p in hit.passages if _is_summary_section(p.section)]
        if matched:  # a best passage from the summary section (maybe not its start)
            out[hit.doc_id] = matched[0].text
        elif first is not None:
            out[hit.doc_id] = first.text
        elif hit.passages:
            out[hit.doc_id] = hit.passages[0].text
    return out
