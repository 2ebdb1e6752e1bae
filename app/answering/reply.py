"""The one result the assistant returns for every question, whatever the route.

:class:`Reply` holds the status, the plain-text answer (readable sentences, no internal labels), the
structured parts beside it and the citations, so that each face renders them its own way:

- ``{"type": "score_table", "title", "columns", "rows", "colours"?, "totals"?, "note"}``: sub-indicators
  by row, one column per member, values "yes/total";
- ``{"type": "cities", "title", "items": [{"slug", "name", "why", "url", ...}]}``: members with the reason;
- ``{"type": "examples", "title", "items": [{"title", "city_name", "summary", "url", ...}]}``;
- ``{"type": "table", "title", "columns", "rows"}``: any other small table;
- ``{"type": "citations", "items": [{"n", "title", "url", "city_name", ...}]}``: the sources quoted.

The text builders here turn each route's data into the sentences an official reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SELF_ASSESSMENT = "self-assessment"


@dataclass
class Reply:
    question: str
    status: str  # answered | need_more_detail | cannot_answer
    intent: str  # answer | scores | ranking | similar | learn_from | examples | members | dashboard | compare | awards
    answer: str = ""
    parts: list[dict] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    route: dict = field(default_factory=dict)
    conversation_id: str | None = None
    resolved_question: str = ""
    follow_up: str = "new"
    route_failed: bool = False  # the router chose a capability that found nothing; a cited answer instead
    language: str = "und"  # the question's language (ISO 639-1; "und": taken as English)
    reason: str | None = None
    related: list[dict] = field(default_factory=list)
    peers: list[dict] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    nearest: list[dict] = field(default_factory=list)
    clarifying_options: list[dict] = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    label: str = "extractive"
    notes: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    timings_ms: dict = field(default_factory=dict)
    generation: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return out

    @classmethod
    def from_answer(cls, result: dict[str, Any], intent: str, route: dict) -> Reply:
        """A cited answer (``AnswerResult.to_dict()``) as a Reply, with its citations as a part."""
        known = set(cls.__dataclass_fields__)
        reply = cls(**{k: v for k, v in result.items() if k in known and k not in ("intent", "route")},
                    intent=intent, route=route)
        if reply.citations:
            reply.parts.append({"type": "citations", "items": reply.citations})
        return reply


def data_citation(n: int, source: dict[str, Any]) -> dict[str, Any]:
    """A citation of the knowledge base's data files (member list, dashboard), shaped as a passage's."""
    return {"n": n, "doc_id": None, "title": source.get("title", ""), "source": source.get("source", ""),
            "url": source.get("url"), "city": None, "city_name": None, "kind": "data", "snippet": "",
            "page": None, "section": ""}


# -- text and parts of the routed answers -------------------------------------------------------


def _city_url(slug: str) -> str:
    return f"/api/v1/cities/{slug}"


def scores_reply(data: dict, subindicator: str | None = None) -> tuple[str, list[dict]]:
    subs = data.get("subindicators", [])
    head = (f"{data['name']} scores {data['percent']}% on the UserCentriCities dashboard "
            f"(self-assessment, revision {data.get('revision')}), rank {data.get('rank')} of {data.get('of')}")
    if data.get("published_rank") and data.get("published_rank") != data.get("rank"):
        head += f"; the dashboard itself shows it at rank {data['published_rank']}"
    focus = [s for s in subs if s["id"] == subindicator]
    if focus:
        s = focus[0]
        body = f"On {s['id']} {s['name']} it answered yes to {s['yes']} of {s['total']} questions."
    else:
        strong = [f"{s['id']} {s['name']}" for s in subs if s["fraction"] >= 0.999][:3]
        weak = [f"{s['id']} {s['name']} ({s['yes']} of {s['total']})"
                for s in sorted(subs, key=lambda s: s["fraction"])[:3] if s["fraction"] < 0.999]
        body = (f"Full marks on {', '.join(strong)}. " if strong else "") + (
            f"Weakest: {', '.join(weak)}." if weak else "")
    text = f"{head}. {body} Source: {data.get('source')}.".replace("  ", " ")
    table = {"type": "score_table", "title": f"{data['name']}, revision {data.get('revision')} ({SELF_ASSESSMENT})",
             "columns": ["Sub-indicator", data["name"]],
             "rows": [[f"{s['id']} {s['name']}", f"{s['yes']}/{s['total']}"] for s in subs],
             "colours": [[s["colour"]] for s in subs], "totals": [data["percent"]],
             "note": "Each member answers the dashboard's yes/no questions about itself; not audited."}
    return text, [table]


def ranking_reply(data: dict) -> tuple[str, list[dict]]:
    rows = data.get("ranking", [])
    top = ", ".join(f"{r['rank']}. {r['name']} {r['percent']}%" for r in rows[:5])
    text = (f"Highest overall scores on the UserCentriCities dashboard (self-assessment, revision "
            f"{data.get('revision')}): {top}. Source: {data.get('source')}.")
    items = [{"slug": r["city"], "name": r["name"], "why": f"rank {r['rank']}, {r['percent']}%",
              "rank": r["rank"], "percent": r["percent"], "url": _city_url(r["city"])} for r in rows]
    return text, [{"type": "cities", "title": f"Dashboard ranking, revision {data.get('revision')} ({SELF_ASSESSMENT})",
                   "items": items}]


def similar_reply(data: dict) -> tuple[str, list[dict]]:
    matches = data.get("matches", [])
    if not matches:
        return f"No member is close enough to {data['name']} to suggest.", []
    listed = "; ".join(f"{m['name']} ({m['why'].replace('; ', ', ')})" for m in matches[:3])
    text = f"Members most like {data['name']}: {listed}."
    items = [{"slug": m["city"], "name": m["name"], "why": m["why"], "score": m.get("score"),
              "url": _city_url(m["city"])} for m in matches]
    return text, [{"type": "cities", "title": f"Members most like {data['name']}", "items": items}]


def learn_from_reply(data: dict) -> tuple[str, list[dict]]:
    text = data.get("summary", "")
    items = []
    for f in data.get("focus", []):
        for p in f.get("peers", []):
            items.append({"slug": p["city"], "name": p["name"], "why": p.get("why", ""),
                          "subindicator": f.get("subindicator"), "url": _city_url(p["city"])})
    return text, [{"type": "cities", "title": f"Whom {data.get('name')} could learn from", "items": items}]


def examples_reply(topic: str, items: list[dict]) -> tuple[str, list[dict]]:
    if not items:
        return f"No service or case in the knowledge base is close enough to “{topic}”.", []
    listed = "; ".join(f"{e['title']} ({e.get('city_name') or e.get('city')})" for e in items)
    text = f"Examples on “{topic}”: {listed}."
    return text, [{"type": "examples", "title": f"Examples: {topic}", "items": [
        {k: e.get(k) for k in ("title", "city", "city_name", "country", "year", "kind", "summary", "url", "doc_id")}
        for e in items]}]
