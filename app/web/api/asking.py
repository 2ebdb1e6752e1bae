"""``POST /api/v1/ask`` and ``POST /api/v1/feedback``: a question answered, timed and recorded in the
question log by the assistant (:meth:`app.assistant.Assistant.ask_and_record`), and a rating of an
answer. The bodies are :class:`~app.web.api.inputs.AskRequest` and
:class:`~app.web.api.inputs.FeedbackRequest`, already validated."""

from __future__ import annotations

from flask import jsonify

from indexer.errors import UccError

from app.web.api.blueprint import operation
from app.web.api.context import assistant, metrics, questions
from app.web.api.inputs import AskRequest, FeedbackRequest

WEB_USER_PREFIX = "web:"  # a user_id a web client claims is hashed apart from Slack's user ids


@operation("ask")
def ask(body: AskRequest):
    channel = body.channel or "web"
    # Nothing vouches for an id a web client sends: it is logged as the web's, never as the same
    # hash as a Slack user's, whatever the client claims.
    user_id = WEB_USER_PREFIX + body.user_id if body.user_id else None
    try:  # the question is checked by the assistant: EmptyQuestion (400), QuestionTooLong (422)
        asked = assistant.ask_and_record(body.question, channel=channel, user_id=user_id,
                                         conversation=body.conversation_id or None, filters=body.filter_lists(),
                                         log=questions)
    except UccError as exc:
        if exc.status >= 500:  # the assistant failed (and logged the question as an error)
            metrics.observe_answer("error", channel)
        raise
    except Exception:
        metrics.observe_answer("error", channel)
        raise
    metrics.observe_answer(asked.status, channel)
    return jsonify(asked.to_dict())


@operation("feedback")
def feedback(body: FeedbackRequest):
    result = assistant.record_feedback(body.answer_id, body.rating, body.comment,
                                       log=questions)
    return jsonify(result), 201
