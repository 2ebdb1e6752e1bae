"""A question asked through a face: answered, timed and recorded in the question log, once for all.

``POST /api/v1/ask``, the Slack bot and ``ucc ask`` each call
:meth:`app.assistant.Assistant.ask_and_record`, which runs :func:`ask_and_record` here:

- the question is answered by :meth:`Assistant.ask <app.assistant.Assistant.ask>`, and timed;
- it is recorded with :meth:`QuestionLog.record_ask <app.operations.questionlog.QuestionLog.record_ask>` in one
  shape whatever the face: the citations as sources, the index generation that answered, the route
  details of :func:`app.operations.questionlog.ask_details`, the face as ``channel``;
- a question the assistant failed on (an error of status 500 or more, or an unexpected exception) is
  recorded with status ``error``, so that moderators see it, and the error is raised again; a request
  error (an invalid conversation id, status 4xx) is not a question and is not recorded;
- the log never costs the user an answer: when it cannot be written, the answer comes back without
  an ``answer_id`` (feedback is then not offered) and the failure is logged.

The result is typed (:class:`Asked`): its status is always one the log and the faces know.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from indexer.errors import UccError

from app.operations.questionlog import QuestionLog, ask_details

log = logging.getLogger("ucc.asking")

STATUSES = ("answered", "need_more_detail", "cannot_answer")


@dataclass(frozen=True)
class Asked:
    """One question a face asked: the assistant's result and its row in the question log."""

    result: dict[str, Any]  # what Assistant.ask returned (the shape of app.answering.reply.Reply)
    status: str  # answered | need_more_detail | cannot_answer
    intent: str | None
    conversation_id: str | None  # to continue the conversation (the result's, or the one asked in)
    answer_id: str | None  # the question log's id, sent back with feedback; None if the log failed
    channel: str  # web | widget | slack | cli
    latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        """The result with its ``answer_id`` and ``channel`` (the API's answer)."""
        return {**self.result, "answer_id": self.answer_id, "channel": self.channel}


def ask_and_record(assistant: Any, questions: QuestionLog, question: str, *, channel: str,
                   user_id: str | None = None, conversation: str | None = None,
                   filters: dict | None = None) -> Asked:
    """Answer ``question`` with ``assistant`` and record it in ``questions`` (see the module)."""
    t0 = time.perf_counter()
    try:
        result = assistant.ask(question, conversation=conversation, filters=filters)
    except UccError as exc:
        if exc.status >= 500:  # the assistant failed: moderators should see the question
            _record_error(questions, question, channel, user_id, conversation, t0)
        raise
    except Exception:
        _record_error(questions, question, channel, user_id, conversation, t0)
        raise
    latency = (time.perf_counter() - t0) * 1000
    status = result.get("status")
    status = status if status in STATUSES else "answered"
    conversation_id = result.get("conversation_id") or conversation
    try:
        answer_id = questions.record_ask(
            question, status, channel=channel, sources=result.get("citations") or [], latency_ms=latency,
            user_id=user_id, intent=result.get("intent"), reason=result.get("reason"),
            conversation_id=conversation_id, generation=result.get("generation") or _generation(assistant),
            **ask_details(result))
    except Exception:  # the log must never cost the user an answer
        log.exception("could not record a question in the question log")
        answer_id = None
    return Asked(result=result, status=status, intent=result.get("intent"), conversation_id=conversation_id,
                 answer_id=answer_id, channel=channel, latency_ms=latency)


def _generation(assistant: Any) -> int | None:
    try:
        return assistant.searcher.live().id
    except Exception:  # the answer is given; the log just lacks the generation
        return None


def _record_error(questions: QuestionLog, question: str, channel: str, user_id: str | None,
                  conversation: str | None, t0: float) -> None:
    try:
        questions.record_ask(question, "error", channel=channel, latency_ms=(time.perf_counter() - t0) * 1000,
                             user_id=user_id, conversation_id=conversation)
    except Exception:
        log.exception("could not log a failed ask")
