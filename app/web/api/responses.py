"""What the API sends: the JSON of each documented response, as typed dicts pydantic reads.

The assistant returns plain dicts and the views send them as they are; these types say what those
dicts hold, and :mod:`app.web.api.openapi` writes their JSON Schema into the document. A key is
required unless marked ``NotRequired``; ``X | None`` may be null; an object may hold more keys than
listed. They are not checked on every response (that would cost each request a second pass over
its body): ``tests/test_api.py`` checks every response it gets against the document, and the
contract run (``tests/test_contract.py``) checks the responses to generated requests.

Here: errors, asking, search, operations and the admin routes; members, the dashboard and session
packs are in :mod:`app.web.api.network_responses`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from typing_extensions import NotRequired, TypedDict

from indexer.search import MODES

from app.operations.questionlog import CHANNELS


def about(text: str) -> Any:
    return Field(description=text)


Object = dict[str, Any]
Colour = Literal["green", "orange", "red"]
Status = Literal["answered", "need_more_detail", "cannot_answer"]
Channel = Annotated[Literal[CHANNELS], about("Where the question was asked.")]
AnswerId = Annotated[str, Field(min_length=8, max_length=64, description="Identifies this answer in the question "
                                "log; send it with POST /api/v1/feedback.")]


class ErrorDetail(TypedDict):
    code: Annotated[str, Field(pattern="^[a-z][a-z0-9_]*$", description="A stable, machine-readable code in "
                               "snake_case, e.g. not_found, unknown_city, invalid_parameter.")]
    message: Annotated[str, about("Written for the person at the other end; safe to show.")]
    suggestions: NotRequired[Annotated[list[str], about("Close names, for an unknown city.")]]
    errors: NotRequired[Annotated[list[Object], about("Row errors of a benchmark import.")]]


class Error(TypedDict):
    """Every error has this shape; no stack traces."""

    error: ErrorDetail


# --- asking ---------------------------------------------------------------------------------------


class Citation(TypedDict):
    n: Annotated[int, about("The marker [n] in the answer.")]
    doc_id: Annotated[str | None, about("null for the data files.")]
    title: str
    source: str
    url: str | None
    city: str | None
    city_name: NotRequired[str | None]
    kind: str | None
    snippet: str
    page: NotRequired[int | None]
    section: NotRequired[str]


class Route(TypedDict):
    intent: Literal["scores", "ranking", "similar", "learn_from", "examples", "answer"]
    city: str | None
    subindicator: str | None
    topic: NotRequired[str | None]
    revision: str | None
    confidence: NotRequired[float]
    reason: NotRequired[str]


class AnswerPart(TypedDict):
    type: Annotated[Literal["score_table", "cities", "examples", "table", "citations"],
                    about("What the part holds; each face renders it as a card.")]
    title: NotRequired[str]
    columns: NotRequired[list[str]]
    rows: NotRequired[Annotated[list[list[Any]], about("score_table and table: one list of cells a row.")]]
    colours: NotRequired[Annotated[list[list[str]], about("score_table: the dashboard colour of each cell "
                                                          "(green, orange, red).")]]
    totals: NotRequired[Annotated[list[int], about("score_table: each member's overall percentage.")]]
    note: NotRequired[str]
    items: NotRequired[Annotated[list[Object], about("cities: slug, name, why, url; examples: title, city_name, "
                                                     "summary, url; citations: as in citations.")]]


class Related(TypedDict):
    doc_id: str
    title: str
    city: str | None
    city_name: NotRequired[str | None]
    url: NotRequired[str | None]
    kind: NotRequired[str | None]


class ClarifyingOption(TypedDict):
    label: str
    question: str
    doc_id: NotRequired[str | None]
    kind: NotRequired[str | None]
    city: NotRequired[str | None]


class AskResponse(TypedDict):
    """One shape for every question: a cited answer, a routed answer from data, a request for more
    detail, or an honest cannot_answer."""

    question: str
    status: Status
    intent: Annotated[Literal["answer", "scores", "ranking", "similar", "learn_from", "examples", "members",
                              "dashboard", "compare", "awards"], about("The capability that answered.")]
    answer: Annotated[str, about("Readable sentences: quotes each followed by its marker [n] for cited answers, or "
                                 "a summary of the data for the other intents.")]
    parts: Annotated[list[AnswerPart], about("Structured parts beside the text: score tables, lists of cities or "
                                             "examples with links, citations.")]
    citations: list[Citation]
    data: Annotated[Object, about("What the capability returned (routed intents): the same as GET /benchmark, "
                                  "/benchmark/{slug}, /cities/{slug}/similar, /cities/{slug}/learn-from, "
                                  "{topic, examples}, or the member list / dashboard structure / comparison.")]
    reason: Annotated[Literal["outside_scope", "no_content"] | None,
                      about("cannot_answer only: outside_scope or no_content.")]
    related: list[Related]
    peers: NotRequired[Annotated[list[Object], about("Cities to call: slug, name, documents.")]]
    follow_ups: list[str]
    nearest: Annotated[list[Object], about("cannot_answer (no_content) only: the nearest documents.")]
    clarifying_options: list[ClarifyingOption]
    conversation_id: Annotated[str | None, about("Send it back as conversation_id to ask a follow-up (after any "
                                                 "intent).")]
    resolved_question: NotRequired[Annotated[str, about("The question as understood (follow-ups made "
                                                        "self-contained).")]]
    follow_up: NotRequired[Literal["new", "place", "measure", "others", "about"]]
    language: NotRequired[Annotated[str, about("The question's language (ISO 639-1); \"und\" when it was taken as "
                                               "English.")]]
    route_failed: NotRequired[Annotated[bool, about("The router chose a capability that found nothing (e.g. a member "
                                                    "without published scores), so a cited answer was given "
                                                    "instead.")]]
    filters: NotRequired[Object]
    label: Literal["extractive", "generated", "data", "none"]
    notes: NotRequired[list[str]]
    evidence: NotRequired[Object]
    timings_ms: NotRequired[Object]
    generation: NotRequired[Annotated[int | None, about("The index generation every citation and related item "
                                                        "comes from.")]]
    route: Route
    answer_id: AnswerId | None
    channel: Channel


class FeedbackResponse(TypedDict):
    answer_id: str
    rating: Literal["up", "down"]
    comment: str | None
    recorded_at: datetime


# --- search ---------------------------------------------------------------------------------------


class Passage(TypedDict):
    chunk_id: str
    text: str
    section: str
    page: int | None
    score: float
    dense: Annotated[float | None, about("Raw cosine similarity to the query.")]
    bm25: Annotated[float | None, about("Raw BM25 score.")]


class Hit(TypedDict):
    rank: Annotated[int, Field(ge=1)]
    score: float
    doc_id: str
    source: str
    title: str
    kind: str | None
    city: str | None
    country: str | None
    year: int | None
    url: str | None
    page: int | None
    snippet: str
    dense_score: float | None
    passages: list[Passage]


class SearchResponse(TypedDict):
    query: str
    mode: Literal[MODES]
    generation: int
    hits: list[Hit]
    timings_ms: Object


# --- operations and reindex -----------------------------------------------------------------------


class Health(TypedDict):
    status: Literal["ok"]


class StateStatus(TypedDict):
    backend: Literal["sqlite", "postgresql"]
    status: Literal["ok", "degraded"]
    reason: NotRequired[Annotated[str, about("Why the state store is out of reach (degraded only).")]]
    down_for_s: NotRequired[float]
    deferred_writes: NotRequired[Annotated[int, about("Question-log rows kept in memory, written when it is back.")]]
    dropped_writes: NotRequired[int]


class Ready(TypedDict):
    status: Annotated[Literal["ready", "degraded"], about(
        "degraded: questions are answered but the state store (PostgreSQL) is out of reach; see state.")]
    model_loaded: bool
    warm: Annotated[bool, about("The answer cache is filled (ucc serve fills it in the background at start; answers "
                                "are slower until then).")]
    generation: int
    documents: int
    chunks: int
    model: str
    built_at: str
    state: StateStatus


class ReindexStarted(TypedDict):
    job_id: str
    status: Literal["running"]
    status_url: Annotated[str, about("GET it for the job's status.")]


class BuildReport(TypedDict):
    generation: int | None
    added: NotRequired[list[str]]
    updated: NotRequired[list[str]]
    unchanged: NotRequired[int]
    removed: NotRequired[list[str]]
    skipped: NotRequired[list[Object]]
    documents: int
    chunks: int


class ReindexJob(TypedDict):
    job_id: str
    status: Literal["running", "done", "failed"]
    started_at: datetime
    finished_at: datetime | None
    report: BuildReport | None
    error: str | None


# --- the question log (admin) ---------------------------------------------------------------------


class LoggedSource(TypedDict):
    doc_id: NotRequired[str]
    title: NotRequired[str]
    city: NotRequired[str | None]


class LoggedAsk(TypedDict):
    answer_id: str
    asked_at: datetime
    question: str
    status: Literal["answered", "need_more_detail", "cannot_answer", "error"]
    intent: str | None
    reason: str | None
    channel: Channel
    sources: list[LoggedSource]
    latency_ms: float | None
    generation: int | None
    answer: NotRequired[Annotated[str | None, about("The start of the answer given (at most 300 characters).")]]
    resolved_question: NotRequired[Annotated[str | None, about("What a follow-up was rewritten to; null when "
                                                               "unchanged.")]]
    follow_up: NotRequired[Annotated[str | None, about("How a follow-up was resolved: place, measure, others, "
                                                       "about.")]]
    route: NotRequired[Annotated[str | None, about("The route the question was sent to (the router's intent).")]]
    route_failed: NotRequired[Annotated[bool, about("A routed question that found nothing and got a cited answer "
                                                    "instead.")]]
    outcome: NotRequired[Annotated[str, about("The status in plain words, e.g. 'could not answer: outside the "
                                              "network's scope'.")]]


class DownRatedAsk(LoggedAsk):
    rated_at: datetime
    comment: str | None


class AskList(TypedDict):
    since: datetime
    until: datetime
    count: int
    questions: list[LoggedAsk]


class DownRatedList(TypedDict):
    since: datetime
    until: datetime
    count: int
    questions: list[DownRatedAsk]


class Topic(TypedDict):
    label: Annotated[str, about("The cluster's most central question.")]
    words: list[str]
    count: int
    questions: list[str]
    statuses: dict[str, int]
    answered_share: Annotated[float, Field(ge=0, le=1)]


class Topics(TypedDict):
    since: datetime
    until: datetime
    questions: Annotated[int, about("Questions asked in the period.")]
    method: Annotated[Literal["embeddings", "tfidf"], about("How questions were compared.")]
    topics: list[Topic]


class ImportResult(TypedDict):
    source_file: str
    layout: Literal["answers", "subindicators"]
    revision: str | None
    ok: bool
    cities: list[str]
    errors: list[Object]
    output: Annotated[str | None, about("The file written under knowledge/, if any.")]
    written: bool
