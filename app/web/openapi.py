"""The OpenAPI 3.1 description of the API, written by hand to match :mod:`app.web.api`.

``spec()`` is served at ``/api/v1/openapi.json``; ``doc_sections()`` flattens it for the readable
page at ``/api/v1/docs``. ``tests/test_api.py`` checks real responses against the response schemas
(JSON Schema 2020-12), so a change to a route's output must be made here too.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from indexer.search import FILTER_KEYS, FILTER_PLURALS, MAX_QUERY_CHARS, MODES

from app.operations.questionlog import CHANNELS
from app.web.params import BOOL_VALUES

VERSION = "1.0.0"
REF = "#/components/schemas/"

# --- schema helpers ------------------------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": REF + name}


def nullable(schema: dict) -> dict:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    out = dict(schema)
    t = out.get("type")
    if isinstance(t, str):
        out["type"] = [t, "null"]
    elif isinstance(t, list) and "null" not in t:
        out["type"] = [*t, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def obj(props: dict[str, dict], required: list[str] | tuple[str, ...] | None = None, description: str = "",
        extra: bool = True) -> dict:
    """An object; every property is required unless ``required`` says otherwise."""
    out: dict[str, Any] = {"type": "object", "properties": props,
                           "required": list(props) if required is None else list(required)}
    if not extra:
        out["additionalProperties"] = False
    if description:
        out["description"] = description
    return out


def arr(items: dict, description: str = "") -> dict:
    out = {"type": "array", "items": items}
    if description:
        out["description"] = description
    return out


def S(description: str = "", **kw) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **kw}


def I(description: str = "", **kw) -> dict:
    return {"type": "integer", **({"description": description} if description else {}), **kw}


def N(description: str = "", **kw) -> dict:
    return {"type": "number", **({"description": description} if description else {}), **kw}


def B(description: str = "") -> dict:
    return {"type": "boolean", **({"description": description} if description else {})}


ANY_OBJ = {"type": "object"}
# "Not blank" as the server sees it: one character that Python's str.split() does not treat as
# whitespace (regex \S differs: it counts U+FEFF as a space and U+001C-U+001F, U+0085 as text).
NOT_BLANK = ("[^\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029"
             "\\u202f\\u205f\\u3000]")
NONBLANK = {"type": "string", "pattern": NOT_BLANK}
STRS = arr(S())

# --- schemas ---------------------------------------------------------------------------------


def _schemas() -> dict[str, dict]:
    stamp = {"label": S("Always 'self-assessment': the cities answered the dashboard questions themselves."),
             "revision": S("Dashboard revision, e.g. 2023."), "source": nullable(S("Where the figures come from."))}
    score = obj({"id": S(), "name": S(), "yes": I(), "total": I(), "fraction": N(), "colour": S(enum=["green", "orange", "red"])},
                required=["id", "name", "yes", "total", "fraction", "colour"])
    citation = obj({"n": I("The marker [n] in the answer."), "doc_id": nullable(S("null for the data files.")),
                    "title": S(), "source": S(),
                    "url": nullable(S()), "city": nullable(S()), "city_name": nullable(S()), "kind": nullable(S()),
                    "snippet": S(), "page": nullable(I()), "section": S()},
                   required=["n", "doc_id", "title", "source", "url", "city", "kind", "snippet"])
    passage = obj({"chunk_id": S(), "text": S(), "section": S(), "page": nullable(I()), "score": N(),
                   "dense": nullable(N("Raw cosine similarity to the query.")), "bm25": nullable(N("Raw BM25 score."))})
    hit = obj({"rank": I(minimum=1), "score": N(), "doc_id": S(), "source": S(), "title": S(), "kind": nullable(S()),
               "city": nullable(S()), "country": nullable(S()), "year": nullable(I()), "url": nullable(S()),
               "page": nullable(I()), "snippet": S(), "dense_score": nullable(N()), "passages": arr(ref("Passage"))})
    route = obj({"intent": S(enum=["scores", "ranking", "similar", "learn_from", "examples", "answer"]),
                 "city": nullable(S()), "subindicator": nullable(S()), "topic": nullable(S()),
                 "revision": nullable(S()), "confidence": N(), "reason": S()},
                required=["intent", "city", "subindicator", "revision"])
    example = obj({"title": S(), "city": nullable(S()), "city_name": nullable(S()), "country": nullable(S()),
                   "year": nullable(I()), "kind": nullable(S()), "summary": S(), "url": nullable(S()), "doc_id": S(),
                   "source": S(), "score": N(), "award": nullable(ANY_OBJ), "subindicators": STRS,
                   "principles": STRS, "member": B()})
    part = obj({"type": S("What the part holds; each face renders it as a card.",
                          enum=["score_table", "cities", "examples", "table", "citations"]),
                "title": S(), "columns": STRS, "rows": arr({"type": "array"}, "score_table and table: one list of cells a row."),
                "colours": arr(STRS, "score_table: the dashboard colour of each cell (green, orange, red)."),
                "totals": arr(I(), "score_table: each member's overall percentage."), "note": S(),
                "items": arr(ANY_OBJ, "cities: slug, name, why, url; examples: title, city_name, summary, url; "
                                      "citations: as in citations.")},
               required=["type"])
    ask = obj(
        {"question": S(), "status": S(enum=["answered", "need_more_detail", "cannot_answer"]),
         "intent": S("The capability that answered.", enum=["answer", "scores", "ranking", "similar", "learn_from",
                                                               "examples", "members", "dashboard", "compare", "awards"]),
         "answer": S("Readable sentences: quotes each followed by its marker [n] for cited answers, or a "
                     "summary of the data for the other intents."),
         "parts": arr(ref("AnswerPart"), "Structured parts beside the text: score tables, lists of cities or "
                                         "examples with links, citations."),
         "citations": arr(ref("Citation")),
         "data": {"type": "object", "description": "What the capability returned (routed intents): the same as GET "
                  "/benchmark, /benchmark/{slug}, /cities/{slug}/similar, /cities/{slug}/learn-from, {topic, examples}, "
                  "or the member list / dashboard structure / comparison."},
         "reason": nullable(S("cannot_answer only: outside_scope or no_content.", enum=["outside_scope", "no_content"])),
         "related": arr(obj({"doc_id": S(), "title": S(), "city": nullable(S()), "city_name": nullable(S()),
                             "url": nullable(S()), "kind": nullable(S())}, required=["doc_id", "title", "city"])),
         "peers": arr(ANY_OBJ, "Cities to call: slug, name, documents."),
         "follow_ups": STRS,
         "nearest": arr(ANY_OBJ, "cannot_answer (no_content) only: the nearest documents."),
         "clarifying_options": arr(obj({"label": S(), "question": S(), "doc_id": nullable(S()), "kind": nullable(S()),
                                        "city": nullable(S())}, required=["label", "question"])),
         "conversation_id": nullable(S("Send it back as conversation_id to ask a follow-up (after any intent).")),
         "resolved_question": S("The question as understood (follow-ups made self-contained)."),
         "follow_up": S(enum=["new", "place", "measure", "others", "about"]),
         "language": S("The question's language (ISO 639-1); \"und\" when it was taken as English."),
         "route_failed": B("The router chose a capability that found nothing (e.g. a member without published "
                           "scores), so a cited answer was given instead."),
         "filters": ANY_OBJ, "label": S(enum=["extractive", "generated", "data", "none"]), "notes": STRS,
         "evidence": ANY_OBJ, "timings_ms": ANY_OBJ,
         "generation": nullable(I("The index generation every citation and related item comes from.")),
         "route": ref("Route"), "answer_id": nullable(ref("AnswerId")), "channel": ref("Channel")},
        required=["question", "status", "intent", "answer", "parts", "citations", "data", "reason", "related",
                  "follow_ups", "nearest", "clarifying_options", "conversation_id", "label", "route", "answer_id",
                  "channel"],
        description="One shape for every question: a cited answer, a routed answer from data, a request for more "
                    "detail, or an honest cannot_answer.")
    ranking_row = obj({"rank": I(), "city": S(), "name": S(), "percent": I(), "percentage": N(),
                       "published_rank": nullable(I()), "published_percent": nullable(I()), "recomputes": nullable(B())},
                      required=["rank", "city", "name", "percent"])
    pillar_avg = obj({"id": S(), "name": S(), "yes": I(), "total": I(), "average": N(), "percent": I(),
                      "published_percent": nullable(I())}, required=["id", "name", "yes", "total", "average", "percent"])
    city_sub = obj({"id": S(), "name": S(), "pillar": S(), "yes": I(), "total": I(), "fraction": N(),
                    "colour": S(enum=["green", "orange", "red"])}, required=["id", "name", "yes", "total", "fraction"])
    peer_row = obj({"id": S(), "name": S(), "city": N(), "peer_median": nullable(N()), "difference": nullable(N()),
                    "position": nullable(S(enum=["above", "below", "level"])), "peers": I()})
    ask_row = obj({"answer_id": S(), "asked_at": S(format="date-time"), "question": S(),
                   "status": S(enum=["answered", "need_more_detail", "cannot_answer", "error"]),
                   "intent": nullable(S()), "reason": nullable(S()), "channel": ref("Channel"),
                   "sources": arr(obj({"doc_id": S(), "title": S(), "city": nullable(S())}, required=[])),
                   "latency_ms": nullable(N()), "generation": nullable(I()),
                   "answer": nullable(S("The start of the answer given (at most 300 characters).")),
                   "resolved_question": nullable(S("What a follow-up was rewritten to; null when unchanged.")),
                   "follow_up": nullable(S("How a follow-up was resolved: place, measure, others, about.")),
                   "route": nullable(S("The route the question was sent to (the router's intent).")),
                   "route_failed": B("A routed question that found nothing and got a cited answer instead."),
                   "outcome": S("The status in plain words, e.g. 'could not answer: outside the network's scope'.")},
                  required=["answer_id", "asked_at", "question", "status", "intent", "reason", "channel", "sources",
                            "latency_ms", "generation"])
    return {
        "Error": obj({"error": obj({"code": S("A stable, machine-readable code in snake_case, e.g. not_found, "
                                              "unknown_city, invalid_parameter.", pattern="^[a-z][a-z0-9_]*$"),
                                    "message": S("Written for the person at the other end; safe to show."),
                                    "suggestions": arr(S(), "Close names, for an unknown city."),
                                    "errors": arr(ANY_OBJ, "Row errors of a benchmark import.")},
                                   required=["code", "message"])},
                     description="Every error has this shape; no stack traces."),
        "Channel": S("Where the question was asked.", enum=list(CHANNELS)),
        "AnswerId": S("Identifies this answer in the question log; send it with POST /api/v1/feedback.",
                      minLength=8, maxLength=64),
        "Filters": {"type": "object", "description": "Metadata filters: each a value or a list of values.",
                    "propertyNames": {"enum": [*FILTER_KEYS, *FILTER_PLURALS]},
                    "additionalProperties": {"anyOf": [{"type": ["string", "integer"]},
                                                       arr({"type": ["string", "integer"]})]}},
        "AskRequest": obj({"question": S("At most 2,000 characters (422 past it); not blank.", minLength=1,
                                         maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK),
                           "conversation_id": nullable(S("From a previous answer, to ask a follow-up.",
                                                         pattern="^([A-Za-z0-9_-]{8,64})?$")),
                           "filters": nullable(ref("Filters")),
                           "channel": nullable(S("Empty or null: web. The web API records only web and widget "
                                                 "questions; slack and cli are 400 (those faces record their own).",
                                                 enum=["", "web", "widget"])),
                           "user_id": nullable(S("An id the client gives its user; only a salted hash of 'web:' and "
                                                 "the id is stored, so it never matches a Slack user's.",
                                                 maxLength=200))},
                          required=["question"], extra=False),
        "AskResponse": ask,
        "AnswerPart": part,
        "Route": route,
        "Citation": citation,
        "Passage": passage,
        "Hit": hit,
        "SearchResponse": obj({"query": S(), "mode": S(enum=list(MODES)), "generation": I(),
                               "hits": arr(ref("Hit")), "timings_ms": ANY_OBJ}),
        "CitySummary": obj({"slug": S(), "name": S(), "local_names": STRS, "country": S(), "country_code": S(),
                            "type": S(enum=["city", "region"]), "role": S(enum=["founding", "participant"]),
                            "capital": B(), "population_approx": nullable(I()), "languages": STRS,
                            "has_scores": B("Has a named row in the latest dashboard revision.")}),
        "CityList": obj({"count": I(), "cities": arr(ref("CitySummary"))}),
        "CityProfile": obj({"city": S(), "name": S(), "local_names": STRS, "country": S(), "country_code": S(),
                            "type": S(), "capital": B(), "role": S(), "population_approx": nullable(I()),
                            "population_band": nullable(S()), "languages": STRS, "context": arr(ANY_OBJ),
                            "sources": STRS, "scores": nullable(obj({**stamp, "percent": I(), "pillars": arr(score),
                                                                    "strongest": arr(score), "weakest": arr(score)},
                                                                   required=["label", "revision", "percent"])),
                            "scores_note": nullable(S()),
                            "services": arr(obj({"title": S(), "doc_id": S(), "kind": S()})),
                            "cases": arr(obj({"title": S(), "doc_id": S(), "kind": S()})),
                            "services_note": nullable(S())},
                           required=["city", "name", "country", "type", "role", "languages", "scores", "services",
                                     "cases"]),
        "Similar": obj({"city": S(), "name": S(), "basis": S(enum=["benchmark", "context", "services", "all"]),
                        "matches": arr(obj({"city": S(), "name": S(), "score": N(), "why": S(), "bases": STRS,
                                            "by_basis": ANY_OBJ}, required=["city", "name", "score", "why"])),
                        "note": nullable(S())}, required=["city", "name", "basis", "matches"]),
        "LearnFrom": obj({"city": S(), "name": S(), **stamp, "scores_missing": B(), "note": nullable(S()),
                          "focus": arr(obj({"subindicator": S(), "name": S(), "pillar": S(), "questions": STRS,
                                            "city_score": nullable(ANY_OBJ), "network_median": nullable(N()),
                                            "peers": arr(ANY_OBJ), "examples": arr(ANY_OBJ),
                                            "guide": nullable(ANY_OBJ), "why": S()},
                                           required=["subindicator", "name", "peers", "examples"])),
                          "summary": S()}, required=["city", "name", "label", "focus", "summary"]),
        "Ranking": obj({**stamp, "label_note": S(), "cities": I(), "ranking": arr(ranking_row), "note": nullable(S()),
                        "pillars": arr(pillar_avg)}, required=["label", "revision", "source", "cities", "ranking",
                                                               "pillars"]),
        "CityScores": obj({**stamp, "label_note": S(), "city": S(), "name": S(), "percent": I(), "percentage": N(),
                           "rank": I(), "of": I(), "published_rank": nullable(I()),
                           "published_percent": nullable(I()), "subindicators": arr(city_sub),
                           "versus_peers": obj({"peers": STRS, "subindicators": arr(peer_row), "above": STRS,
                                                "below": STRS})},
                          required=["label", "revision", "city", "name", "percent", "rank", "of", "subindicators",
                                    "versus_peers"]),
        "Example": example,
        "SessionPack": obj({"topic": S(), "filters": ANY_OBJ, "generated": S(format="date"),
                            "examples": arr(ref("Example")),
                            "guides": arr(obj({"title": S(), "source": S(), "doc_id": S(), "score": N(),
                                               "sections": STRS, "subindicators": STRS})),
                            "subindicators": arr(obj({"id": S(), "name": S(), "entries": I(), "revision": nullable(S()),
                                                      "in_revision": B(), "strong_cities": arr(ANY_OBJ)})),
                            "benchmark": obj({"revision": nullable(S()), "assessment": S(), "sources": STRS,
                                              "label": S()}),
                            "prompts": STRS}),
        "FeedbackRequest": obj({"answer_id": ref("AnswerId"), "rating": S(enum=["up", "down"]),
                                "comment": nullable(S("At most 2,000 characters (422 past it).",
                                                      maxLength=MAX_QUERY_CHARS))},
                               required=["answer_id", "rating"], extra=False),
        "FeedbackResponse": obj({"answer_id": S(), "rating": S(enum=["up", "down"]), "comment": nullable(S()),
                                 "recorded_at": S(format="date-time")}),
        "Health": obj({"status": S(const="ok")}),
        "Ready": obj({"status": S(const="ready"), "model_loaded": B(),
                      "warm": B("The answer cache is filled (ucc serve fills it in the background at start; "
                                "answers are slower until then)."),
                      "generation": I(), "documents": I(),
                      "chunks": I(), "model": S(), "built_at": S()}),
        "ReindexStarted": obj({"job_id": S(), "status": S(const="running"),
                               "status_url": S("GET it for the job's status.")}),
        "ReindexJob": obj({"job_id": S(), "status": S(enum=["running", "done", "failed"]),
                           "started_at": S(format="date-time"), "finished_at": nullable(S(format="date-time")),
                           "report": nullable(obj({"generation": nullable(I()), "added": STRS, "updated": STRS,
                                                   "unchanged": I(), "removed": STRS, "skipped": arr(ANY_OBJ),
                                                   "documents": I(), "chunks": I()},
                                                  required=["generation", "documents", "chunks"])),
                           "error": nullable(S())}),
        "LoggedAsk": ask_row,
        "AskList": obj({"since": S(format="date-time"), "until": S(format="date-time"), "count": I(),
                        "questions": arr(ref("LoggedAsk"))}),
        "DownRatedList": obj({"since": S(format="date-time"), "until": S(format="date-time"), "count": I(),
                              "questions": arr({"allOf": [ref("LoggedAsk"),
                                                          obj({"rated_at": S(format="date-time"),
                                                               "comment": nullable(S())})]})}),
        "Topics": obj({"since": S(format="date-time"), "until": S(format="date-time"),
                       "questions": I("Questions asked in the period."),
                       "method": S("How questions were compared.", enum=["embeddings", "tfidf"]),
                       "topics": arr(obj({"label": S("The cluster's most central question."),
                                          "words": STRS, "count": I(), "questions": STRS,
                                          "statuses": {"type": "object", "additionalProperties": {"type": "integer"}},
                                          "answered_share": N(minimum=0, maximum=1)}))}),
        "ImportResult": obj({"source_file": S(), "layout": S(enum=["answers", "subindicators"]),
                             "revision": nullable(S()), "ok": B(), "cities": STRS, "errors": arr(ANY_OBJ),
                             "output": nullable(S("The file written under knowledge/, if any.")),
                             "written": B()}),
    }


# --- parameters, responses, paths ------------------------------------------------------------------


def q(name: str, schema: dict, description: str, required: bool = False, repeat: bool = False) -> dict:
    """A query parameter; an optional one given empty (``?k=``) counts as left out."""
    p = {"name": name, "in": "query", "required": required, "description": description,
         "schema": arr(schema) if repeat else schema}
    if not required and not repeat:
        p["allowEmptyValue"] = True
    if repeat:
        p.update(style="form", explode=True)
    return p


SLUG = {"name": "slug", "in": "path", "required": True, "schema": S(maxLength=200, pattern=NOT_BLANK),
        "example": "ghent",
        "description": "A member's slug or name (local names and small typos resolve: Milano, Gothenberg)."}
FILTER_PARAMS = [q(k, S(maxLength=200), f"Only documents with this {k}; repeatable.", repeat=True) for k in FILTER_KEYS]
# Examples are services and cases: a kind filter must name at least one of them.
EXAMPLE_FILTER_PARAMS = [
    {**p, "schema": {**p["schema"], "contains": {"enum": ["service", "case"]}},
     "description": "Only services or only cases; repeatable."} if p["name"] == "kind" else p
    for p in FILTER_PARAMS]
BOOL = S(enum=list(BOOL_VALUES))
WHEN = {"anyOf": [S(format="date"), S(format="date-time")]}
PERIOD = [q("since", WHEN, "Start of the period: a date (YYYY-MM-DD) or an RFC 3339 date and time."),
          q("until", WHEN, "End of the period (default: now)."),
          q("days", I(minimum=1, maximum=3660), "Instead of since: this many days back from until (default: now).")]


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


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


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema_name)}}}


def _op(tag: str, summary: str, description: str, ok: dict, errors: tuple[str, ...], params=(), body=None,
        admin: bool = False, ok_status: str = "200") -> dict:
    op: dict[str, Any] = {"tags": [tag], "summary": summary, "description": description,
                          "operationId": summary.lower().replace(" ", "_").replace("'", "").replace(",", ""),
                          "parameters": list(params), "responses": {ok_status: ok}}
    if body is not None:
        op["requestBody"] = body
    codes = set(errors) | {"405", "500"}
    if admin:
        codes |= {"401", "404", "429"}
        op["security"] = [{"bearer": []}]
    for code in sorted(codes):
        op["responses"][code] = {"$ref": f"#/components/responses/E{code}"}
    return op


def _paths() -> dict[str, dict]:
    api = "/api/v1"
    text = lambda ctype, d: {"description": d, "content": {ctype: {"schema": S()}}}  # noqa: E731
    ask_body = {"required": True, "content": {"application/json": {"schema": ref("AskRequest")}}}
    feedback_body = {"required": True, "content": {"application/json": {"schema": ref("FeedbackRequest")}}}
    import_body = {"required": True, "description": "The import file: raw CSV or YAML, or a multipart field 'file'.",
                   "content": {"text/csv": {"schema": NONBLANK}, "application/yaml": {"schema": NONBLANK},
                               "multipart/form-data": {"schema": obj({"file": S(contentEncoding="binary")})}}}
    paths: dict[str, dict] = {
        f"{api}/ask": {"post": _op(
            "Assistant", "Ask a question",
            "Answers with sentences quoted from cited sources, asks for more detail, or says it cannot answer "
            "(with the nearest matches). Questions about scores, rankings, similar cities, peers to learn from "
            "or examples are routed to those capabilities. Every ask is logged (text, status, sources, latency, "
            "channel, a salted hash of user_id) and gets an answer_id for feedback (null in the rare case the "
            "log cannot be written: the answer is still given).",
            _json("AskResponse", "The answer."), ("400", "413", "415", "422", "429", "503"), body=ask_body)},
        f"{api}/feedback": {"post": _op(
            "Assistant", "Rate an answer", "Up or down, with an optional comment, for an answer_id from POST /ask.",
            _json("FeedbackResponse", "Recorded."), ("400", "404", "413", "415", "422", "429"), body=feedback_body,
            ok_status="201")},
        f"{api}/search": {"get": _op(
            "Search", "Search the knowledge base",
            "Hybrid (BM25 + dense), bm25 or dense retrieval over the live index; each hit is a document with "
            "its best passages.",
            _json("SearchResponse", "Hits, best first."), ("400", "422", "429", "503"),
            params=[q("q", S(maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK),
                      "The search text (at most 2,000 characters).", required=True),
                    q("k", I(minimum=1, maximum=100, default=10), "Documents to return."),
                    q("mode", S(enum=list(MODES)), "Retrieval mode (default UCC_SEARCH_MODE)."),
                    *FILTER_PARAMS])},
        f"{api}/cities": {"get": _op("Cities", "List the members", "The 26 members of the network.",
                                     _json("CityList", "Members."), ("400", "429"))},
        f"{api}/cities/{{slug}}": {"get": _op(
            "Cities", "A member's profile", "Country, type, size band, languages, dashboard scores "
            "(self-assessment), services and cases.", _json("CityProfile", "The profile."), ("400", "404", "429"),
            params=[SLUG])},
        f"{api}/cities/{{slug}}/similar": {"get": _op(
            "Cities", "Similar members", "Members most like this one, each with the reason.",
            _json("Similar", "Matches, most similar first."), ("400", "404", "429"),
            params=[SLUG, q("k", I(minimum=1, maximum=25, default=5), "Matches to return."),
                    q("basis", S(enum=["benchmark", "context", "services", "all"], default="all"),
                      "What similarity is based on.")])},
        f"{api}/cities/{{slug}}/learn-from": {"get": _op(
            "Cities", "Peers to learn from",
            "For the member's weakest sub-indicators (or the one given): peers that score well, their services "
            "and cases, and the guide to read first.", _json("LearnFrom", "Suggestions."), ("400", "404", "429"),
            params=[SLUG, {**q("subindicator", S(), "A dashboard sub-indicator id, e.g. 2.1."), "example": "2.1"}])},
        f"{api}/benchmark": {"get": _op(
            "Benchmark", "Dashboard ranking", "The named dashboard rows ranked, with pillar averages. "
            "Self-assessment.", _json("Ranking", "The ranking."), ("400", "404", "429"),
            params=[q("revision", S(), "Dashboard revision (default: the latest with scores).")])},
        f"{api}/benchmark/{{slug}}": {"get": _op(
            "Benchmark", "A member's scores", "Scores by sub-indicator with the dashboard's colours, and each "
            "against the median of the other members.", _json("CityScores", "The scores."),
            ("400", "404", "429"), params=[SLUG, q("revision", S(), "Dashboard revision.")])},
        f"{api}/examples": {"get": _op(
            "Examples", "Examples for a session",
            "Services and cases on a topic for a UserCentriCafé session (one per city unless all_per_city=1), "
            "with guides, related sub-indicators and discussion prompts. format=md gives a Markdown session "
            "pack, format=csv a spreadsheet of the examples.",
            {"description": "The session pack.", "content": {
                "application/json": {"schema": ref("SessionPack")},
                "text/markdown": {"schema": S()}, "text/csv": {"schema": S()}}},
            ("400", "422", "429", "503"),
            params=[q("topic", S(maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK), "The session's topic.", required=True),
                    q("n", I(minimum=1, maximum=20, default=5), "Examples to return."),
                    q("format", S(enum=["json", "md", "csv"], default="json"), "Response format."),
                    q("all_per_city", BOOL, "1: more than one example per city."),
                    *EXAMPLE_FILTER_PARAMS])},
        "/healthz": {"get": _op("Operations", "Liveness", "The process answers.", _json("Health", "Alive."), ())},
        "/readyz": {"get": _op("Operations", "Readiness", "Ready when the live index and the model are loaded; "
                               "`state` says whether the state store is ok or degraded (with the reason).",
                               _json("Ready", "Ready."), ("503",))},
        "/metrics": {"get": _op("Operations", "Metrics",
                                "Prometheus text: requests and latency histograms per route template, answers by "
                                "status and channel, index generation, chunks and documents, worker memory; summed "
                                "over the server's workers.",
                                text("text/plain", "Prometheus text format 0.0.4."), ())},
        f"{api}/openapi.json": {"get": _op("Operations", "This description", "The OpenAPI 3.1 document.",
                                           {"description": "OpenAPI 3.1.", "content": {"application/json": {
                                               "schema": ANY_OBJ}}}, ())},
        f"{api}/docs": {"get": _op("Operations", "API page", "This description as a readable page.",
                                   text("text/html", "HTML."), ())},
        f"{api}/admin/reindex": {"post": _op(
            "Admin", "Reindex", "Runs the incremental build of UCC_KNOWLEDGE_DIR in the background. Searches keep "
            "using the previous generation until the new one is committed; no restart is needed.",
            {"description": "Started.", "headers": {"Location": {"schema": S(), "description": "The status URL."}},
             "content": {"application/json": {"schema": ref("ReindexStarted")}}},
            ("409", "415"), admin=True, ok_status="202")},
        f"{api}/admin/reindex/{{job_id}}": {"get": _op(
            "Admin", "Reindex status", "The state of a reindex job, with the build report when done.",
            _json("ReindexJob", "The job."), (), admin=True,
            params=[{"name": "job_id", "in": "path", "required": True, "schema": S()}])},
        f"{api}/admin/questions.csv": {"get": _op(
            "Admin", "Export the question log",
            "Every ask of the period as CSV, with its latest rating and comment (default: everything kept).",
            text("text/csv", "CSV with a header row."), ("400",), admin=True, params=PERIOD)},
        f"{api}/admin/unanswered": {"get": _op(
            "Admin", "Unanswered questions", "cannot_answer, need_more_detail and failed asks, newest first "
            "(default: the 30 days before until, or the last 30 days).", _json("AskList", "Questions."), ("400",),
            admin=True,
            params=[*PERIOD, q("limit", I(minimum=1, maximum=1000, default=200), "Most rows.")])},
        f"{api}/admin/down-rated": {"get": _op(
            "Admin", "Down-rated answers", "Answers rated down, with the comment, newest first "
            "(default: the 30 days before until, or the last 30 days).", _json("DownRatedList", "Questions."),
            ("400",), admin=True,
            params=[*PERIOD, q("limit", I(minimum=1, maximum=1000, default=200), "Most rows.")])},
        f"{api}/admin/topics": {"get": _op(
            "Admin", "Most asked topics",
            "Questions of the period clustered by meaning; each topic is labelled by its most central question "
            "and its top words: the agenda seed for the next UserCentriCafé (default: the 30 days before until, "
            "or the last 30 days).",
            _json("Topics", "Topics, most asked first."), ("400",), admin=True,
            params=[*PERIOD, q("k", I(minimum=1, maximum=100, default=10), "Topics to return.")])},
        f"{api}/admin/benchmark/import": {"post": _op(
            "Admin", "Import benchmark results",
            "Checks a network's own dashboard results (CSV or YAML, layouts as `ucc benchmark import`) and "
            "reports every bad row (422). Nothing is written unless write=1 and every row is valid; then the file "
            "goes to knowledge/benchmark/ and the workers reload.",
            _json("ImportResult", "Checked (and written with write=1)."), ("400", "404", "413", "415", "422"),
            admin=True, body=import_body,
            params=[q("write", {**BOOL, "default": "0"}, "1: write the score file."),
                    q("revision", S(), "Revision of rows that leave it empty."),
                    q("source", S(), "Where the results come from (recorded on every row)."),
                    q("name", S(), "File name for a raw body (its stem names the score file).")])},
    }
    for alias in ("healthz", "readyz", "metrics"):
        op = copy.deepcopy(paths[f"/{alias}"]["get"])
        op["operationId"] += "_v1"
        op["description"] += f" Same as /{alias}."
        paths[f"{api}/{alias}"] = {"get": op}
    return paths


@lru_cache(maxsize=1)
def _spec_json() -> str:
    doc = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "UserCentriCities assistant API",
            "version": VERSION,
            "summary": "Cited answers, search, members, dashboard scores and session examples for the "
                       "UserCentriCities network.",
            "description": "JSON over HTTP. Errors are always {\"error\": {\"code\", \"message\"}}. Each client may "
                           "make UCC_RATE_LIMIT requests a minute. Dashboard figures are the cities' own "
                           "self-assessment. Admin routes need Authorization: Bearer <UCC_ADMIN_TOKEN> and are "
                           "off when no token is set.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": "/", "description": "This server."}],
        "tags": [{"name": t} for t in ("Assistant", "Search", "Cities", "Benchmark", "Examples", "Operations", "Admin")],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": {f"E{code}": _error(text) for code, text in ERRORS.items()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "UCC_ADMIN_TOKEN; admin routes only."}},
        },
    }
    return json.dumps(doc)


def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh copy)."""
    return json.loads(_spec_json())


def response_schema(doc: dict, path: str, method: str, status: int | str,
                    content_type: str = "application/json") -> dict:
    """The schema of one response, with the components beside it so that $refs resolve."""
    response = doc["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"][content_type]["schema"]
    return {**schema, "components": doc["components"]}


# --- the readable page ---------------------------------------------------------------------------


def _type(schema: dict, doc: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(_type(s, doc) for s in schema.get("anyOf") or schema.get("oneOf"))
    if "allOf" in schema:
        return " + ".join(_type(s, doc) for s in schema["allOf"])
    t = schema.get("type", "any")
    if isinstance(t, list):
        t = " | ".join(t)
    if t in ("array", "array | null"):
        t = t.replace("array", f"array of {_type(schema.get('items', {}), doc)}")
    if "enum" in schema:
        t += ": " + ", ".join("null" if v is None else str(v) for v in schema["enum"])
    if "const" in schema:
        t += f" = {schema['const']}"
    return t


def _fields(schema: dict, doc: dict) -> list[dict[str, str]]:
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    rows = []
    for name, prop in schema.get("properties", {}).items():
        rows.append({"name": name, "type": _type(prop, doc), "required": name in schema.get("required", ()),
                     "description": prop.get("description", "")})
    return rows


def doc_sections() -> list[dict[str, Any]]:
    """The operations grouped by tag, flattened for the template (no logic in the page)."""
    doc = spec()
    groups: dict[str, list] = {t["name"]: [] for t in doc["tags"]}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            responses = []
            for code, r in op["responses"].items():
                if "$ref" in r:
                    continue
                content = r.get("content", {})
                types = list(content)
                schema = content[types[0]]["schema"] if types else {}
                responses.append({"status": code, "description": r["description"], "types": types,
                                  "schema": schema["$ref"].rsplit("/", 1)[1] if "$ref" in schema else ""})
            errors = [code for code, r in op["responses"].items() if "$ref" in r]
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                first = next(iter(content.values()))["schema"]
                body = {"types": list(content), "fields": _fields(first, doc)}
            groups[op["tags"][0]].append({
                "method": method.upper(), "path": path, "summary": op["summary"], "description": op["description"],
                "admin": "security" in op, "params": [{"name": p["name"], "in": p["in"], "required": p["required"],
                                                       "type": _type(p["schema"], doc),
                                                       "description": p.get("description", "")}
                                                      for p in op.get("parameters", [])],
                "body": body, "responses": responses, "errors": errors,
                "anchor": (method + path).replace("/", "-").replace("{", "").replace("}", "").replace(".", "-"),
            })
    schemas = [{"name": name, "type": _type(s, doc), "description": s.get("description", ""),
                "fields": _fields(s, doc)} for name, s in doc["components"]["schemas"].items()]
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items() if ops] + [
        {"tag": "Schemas", "operations": [], "schemas": schemas}]
