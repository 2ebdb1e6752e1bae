"""Questions to ask next: suggested follow-ups of an answer, and clarifying options of a vague question.

Both are phrased so that the conversation's follow-up resolution
(:func:`app.answering.conversations.resolve`) understands them when they are asked back:
"How did Ghent measure the results?", "Who else does this?", "And in Madrid?"; an option is a
document's short title, with its member or "(guide)" when that tells it apart.
"""

from __future__ import annotations

import re
from typing import Sequence

from indexer.search import Hit

from app.answering.answers import AnswerResult, Option
from app.answering.conversations import Places, Resolution, short_title

MAX_FOLLOW_UPS = 3
MAX_OPTIONS = 4
OPTIONS_PER_KIND = 2  # at most this many options of one kind of document (guide, service, case ...)


def follow_ups(result: AnswerResult, res: Resolution, places: Places) -> list[str]:
    """Questions worth asking after ``result``, phrased so that follow-up resolution understands them."""
    out = []
    top = result.citations[0] if result.citations else None
    if top and top.kind in ("service", "case") and top.city and res.kind != "measure":
        out.append(f"How did {places.city_name(top.city)} measure the results?")
    if any(c.city for c in result.citations) or result.related:
        out.append("Who else does this?")
    cited = {c.city for c in result.citations}
    for r in result.related:
        if r.city and r.city not in cited:
            out.append(f"And in {r.city_name}?")
            break
    return list(dict.fromkeys(out))[:MAX_FOLLOW_UPS]


def options(hits: Sequence[Hit], places: Places) -> list[Option]:
    """Clarifying options for a question too broad to answer: the top hits, each once, a few of a kind."""
    out: list[Option] = []
    labels: set = set()
    for h in hits:
        label = _label(h, places)
        if label.casefold() in labels or sum(1 for o in out if o.kind == h.kind) >= OPTIONS_PER_KIND:
            continue
        labels.add(label.casefold())
        out.append(Option(label, re.sub(r"\s*\(guide\)$", "", label), h.doc_id, h.kind, h.city))
        if len(out) >= MAX_OPTIONS:
            break
    return out


def _label(hit: Hit, places: Places) -> str:
    head = short_title(hit.title)
    if hit.kind == "guide":
        return head if "guide" in head.lower() else f"{head} (guide)"
    if hit.city and places.city_name(hit.city).casefold() not in head.casefold():
        return f"{head} in {places.city_name(hit.city)}"
    return head
