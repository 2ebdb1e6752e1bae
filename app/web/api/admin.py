"""Admin routes (``/api/v1/admin``), behind the bearer token (:mod:`app.web.api.auth`): the
moderators' views of the question log (``questions.csv``, ``unanswered``, ``down-rated``,
``topics``) for a period (:meth:`app.web.api.inputs.PeriodQuery.period`), and the reindex jobs
(``POST /reindex``: 202, the incremental build runs in a background thread;
``GET /reindex/<job_id>``). The benchmark import is in :mod:`app.web.api.benchmark_import`."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, jsonify, url_for

from app.web.api.blueprint import operation
from app.web.api.context import assistant, questions
from app.web.api.inputs import ListQuery, NoOptions, PeriodQuery, TopicsQuery
from app.web.api.reading import json_body, request_body


@operation("admin_questions_csv")
def admin_questions_csv(query: PeriodQuery):
    since, until = query.period(default_days=None)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
    return Response(questions.export_csv(since, until), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="questions-{stamp}.csv"'})


@operation("admin_unanswered")
def admin_unanswered(query: ListQuery):
    return _question_list("unanswered", query)


@operation("admin_down_rated")
def admin_down_rated(query: ListQuery):
    return _question_list("down_rated", query)


def _question_list(view: str, query: ListQuery):
    """A moderators' list from the question log (``unanswered`` or ``down_rated``) for a period."""
    since, until = query.period()
    items = getattr(questions, view)(since, until, limit=query.limit)
    summary = questions.summary(since, until)
    return jsonify(since=summary["since"], until=summary["until"], count=len(items), questions=items)


@operation("admin_topics")
def admin_topics(query: TopicsQuery):
    since, until = query.period()
    topics, by_meaning = assistant.question_topics(questions, since, until, k=query.k)
    summary = questions.summary(since, until)
    return jsonify(since=summary["since"], until=summary["until"], questions=summary["asks"],
                   method="embeddings" if by_meaning else "tfidf", topics=[t.to_dict() for t in topics])


@operation("admin_reindex")
def admin_reindex():
    """Start the incremental build of the knowledge base in a background thread (202)."""
    if request_body().strip():
        json_body(NoOptions)  # no options: an empty JSON object at most
    job_id = assistant.start_reindex()["job_id"]  # BuildInProgress (409) while one runs here
    status_url = url_for("api.admin_reindex_status", job_id=job_id)
    response = jsonify(job_id=job_id, status="running", status_url=status_url)
    response.status_code = 202
    response.headers["Location"] = status_url
    return response


@operation("admin_reindex_status")
def admin_reindex_status(job_id: str):
    return jsonify(assistant.reindex_job(job_id))  # NotFound (404) for an id no job has
