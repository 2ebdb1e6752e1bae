"""Answers: the question as every face has it checked, and the cited answer as it is returned.

:func:`check_question` is the one check of a question's text (the API, the widget, Slack and the
CLI all go through it). :class:`AnswerResult` is what
:meth:`app.answering.answerer.Answerer.ask` returns:

- ``answered``: an extractive answer. The most relevant sentences of the retrieved passages,
  quoted verbatim (whitespace normalised, list markers stripped), de-duplicated, in reading order
  (by document rank, then their order in the passage), each followed by its citation marker
  ``[n]``; citations are numbered in order of first use. Related services from other cities,
  the peers to call and suggested follow-up questions come with it.
- ``need_more_detail``: the question is too vague ("services", "digital", a city name alone)
  to answer well; 2–4 clarifying options built from the top hits, each a question to ask next.
- ``cannot_answer``: ``outside_scope`` (not about public services or the network) or
  ``no_content`` (in scope, but nothing in the knowledge base is close enough), with the nearest
  matches. Weak retrieval never gets a stitched guess.

How an answer is made: :mod:`app.answering.answerer` runs the stages, :mod:`app.answering.gate`
decides whether to answer, :mod:`app.answering.compose` writes the text, :mod:`app.answering.related`
and :mod:`app.answering.followups` add what comes around it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from indexer.errors import InvalidRequest
from indexer.search import MAX_QUERY_CHARS, Hit

from app.errors import EmptyQuestion, QuestionTooLong


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    url: str | None
    city: str | None
    city_name: str | None
    kind: str | None
    snippet: str
    page: int | None
    section: str = ""


@dataclass
class Related:
    doc_id: str
    title: str
    city: str | None
    city_name: str | None
    url: str | None
    kind: str | None = None


@dataclass
class Option:
    label: str
    question: str
    doc_id: str | None = None
    kind: str | None = None
    city: str | None = None


@dataclass
class AnswerResult:
    question: str
    status: str  # answered | need_more_detail | cannot_answer
    reason: str | None = None  # outside_scope | no_content (cannot_answer only)
    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    peers: list[dict] = field(default_factory=list)  # cities to call: slug, name, documents
    follow_ups: list[str] = field(default_factory=list)
    nearest: list[dict] = field(default_factory=list)  # cannot_answer only
    clarifying_options: list[Option] = field(default_factory=list)  # need_more_detail only
    conversation_id: str | None = None
    resolved_question: str = ""
    follow_up: str = "new"  # how the question was resolved: new | place | measure | others | about
    filters: dict = field(default_factory=dict)
    label: str = "extractive"  # extractive | generated | none
    notes: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)  # the signals behind the status
    timings_ms: dict = field(default_factory=dict)
    generation: int | None = None  # the index generation every citation and related item comes from
    language: str = "und"  # the question's language (indexer.crosslingual.detect); "und": taken as English

    @property
    def answered(self) -> bool:
        return self.status == "answered"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return out


def check_question(question: Any) -> str:
    """The question on one line, as every face has it checked: text, not blank, at most
    MAX_QUERY_CHARS characters as sent (so the API's ``maxLength`` holds exactly).

    :raise EmptyQuestion: blank (400). :raise QuestionTooLong: too long (422).
    """
    if not isinstance(question, str):
        raise InvalidRequest("The question must be text.")
    if len(question) > MAX_QUERY_CHARS:
        raise QuestionTooLong(len(question), MAX_QUERY_CHARS)
    text = " ".join(question.split())
    if not text:
        raise EmptyQuestion()
    return text


def link(hit: Hit) -> str | None:
    """Where a document can be read: its URL, else the first source its front matter lists."""
    if hit.url:
        return hit.url
    sources = hit.metadata.get("sources") if hit.metadata else None
    if isinstance(sources, list) and sources:
        return str(sources[0])
    return None
