"""The route table: every operation of the API once, with its path, its input and output models
and its words for the reader.

:func:`app.web.api.blueprint.operation` registers each view at its operation's path and reads its
input with the operation's models; :mod:`app.web.api.openapi` writes the document from the same
table. So a route cannot be served without being documented, nor documented as taking what it
does not read. Models are those of :mod:`app.web.api.inputs`, :mod:`app.web.api.responses` and
:mod:`app.web.api.network_responses`; a plain dict is a JSON Schema written as it is (text bodies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.web.api import inputs as i
from app.web.api import network_responses as n
from app.web.api import responses as r
from app.web.api.vocabulary import MAX_ID, NOT_BLANK

API = "/api/v1"
TEXT = {"type": "string"}
NONBLANK = {"type": "string", "pattern": NOT_BLANK}

ERRORS = {
    "400": "Bad input: unknown field or parameter, wrong type, bad value, unknown filter.",
    "401": "Admin routes: missing or wrong bearer token.",
    "404": "Not found: an unknown city, revision, answer or route; admin routes when UCC_ADMIN_TOKEN is empty.",
    "405": "Method not allowed.",
    "409": "A build is already running.",
    "413": "Body larger than UCC_MAX_BODY_BYTES.",
    "415": "Wrong Content-Type.",
    "422": "Text too long (over 2,000 characters), or a benchmark import with row errors.",
    "429": "Rate limit reached; the Retry-After header says how many seconds to wait.",
    "500": "Unexpected error (logged on the server; no details are sent).",
    "503": "No index yet, or the model cannot be loaded.",
}
ALWAYS = ("405", "500")
ADMIN_ERRORS = ("401", "404", "429")
PATH_PARAMETERS = {
    "slug": {"schema": {"type": "string", "maxLength": MAX_ID, "pattern": NOT_BLANK}, "example": "ghent",
             "description": "A member's slug or name (local names and small typos resolve: Milano, Gothenberg)."},
    "job_id": {"schema": {"type": "string"}},
}


@dataclass(frozen=True)
class Content:
    """A body: media type -> model (or a JSON Schema as it is), with its description."""

    description: str
    types: dict[str, Any]
    headers: dict[str, Any] = field(default_factory=dict)


def json(model: Any, description: str) -> Content:
    return Content(description, {"application/json": model})


@dataclass(frozen=True)
class Operation:
    endpoint: str  # the view function's name (Flask endpoint api.<endpoint>)
    method: str
    path: str  # an OpenAPI path template, /api/v1/cities/{slug}
    tag: str
    summary: str
    description: str
    ok: Content
    errors: tuple[str, ...] = ()
    query: type[i.Query] | None = None  # None: no parameter is read (nor refused)
    body: Content | None = None  # a JSON body is read with its model; another is read by the view
    admin: bool = False
    status: int = 200
    aliases: tuple[str, ...] = ()  # the same operation at other paths (/api/v1/healthz for /healthz)


def _asking() -> list[Operation]:
    return [
        Operation("ask", "post", f"{API}/ask", "Assistant", "Ask a question",
                  "Answers with sentences quoted from cited sources, asks for more detail, or says it cannot answer "
                  "(with the nearest matches). Questions about scores, rankings, similar cities, peers to learn "
                  "from or examples are routed to those capabilities. Every ask is logged (text, status, sources, "
                  "latency, channel, a salted hash of user_id) and gets an answer_id for feedback (null in the "
                  "rare case the log cannot be written: the answer is still given).",
                  json(r.AskResponse, "The answer."), ("400", "413", "415", "422", "429", "503"),
                  body=Content("", {"application/json": i.AskRequest})),
        Operation("feedback", "post", f"{API}/feedback", "Assistant", "Rate an answer",
                  "Up or down, with an optional comment, for an answer_id from POST /ask.",
                  json(r.FeedbackResponse, "Recorded."), ("400", "404", "413", "415", "422", "429", "503"),
                  body=Content("", {"application/json": i.FeedbackRequest}), status=201),
        Operation("search", "get", f"{API}/search", "Search", "Search the knowledge base",
                  "Hybrid (BM25 + dense), bm25 or dense retrieval over the live index; each hit is a document "
                  "with its best passages.",
                  json(r.SearchResponse, "Hits, best first."), ("400", "422", "429", "503"), query=i.SearchQuery),
        Operation("examples", "get", f"{API}/examples", "Examples", "Examples for a session",
                  "Services and cases on a topic for a UserCentriCafé session (one per city unless "
                  "all_per_city=1), with guides, related sub-indicators and discussion prompts. format=md gives a "
                  "Markdown session pack, format=csv a spreadsheet of the examples.",
                  Content("The session pack.", {"application/json": n.SessionPack, "text/markdown": TEXT,
                                                "text/csv": TEXT}),
                  ("400", "422", "429", "503"), query=i.ExamplesQuery),
    ]


def _network() -> list[Operation]:
    return [
        Operation("cities", "get", f"{API}/cities", "Cities", "List the members", "The 26 members of the network.",
                  json(n.CityList, "Members."), ("400", "429"), query=i.NoQuery),
        Operation("city", "get", f"{API}/cities/{{slug}}", "Cities", "A member's profile",
                  "Country, type, size band, languages, dashboard scores (self-assessment), services and cases.",
                  json(n.CityProfile, "The profile."), ("400", "404", "429"), query=i.NoQuery),
        Operation("city_similar", "get", f"{API}/cities/{{slug}}/similar", "Cities", "Similar members",
                  "Members most like this one, each with the reason.",
                  json(n.Similar, "Matches, most similar first."), ("400", "404", "429"), query=i.SimilarQuery),
        Operation("city_learn_from", "get", f"{API}/cities/{{slug}}/learn-from", "Cities", "Peers to learn from",
                  "For the member's weakest sub-indicators (or the one given): peers that score well, their "
                  "services and cases, and the guide to read first.",
                  json(n.LearnFrom, "Suggestions."), ("400", "404", "429"), query=i.LearnFromQuery),
        Operation("benchmark", "get", f"{API}/benchmark", "Benchmark", "Dashboard ranking",
                  "The named dashboard rows ranked, with pillar averages. Self-assessment.",
                  json(n.Ranking, "The ranking."), ("400", "404", "429"), query=i.RevisionQuery),
        Operation("benchmark_city", "get", f"{API}/benchmark/{{slug}}", "Benchmark", "A member's scores",
                  "Scores by sub-indicator with the dashboard's colours, and each against the median of the other "
                  "members.", json(n.CityScores, "The scores."), ("400", "404", "429"), query=i.RevisionQuery),
    ]


def _operations() -> list[Operation]:
    return [
        Operation("healthz", "get", "/healthz", "Operations", "Liveness", "The process answers.",
                  json(r.Health, "Alive."), aliases=(f"{API}/healthz",)),
        Operation("readyz", "get", "/readyz", "Operations", "Readiness",
                  "Ready when the live index and the model are loaded; status `degraded` (still 200, questions are "
                  "answered) and `state` with the reason while the state store (PostgreSQL) is out of reach.",
                  json(r.Ready, "Ready."), ("503",),
                  aliases=(f"{API}/readyz",)),
        Operation("metrics", "get", "/metrics", "Operations", "Metrics",
                  "Prometheus text: requests and latency histograms per route template, answers by status and "
                  "channel, index generation, chunks and documents, worker memory; summed over the server's "
                  "workers.", Content("Prometheus text format 0.0.4.", {"text/plain": TEXT}),
                  aliases=(f"{API}/metrics",)),
        Operation("openapi_json", "get", f"{API}/openapi.json", "Operations", "This description",
                  "The OpenAPI 3.1 document.", Content("OpenAPI 3.1.", {"application/json": {"type": "object"}})),
        Operation("docs", "get", f"{API}/docs", "Operations", "API page", "This description as a readable page.",
                  Content("HTML.", {"text/html": TEXT})),
    ]


def _admin() -> list[Operation]:
    log_list = "newest first (default: the 30 days before until, or the last 30 days)."
    return [
        Operation("admin_reindex", "post", f"{API}/admin/reindex", "Admin", "Reindex",
                  "Runs the incremental build of UCC_KNOWLEDGE_DIR in the background. Searches keep using the "
                  "previous generation until the new one is committed; no restart is needed.",
                  Content("Started.", {"application/json": r.ReindexStarted},
                          headers={"Location": {"schema": TEXT, "description": "The status URL."}}),
                  ("409", "415"), query=i.NoQuery, admin=True, status=202),
        Operation("admin_reindex_status", "get", f"{API}/admin/reindex/{{job_id}}", "Admin", "Reindex status",
                  "The state of a reindex job, with the build report when done.", json(r.ReindexJob, "The job."),
                  query=i.NoQuery, admin=True),
        Operation("admin_questions_csv", "get", f"{API}/admin/questions.csv", "Admin", "Export the question log",
                  "Every ask of the period as CSV, with its latest rating and comment (default: everything kept).",
                  Content("CSV with a header row.", {"text/csv": TEXT}), ("400",), query=i.PeriodQuery, admin=True),
        Operation("admin_unanswered", "get", f"{API}/admin/unanswered", "Admin", "Unanswered questions",
                  "cannot_answer, need_more_detail and failed asks, " + log_list, json(r.AskList, "Questions."),
                  ("400",), query=i.ListQuery, admin=True),
        Operation("admin_down_rated", "get", f"{API}/admin/down-rated", "Admin", "Down-rated answers",
                  "Answers rated down, with the comment, " + log_list, json(r.DownRatedList, "Questions."),
                  ("400",), query=i.ListQuery, admin=True),
        Operation("admin_topics", "get", f"{API}/admin/topics", "Admin", "Most asked topics",
                  "Questions of the period clustered by meaning; each topic is labelled by its most central "
                  "question and its top words: the agenda seed for the next UserCentriCafé (default: the 30 days "
                  "before until, or the last 30 days).", json(r.Topics, "Topics, most asked first."), ("400",),
                  query=i.TopicsQuery, admin=True),
        Operation("admin_benchmark_import", "post", f"{API}/admin/benchmark/import", "Admin",
                  "Import benchmark results",
                  "Checks a network's own dashboard results (CSV or YAML, layouts as `ucc benchmark import`) and "
                  "reports every bad row (422). Nothing is written unless write=1 and every row is valid; then the "
                  "file goes to knowledge/benchmark/ and the workers reload.",
                  json(r.ImportResult, "Checked (and written with write=1)."), ("400", "404", "413", "415", "422"),
                  query=i.ImportQuery, admin=True,
                  body=Content("The import file: raw CSV or YAML, or a multipart field 'file'.", {
                      "text/csv": NONBLANK, "application/yaml": NONBLANK,
                      "multipart/form-data": {"type": "object", "properties": {
                          "file": {"type": "string", "contentEncoding": "binary"}}, "required": ["file"]}})),
    ]


OPERATIONS: tuple[Operation, ...] = (*_asking(), *_network(), *_operations(), *_admin())
BY_ENDPOINT = {op.endpoint: op for op in OPERATIONS}
TAGS = ("Assistant", "Search", "Cities", "Benchmark", "Examples", "Operations", "Admin")
