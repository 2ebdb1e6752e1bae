"""The questions page (``/console/questions?days=30``): most asked topics, recent questions with
their answers, content gaps, failed routes and down-rated answers; and
``/console/questions.csv``, the same period as CSV without any column that could identify a
person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any, Protocol

from flask import current_app, request

from indexer.errors import InvalidRequest, NotFound

from app.web.console.blueprint import _assistant, _download, _page, bp

DEFAULT_DAYS = 30
MAX_DAYS = 366
QUESTIONS_SHOWN = 50
TOPICS_SHOWN = 15


class QuestionSource(Protocol):
    """What the questions view uses of :class:`app.operations.questionlog.QuestionLog`.

    Rows are dicts; the view keeps only the keys in :data:`QUESTION_FIELDS`, and the CSV export
    drops identifying columns (:func:`strip_private_columns`), so a hashed user id never reaches
    the moderator. A log without ``recent``, ``content_gaps`` or ``failed_routes`` (an older
    one) gets its unanswered questions shown as content gaps.
    """

    def recent(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def content_gaps(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def failed_routes(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def unanswered(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def down_rated(self, since: Any = None, until: Any = None, limit: int = 200) -> list[dict]: ...

    def topics(self, since: Any = None, until: Any = None, k: int = 10, embedder: Any = None) -> list[Any]: ...

    def export_csv(self, since: Any = None, until: Any = None) -> str: ...


QUESTION_FIELDS = ("asked_at", "rated_at", "question", "status", "reason", "intent", "channel", "comment",
                   "answer", "resolved_question", "follow_up", "route", "route_failed")
_PRIVATE_COLUMN = re.compile(r"(^|_)(user|hash|ip|session|conversation)(_|$)", re.IGNORECASE)


def question_log() -> QuestionSource | None:
    """The app's question log (``app.extensions["ucc.questionlog"]``, shared with the API), or one
    built from the settings if :mod:`app.operations.questionlog` is installed; None if there is none."""
    app = current_app
    log = app.extensions.get("ucc.questionlog")
    if log is not None:
        return log
    try:
        from app.operations.questionlog import QuestionLog
    except ModuleNotFoundError as exc:
        if exc.name != "app.operations.questionlog":
            raise
        return None
    log = app.extensions.setdefault("ucc.questionlog", QuestionLog.from_settings(app.extensions["ucc.settings"]))
    return log


def _period(values) -> tuple[int, dt.datetime, dt.datetime]:
    raw = (values.get("days") or "").strip()
    if not raw:
        days = DEFAULT_DAYS
    elif raw.isdigit() and 1 <= int(raw) <= MAX_DAYS:
        days = int(raw)
    else:
        raise InvalidRequest(f"days must be a whole number between 1 and {MAX_DAYS}.")
    until = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=1)  # up to now
    return days, until - dt.timedelta(days=days), until


def _public(row: Any) -> dict[str, Any]:
    """Only the fields a moderator may see (never a user or conversation hash), with the outcome
    and the route in words."""
    from app.operations.questionlog import outcome

    data = row.to_dict() if hasattr(row, "to_dict") else dict(row)
    out = {k: data.get(k) for k in QUESTION_FIELDS if data.get(k) not in (None, "")}
    out["outcome"] = outcome(data.get("status"), data.get("reason"))
    out["route_text"] = route_text(data)
    return out


def route_text(row: dict[str, Any]) -> str | None:
    """The route a question took, in words: what answered it ("dashboard scores"), or the route
    that found nothing and the cited answer given instead."""
    from app.operations.questionlog import route_words

    if row.get("route_failed"):
        return f"{route_words(row.get('route')) or 'a route'}, which found nothing: a cited answer instead"
    return route_words(row.get("intent") or row.get("route"))


def _topic_row(row: Any) -> dict[str, Any]:
    data = row.to_dict() if hasattr(row, "to_dict") else dict(row)
    questions = [str(q) for q in (data.get("questions") or []) if str(q) != data.get("label")]
    share = data.get("answered_share")
    return {"label": data.get("label") or "", "count": data.get("count"),
            "words": [str(w) for w in (data.get("words") or [])][:5], "questions": questions[:3],
            "answered_percent": None if share is None else round(float(share) * 100)}


def _topics(log: QuestionSource, since, until) -> tuple[list[dict[str, Any]], str]:
    """The most asked topics, grouped by meaning with the index's model, or by shared words when
    the model cannot be loaded; and which of the two it was ("meaning" or "words")."""
    topics, by_meaning = _assistant().question_topics(log, since, until, k=TOPICS_SHOWN)
    return [_topic_row(t) for t in topics], "meaning" if by_meaning else "words"


def _summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The period's counts with each status in words, most frequent first."""
    from app.operations.questionlog import outcome

    if not summary:
        return summary
    by_status = sorted((summary.get("by_status") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return {**summary, "outcomes": [(outcome(status), count) for status, count in by_status]}


@bp.route("/questions")
def questions():
    days, since, until = _period(request.args)
    log = question_log()
    data = None
    if log is not None:
        summary = log.summary(since, until) if hasattr(log, "summary") else None
        topics, grouped_by = _topics(log, since, until)
        has_routes = hasattr(log, "content_gaps") and hasattr(log, "failed_routes")
        gaps = log.content_gaps if has_routes else log.unanswered
        data = {
            "summary": _summary(summary),
            "topics": topics,
            "grouped_by": grouped_by,
            "recent": ([_public(r) for r in log.recent(since, until, limit=QUESTIONS_SHOWN)]
                       if hasattr(log, "recent") else None),
            "content_gaps": [_public(r) for r in gaps(since, until, limit=QUESTIONS_SHOWN)],
            "failed_routes": ([_public(r) for r in log.failed_routes(since, until, limit=QUESTIONS_SHOWN)]
                              if has_routes else None),
            "down_rated": [_public(r) for r in log.down_rated(since, until, limit=QUESTIONS_SHOWN)],
        }
    return _page("console/questions.html", days=days, since=since, until=until, data=data, max_days=MAX_DAYS,
                 shown=QUESTIONS_SHOWN, topic_questions=_topic_questions())


def _topic_questions() -> int:
    from app.operations.questionlog import TOPIC_QUESTIONS

    return TOPIC_QUESTIONS


@bp.route("/questions.csv")
def questions_csv():
    days, since, until = _period(request.args)
    log = question_log()
    if log is None:
        raise NotFound("The question log is not installed, so there is nothing to export.")
    body = strip_private_columns(log.export_csv(since, until))
    return _download(body, "text/csv; charset=utf-8",
                     f"ucc-questions-{since.date().isoformat()}-to-{until.date().isoformat()}.csv")


def strip_private_columns(text: str) -> str:
    """The CSV without any column that could identify a person (user ids, hashes, addresses)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keep = [i for i, name in enumerate(rows[0]) if not _PRIVATE_COLUMN.search(name)]
    if len(keep) == len(rows[0]):
        return text
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([row[i] for i in keep if i < len(row)])
    return out.getvalue()

