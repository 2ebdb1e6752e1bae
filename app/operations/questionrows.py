"""What a row of the question log says, in the log's and in a moderator's words.

The values the log accepts (:data:`CHANNELS`, :data:`STATUSES`, :data:`RATINGS`) and the limits of
what it keeps; times as unix seconds and ISO 8601 (:func:`iso`, :func:`epoch`); what an ask row
becomes for the console and the API (:func:`ask_row`); a status and a route in plain words
(:func:`outcome`, :func:`route_words`); and what the log keeps of an answer
(:func:`ask_details` from the assistant's result; the first sources, the start of the answer, a
rewritten follow-up).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from indexer.errors import InvalidRequest

CHANNELS = ("web", "widget", "slack", "cli")
RATINGS = ("up", "down")
STATUSES = ("answered", "need_more_detail", "cannot_answer", "error")
UNANSWERED = ("need_more_detail", "cannot_answer", "error")
MAX_QUESTION_CHARS = 2000
MAX_COMMENT_CHARS = 2000
MAX_SOURCES = 5
MAX_ANSWER_CHARS = 300  # the start of the answer given, for moderators (the assistant's words)
# What a moderator reads for each status and reason.
OUTCOMES = {
    ("answered", None): "answered",
    ("need_more_detail", None): "asked for more detail",
    ("cannot_answer", "outside_scope"): "could not answer: outside the network's scope",
    ("cannot_answer", "no_content"): "could not answer: nothing in the knowledge base",
    ("cannot_answer", None): "could not answer",
    ("error", None): "failed: an error on our side",
}
# The routes in a moderator's words (the assistant's intents).
ROUTES = {
    "answer": "cited answer",
    "scores": "dashboard scores",
    "ranking": "dashboard ranking",
    "similar": "similar members",
    "learn_from": "peers to learn from",
    "examples": "examples",
    "members": "members",
    "dashboard": "dashboard overview",
    "compare": "comparison",
    "awards": "awards",
}

ASK_COLUMNS = ("a.id, a.at, a.question, a.status, a.intent, a.reason, a.channel, a.sources, a.latency_ms, "
               "a.generation, a.answer, a.resolved_question, a.follow_up, a.route, a.route_failed, a.language")


def epoch(value: Any, default: float | None = None) -> float | None:
    """A point in time as unix seconds: a number, an ISO 8601 string, a datetime, or None."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidRequest("A time must be a date, a date and time, or unix seconds.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{text[:40]!r} is not a date (use YYYY-MM-DD or an ISO 8601 date and time).") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")



def ask_row(row: Sequence[Any]) -> dict[str, Any]:
    out = {"answer_id": row[0], "asked_at": iso(row[1]), "question": row[2], "status": row[3], "intent": row[4],
           "reason": row[5], "channel": row[6], "sources": json.loads(row[7] or "[]"), "latency_ms": row[8],
           "generation": row[9], "answer": row[10], "resolved_question": row[11], "follow_up": row[12],
           "route": row[13], "route_failed": bool(row[14]), "language": row[15]}
    out["outcome"] = outcome(out["status"], out["reason"])
    return out


def outcome(status: str | None, reason: str | None = None) -> str:
    """A status (and a cannot-answer reason) in a moderator's words: "answered", "asked for more
    detail", "could not answer: outside the network's scope", "could not answer: nothing in the
    knowledge base". A reason that is not a known code is said as it is."""
    known = OUTCOMES.get((status, reason)) or OUTCOMES.get((status, None))
    if known is None:
        return (status or "unknown").replace("_", " ")
    if reason and (status, reason) not in OUTCOMES:
        return f"{known}: {reason.replace('_', ' ')}"
    return known


def route_words(route: str | None) -> str | None:
    """A route (an intent) in a moderator's words; None for none."""
    if not route:
        return None
    return ROUTES.get(route, route.replace("_", " "))


def ask_details(result: dict[str, Any] | None) -> dict[str, Any]:
    """The keyword arguments of :meth:`QuestionLog.record_ask` that describe the answer given,
    from the assistant's result (``Assistant.ask``): the answer, the rewritten question, how a
    follow-up was resolved, the route and whether a routed question fell back to a cited answer
    (the router sent it to a capability, which found nothing, and a cited answer was given)."""
    if not isinstance(result, dict):
        return {}
    route = result.get("route") if isinstance(result.get("route"), dict) else {}
    routed = route.get("intent") or None
    follow_up = result.get("follow_up") or "new"
    if "route_failed" in result:  # the assistant says so (app/answering/reply.py)
        fell_back = bool(result["route_failed"])
    else:  # an older result shape: infer it
        fell_back = bool(routed and routed != "answer" and result.get("intent") == "answer"
                         and follow_up == "new" and not result.get("filters"))
    return {"answer": result.get("answer") or None, "resolved_question": result.get("resolved_question") or None,
            "follow_up": follow_up, "route": routed or result.get("intent") or None, "route_failed": fell_back,
            "language": result.get("language") or None}


def clip(text: Any, limit: int) -> str | None:
    flat = " ".join(str(text or "").split())
    if not flat:
        return None
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def short(value: Any) -> str | None:
    return clip(value, 40)


def rewritten(question: str, resolved: Any) -> str | None:
    text = clip(resolved, MAX_QUESTION_CHARS)
    if text is None or text.casefold() == question.casefold():
        return None
    return text



def cited_sources(items: Iterable[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            entry = {k: item.get(k) for k in ("doc_id", "title", "city") if item.get(k) is not None}
            if "doc_id" not in entry and item.get("source"):
                entry["doc_id"] = item["source"]
        else:
            entry = {"doc_id": str(item)}
        if entry and entry not in out:
            out.append(entry)
        if len(out) >= MAX_SOURCES:
            break
    return out

