"""The REST API, version 1: JSON over HTTP in front of :class:`app.assistant.Assistant`.

Public routes (``/api/v1``): ``POST /ask``, ``GET /search``, ``GET /cities``,
``/cities/<slug>``, ``/cities/<slug>/similar``, ``/cities/<slug>/learn-from``,
``GET /benchmark``, ``/benchmark/<slug>``, ``GET /examples`` (json, md or csv),
``POST /feedback``, ``GET /openapi.json`` and ``GET /docs`` (the readable API page).
Operations: ``GET /healthz`` (the process answers), ``GET /readyz`` (the index and the model are
loaded), ``GET /metrics`` (Prometheus text; see :mod:`app.web.metrics`); each also under
``/api/v1``.

Admin routes (``/api/v1/admin``) need ``Authorization: Bearer <UCC_ADMIN_TOKEN>`` (compared in
constant time; 401 without it or with a wrong one) and answer 404 when no token is configured:
``POST /admin/reindex`` (202, runs the incremental build in a background thread),
``GET /admin/reindex/<job_id>``, ``GET /admin/questions.csv``, ``GET /admin/unanswered``,
``GET /admin/down-rated``, ``GET /admin/topics``, ``POST /admin/benchmark/import``
(checks only, unless ``?write=1``).

Input is validated strictly: unknown fields or query parameters and wrong types are 400 with a
message, JSON bodies need ``Content-Type: application/json`` (415), a question, topic or comment
over 2,000 characters is 422, a body over ``UCC_MAX_BODY_BYTES`` is 413, and each client gets
``UCC_RATE_LIMIT`` requests a minute (429 with ``Retry-After``). Every error is
``{"error": {"code", "message"}}`` (:mod:`app.web.errors`).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import signal
import tempfile
import time
from datetime import datetime, timedelta, timezone
from functools import wraps
from pathlib import Path
from typing import Any, Callable

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from indexer.errors import UccError
from indexer.search import FILTER_KEYS, MODES

from app.operations.questionlog import CHANNELS, QuestionLog
from app.web.errors import error_response
from app.web.metrics import Metrics
from app.web.params import BOOL_VALUES, EXAMPLE_FORMATS, MAX_ID, MAX_TEXT, WEB_CHANNELS
from app.web.ratelimit import RateLimiter, failure_throttle, log_auth, log_wrong_token

log = logging.getLogger("ucc.web.api")

API = "/api/v1"
bp = Blueprint("api", __name__)

NOT_LIMITED = {"/healthz", "/readyz", "/metrics", f"{API}/healthz", f"{API}/readyz", f"{API}/metrics",
               f"{API}/openapi.json", f"{API}/docs"}
_INTEGER = re.compile(r"-?[0-9]{1,18}\Z")
_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
IMPORT_TYPES = {"text/csv": ".csv", "application/csv": ".csv", "application/yaml": ".yaml",
                "application/x-yaml": ".yaml", "text/yaml": ".yaml", "text/x-yaml": ".yaml"}


# --- set-up ----------------------------------------------------------------------------------

@bp.record_once
def _setup(state) -> None:
    app: Flask = state.app
    settings = app.extensions["ucc.settings"]
    app.extensions["ucc.metrics"] = Metrics(settings.metrics_dir or None)
    app.extensions["ucc.ratelimit"] = RateLimiter(settings.rate_limit)
    app.extensions.setdefault("ucc.questionlog", QuestionLog.from_settings(settings))


def _settings():
    return current_app.extensions["ucc.settings"]


def _assistant():
    return current_app.extensions["ucc.assistant"]


def _log() -> QuestionLog:
    return current_app.extensions["ucc.questionlog"]


def _metrics() -> Metrics:
    return current_app.extensions["ucc.metrics"]


def fail(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra) -> None:
    """Stop the request with the API's one error shape."""
    response, _ = error_response(status, code, message, **extra)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    abort(response)


@bp.before_app_request
def _before():
    g.ucc_t0 = time.perf_counter()
    path = request.path
    if not path.startswith("/api/") or request.method == "OPTIONS" or path in NOT_LIMITED:
        return None
    limiter: RateLimiter = current_app.extensions["ucc.ratelimit"]
    allowed, wait = limiter.hit(limiter.client_key(request.remote_addr))
    if not allowed:
        response, _ = error_response(429, "too_many_requests",
                                     f"Too many requests; try again in {wait} seconds.")
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response
    return None


@bp.after_app_request
def _after(response: Response) -> Response:
    t0 = g.pop("ucc_t0", None)
    if t0 is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        _metrics().observe_request(request.method, route, response.status_code, time.perf_counter() - t0)
    if request.path.startswith(f"{API}/admin"):
        response.headers["Cache-Control"] = "no-store"
    return response


# --- input -----------------------------------------------------------------------------------

def request_body() -> bytes:
    """The request's body, 413 past UCC_MAX_BODY_BYTES: from its Content-Length before it is read,
    and for a chunked body (no Content-Length) as soon as it runs past the limit. Werkzeug stops
    reading a chunked body at the limit and hands back the truncated part, which would be a 400."""
    try:
        raw = request.get_data(cache=True)
        limit = request.max_content_length
        if request.content_length is None and limit is not None and len(raw) >= limit \
                and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    except HTTPException:
        raise
    except Exception:  # noqa: BLE001 - the server could not read it (e.g. a malformed chunk size)
        fail(400, "invalid_body", "The request body could not be read.")
    return raw


def json_body(fields: dict[str, tuple[type, ...]], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON object, checked: only ``fields``, each of its types (None allowed for
    optional fields), every ``required`` one present."""
    if not request.is_json:
        fail(415, "unsupported_media_type", "Send a JSON object with Content-Type: application/json.")
    raw = request_body()  # 413 past UCC_MAX_BODY_BYTES
    try:
        data = json.loads((raw or b"null").decode("utf-8-sig"))  # strict: json.loads(bytes) lets surrogates pass
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # and so would a "\ud800" escape
    except (ValueError, UnicodeError):
        fail(400, "invalid_json", "The body is not valid JSON in UTF-8.")
    except RecursionError:  # [[[[...]]]] past the parser's recursion limit
        fail(400, "invalid_json", "The body is nested too deeply.")
    if not isinstance(data, dict):
        fail(400, "invalid_body", "The body must be a JSON object.")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        fail(400, "unknown_field", f"Unknown field(s): {', '.join(unknown)}; allowed: {', '.join(fields)}.")
    for name in required:
        if data.get(name) is None:
            fail(400, "missing_field", f"The field '{name}' is required.")
    for name, value in data.items():
        types = fields[name]
        if value is None and name not in required:
            continue
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            fail(400, "invalid_type", f"The field '{name}' must be {_type_names(types)}.")
    return data


def _type_names(types: tuple[type, ...]) -> str:
    names = {str: "a string", dict: "an object", list: "an array", int: "an integer", bool: "true or false"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def query_args(allowed: tuple[str, ...], repeatable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The query string, checked: only ``allowed`` names, and only ``repeatable`` ones more than once."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        fail(400, "unknown_parameter", f"Unknown parameter(s): {', '.join(unknown)}; allowed: {', '.join(allowed)}.")
    out: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        if name in repeatable:
            out[name] = [v for v in values if v.strip()]
        elif len(values) > 1:
            fail(400, "repeated_parameter", f"Give '{name}' once.")
        else:
            out[name] = values[0]
    return out


def int_arg(args: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not _INTEGER.match(raw):  # int() would also take " 5", "+5", "5_0" and other scripts' digits
        fail(400, "invalid_parameter", f"'{name}' must be a whole number between {lo} and {hi}.")
    value = int(raw)
    if not lo <= value <= hi:
        fail(400, "invalid_parameter", f"'{name}' must be a whole number between {lo} and {hi}.")
    return value


def bool_arg(args: dict[str, Any], name: str) -> bool:
    raw = args.get(name) or "0"
    if raw not in BOOL_VALUES:
        fail(400, "invalid_parameter", f"'{name}' must be 1 or 0.")
    return BOOL_VALUES[raw]


def check_text(value: str, what: str) -> str:
    """One line of text, not empty, at most :data:`MAX_TEXT` characters as sent (422 past it,
    so the OpenAPI ``maxLength`` holds exactly)."""
    if len(value) > MAX_TEXT:
        fail(422, f"{what}_too_long",
             f"The {what} is too long ({len(value)} characters; at most {MAX_TEXT}). "
             "Ask about one thing at a time, or shorten the pasted text.")
    text = " ".join(value.split())
    if not text:
        fail(400, "empty_" + what, f"The {what} is empty.")
    return text


def check_filters(raw: Any) -> dict[str, list[str]] | None:
    """Filters from a JSON body: names from FILTER_KEYS (or their plurals), each a string, a
    number or an array of them."""
    if raw is None:
        return None
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, bool) or not isinstance(v, (str, int)) for v in values):
            fail(400, "invalid_type", f"The filter '{key}' must be a string, a number or an array of them.")
        if any(len(str(v)) > MAX_ID for v in values):
            fail(400, "invalid_filter", f"A value of the filter '{key}' is too long.")
        out[key] = [str(v) for v in values]
    return out or None


def _args_filters(args: dict[str, Any]) -> dict[str, list[str]]:
    return {k: args[k] for k in FILTER_KEYS if args.get(k)}


# --- operations ------------------------------------------------------------------------------

@bp.get("/healthz")
@bp.get(f"{API}/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@bp.get(f"{API}/readyz")
def readyz():
    """Ready when the live generation's FAISS index and the embedding model are loaded."""
    try:
        facts = _assistant().readiness()
    except UccError as exc:
        return error_response(503, "not_ready", exc.message)
    return jsonify(status="ready", model_loaded=True, warm=current_app.extensions.get("ucc.warm") is True, **facts)


@bp.get("/metrics")
@bp.get(f"{API}/metrics")
def metrics():
    try:
        index = _assistant().index_facts()
    except UccError:
        index = None
    return Response(_metrics().render(index), content_type="text/plain; version=0.0.4; charset=utf-8")


@bp.get(f"{API}/openapi.json")
def openapi_json():
    from app.web.openapi import spec

    return jsonify(spec())


@bp.get(f"{API}/docs")
def docs():
    from app.web.openapi import doc_sections, spec

    return render_template("api_docs.html", spec=spec(), sections=doc_sections())


# --- asking ----------------------------------------------------------------------------------

ASK_FIELDS = {"question": (str,), "conversation_id": (str,), "filters": (dict,), "channel": (str,),
              "user_id": (str,)}
WEB_USER_PREFIX = "web:"  # a user_id a web client claims is hashed apart from Slack's user ids


@bp.post(f"{API}/ask")
def ask():
    data = json_body(ASK_FIELDS, required=("question",))
    question = data["question"]  # checked by the assistant: EmptyQuestion (400), QuestionTooLong (422)
    channel = data.get("channel") or "web"
    if channel not in WEB_CHANNELS:
        other = " (the Slack bot and the command line record their own questions)" if channel in CHANNELS else ""
        fail(400, "invalid_channel", f"Unknown channel {channel!r} for the web API{other}; use one of: "
                                     f"{', '.join(WEB_CHANNELS)}.")
    user_id = data.get("user_id")
    if user_id is not None and len(user_id) > MAX_ID:
        fail(400, "invalid_user_id", f"user_id is at most {MAX_ID} characters.")
    # Nothing vouches for an id a web client sends: it is logged as the web's, never as the same
    # hash as a Slack user's, whatever the client claims.
    user_id = WEB_USER_PREFIX + user_id if user_id else None
    filters = check_filters(data.get("filters"))
    conversation = data.get("conversation_id") or None
    try:  # answered, timed and recorded in the question log by the assistant (app/asking.py)
        asked = _assistant().ask_and_record(question, channel=channel, user_id=user_id, conversation=conversation,
                                            filters=filters, log=_log())
    except UccError as exc:
        if exc.status >= 500:  # the assistant failed (and logged the question as an error)
            _metrics().observe_answer("error", channel)
        raise
    except Exception:
        _metrics().observe_answer("error", channel)
        raise
    _metrics().observe_answer(asked.status, channel)
    return jsonify(asked.to_dict())


FEEDBACK_FIELDS = {"answer_id": (str,), "rating": (str,), "comment": (str,)}


@bp.post(f"{API}/feedback")
def feedback():
    data = json_body(FEEDBACK_FIELDS, required=("answer_id", "rating"))
    if len(data["answer_id"]) > MAX_ID:
        fail(400, "invalid_answer_id", f"answer_id is at most {MAX_ID} characters.")
    if data["rating"] not in ("up", "down"):
        fail(400, "invalid_rating", "The rating must be 'up' or 'down'.")
    comment = data.get("comment")
    if comment is not None:
        if len(comment) > MAX_TEXT:
            fail(422, "comment_too_long", f"The comment is too long ({len(comment)} characters; at most {MAX_TEXT}).")
        comment = " ".join(comment.split())
    result = _assistant().record_feedback(data["answer_id"], data["rating"], comment or None, log=_log())
    return jsonify(result), 201


# --- search, cities, benchmark, examples ---------------------------------------------------------

@bp.get(f"{API}/search")
def search():
    args = query_args(("q", "k", "mode", *FILTER_KEYS), repeatable=FILTER_KEYS)
    if args.get("q") is None:
        fail(400, "missing_parameter", "The parameter 'q' (the search text) is required.")
    q = check_text(args["q"], "query")
    k = int_arg(args, "k", 10, 1, 100)
    mode = args.get("mode") or None
    if mode is not None and mode not in MODES:
        fail(400, "invalid_parameter", f"Unknown mode {mode!r}; use one of: {', '.join(MODES)}.")
    result = _assistant().search(q, k=k, mode=mode, filters=_args_filters(args))
    return jsonify(result.to_dict())


@bp.get(f"{API}/cities")
def cities():
    query_args(())
    assistant = _assistant()
    out = []
    for c in assistant.members():
        out.append({"slug": c.slug, "name": c.name, "local_names": list(c.local_names), "country": c.country,
                    "country_code": c.country_code, "type": c.type, "role": c.role, "capital": c.capital,
                    "population_approx": c.population_approx, "languages": list(c.languages),
                    "has_scores": assistant.has_scores(c.slug)})
    return jsonify(count=len(out), cities=out)


@bp.get(f"{API}/cities/<slug>")
def city(slug: str):
    query_args(())
    return jsonify(_assistant().profile(slug))


@bp.get(f"{API}/cities/<slug>/similar")
def city_similar(slug: str):
    from app.network.cities import BASES, MAX_K

    args = query_args(("k", "basis"))
    k = int_arg(args, "k", 5, 1, MAX_K)
    basis = args.get("basis") or "all"
    if basis not in BASES:
        fail(400, "invalid_parameter", f"Unknown basis {basis!r}; use one of: {', '.join(BASES)}.")
    return jsonify(_assistant().similar(slug, k=k, basis=basis))


@bp.get(f"{API}/cities/<slug>/learn-from")
def city_learn_from(slug: str):
    args = query_args(("subindicator",))
    return jsonify(_assistant().learn_from(slug, args.get("subindicator") or None))


@bp.get(f"{API}/benchmark")
def benchmark():
    args = query_args(("revision",))
    assistant = _assistant()
    revision = args.get("revision") or None
    data = assistant.scores(None, revision)
    data["pillars"] = assistant.pillar_averages(revision)["pillars"]
    return jsonify(data)


@bp.get(f"{API}/benchmark/<slug>")
def benchmark_city(slug: str):
    args = query_args(("revision",))
    return jsonify(_assistant().city_benchmark(slug, args.get("revision") or None))


@bp.get(f"{API}/examples")
def examples():
    args = query_args(("topic", "n", "format", "all_per_city", *FILTER_KEYS), repeatable=FILTER_KEYS)
    if args.get("topic") is None:
        fail(400, "missing_parameter", "The parameter 'topic' is required.")
    topic = check_text(args["topic"], "topic")
    n = int_arg(args, "n", 5, 1, 20)
    fmt = args.get("format") or "json"
    if fmt not in EXAMPLE_FORMATS:
        fail(400, "invalid_parameter", f"Unknown format {fmt!r}; use one of: {', '.join(EXAMPLE_FORMATS)}.")
    pack = _assistant().session_pack(topic, n=n, filters=_args_filters(args) or None,
                                     one_per_city=not bool_arg(args, "all_per_city"))
    if fmt == "md":
        return Response(pack.to_markdown(), content_type="text/markdown; charset=utf-8")
    if fmt == "csv":
        name = re.sub(r"[^a-z0-9]+", "-", topic.casefold()).strip("-")[:60] or "examples"
        return Response(pack.to_csv(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="examples-{name}.csv"'})
    return jsonify(pack.to_dict())


# --- admin -----------------------------------------------------------------------------------

def admin_required(view: Callable) -> Callable:
    """404 when UCC_ADMIN_TOKEN is empty (admin routes are off); 401 without the right bearer token.
    Wrong tokens count in the wrong-token throttle shared with the console (429 with Retry-After
    past a few; see :class:`app.web.ratelimit.FailureThrottle`) and are logged without the token
    or the client's address; a request without credentials is not an attempt."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = _settings().admin_token or ""
        if not token:
            fail(404, "admin_disabled", "Admin routes are disabled on this server (UCC_ADMIN_TOKEN is not set).")
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        unauthorized = {"WWW-Authenticate": 'Bearer realm="ucc-admin"'}
        if scheme.lower() != "bearer" or not given.strip():
            fail(401, "unauthorized", "This route needs the admin bearer token.", headers=unauthorized)
        throttle = failure_throttle(current_app)
        client = throttle.client_key(request.remote_addr)
        wait, failures = throttle.attempt(client)
        if wait:
            fail(429, "too_many_requests", f"Too many wrong admin tokens from your address; try again in {wait} "
                 f"second{'s' if wait != 1 else ''}.", headers={"Retry-After": str(wait)})
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            log_wrong_token(throttle, f"admin API, {request.url_rule.rule}", client, failures)
            fail(401, "unauthorized", "This route needs the admin bearer token.", headers=unauthorized)
        throttle.succeeded(client)
        log_auth("admin token accepted", f"admin API, {request.method} {request.url_rule.rule}", client)
        return view(*args, **kwargs)

    return wrapped


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_DATE_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                        r"([Zz]|[+-][0-9]{2}:[0-9]{2})\Z")
_FIRST = datetime.min.replace(tzinfo=timezone.utc).isoformat()


def time_arg(args: dict[str, Any], name: str) -> str | None:
    """A date (``YYYY-MM-DD``, UTC midnight) or an RFC 3339 date and time, as a UTC ISO string;
    anything else is 400 (the OpenAPI ``format: date`` / ``date-time``)."""
    raw = args.get(name) or None
    if raw is None:
        return None
    try:
        if m := _DATE.match(raw):
            return datetime(*map(int, m.groups()), tzinfo=timezone.utc).isoformat()
        if m := _DATE_TIME.match(raw):
            year, month, day, hour, minute, second = map(int, m.groups()[:6])
            micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
            zone = m.group(8).upper()
            offset = timedelta(0) if zone == "Z" else (
                (-1 if zone[0] == "-" else 1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
            value = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=timezone(offset))
            try:
                return value.astimezone(timezone.utc).isoformat()
            except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first representable UTC time
                return (datetime.min if year == 1 else datetime.max).replace(tzinfo=timezone.utc).isoformat()
    except ValueError:  # 2023-02-30, an hour of 25, an offset of 24 hours or more
        pass
    fail(400, "invalid_parameter", f"'{name}' must be a date (YYYY-MM-DD) or a date and time (RFC 3339).")
    return None


def _period(args: dict[str, Any], default_days: int | None = 30) -> tuple[Any, Any]:
    """``since``/``until`` (dates or RFC 3339 times), or ``days`` back from ``until`` (default: now)."""
    since, until = time_arg(args, "since"), time_arg(args, "until")
    days = None
    if args.get("days") not in (None, ""):
        if since is not None:
            fail(400, "invalid_parameter", "Give 'days' or 'since', not both.")
        days = int_arg(args, "days", 30, 1, 3660)
    elif since is None:
        days = default_days
    now = datetime.now(timezone.utc)
    end = datetime.fromisoformat(until) if until else now
    if days is not None:
        try:
            since = (end - timedelta(days=days)).isoformat()
        except OverflowError:  # until is in the first days of year 1
            since = _FIRST
    elif since is None and until is not None:
        since = _FIRST  # everything up to until, however long ago
    if until is None and since is not None and datetime.fromisoformat(since) > now:
        until = since  # a period that starts in the future is empty, not an error
    return since, until


@bp.get(f"{API}/admin/questions.csv")
@admin_required
def admin_questions_csv():
    args = query_args(("since", "until", "days"))
    since, until = _period(args, default_days=None)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
    return Response(_log().export_csv(since, until), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="questions-{stamp}.csv"'})


@bp.get(f"{API}/admin/unanswered")
@admin_required
def admin_unanswered():
    return _question_list("unanswered")


@bp.get(f"{API}/admin/down-rated")
@admin_required
def admin_down_rated():
    return _question_list("down_rated")


def _question_list(view: str):
    """A moderators' list from the question log (``unanswered`` or ``down_rated``) for a period."""
    args = query_args(("since", "until", "days", "limit"))
    since, until = _period(args)
    limit = int_arg(args, "limit", 200, 1, 1000)
    qlog = _log()
    items = getattr(qlog, view)(since, until, limit=limit)
    period = qlog.summary(since, until)
    return jsonify(since=period["since"], until=period["until"], count=len(items), questions=items)


@bp.get(f"{API}/admin/topics")
@admin_required
def admin_topics():
    args = query_args(("since", "until", "days", "k"))
    since, until = _period(args)
    k = int_arg(args, "k", 10, 1, 100)
    qlog = _log()
    topics, by_meaning = _assistant().question_topics(qlog, since, until, k=k)
    method = "embeddings" if by_meaning else "tfidf"
    period = qlog.summary(since, until)
    return jsonify(since=period["since"], until=period["until"], questions=period["asks"], method=method,
                   topics=[t.to_dict() for t in topics])


@bp.post(f"{API}/admin/reindex")
@admin_required
def admin_reindex():
    """Start the incremental build of the knowledge base in a background thread (202)."""
    query_args(())
    if request_body().strip():
        json_body({})  # no options: an empty JSON object at most
    job_id = _assistant().start_reindex()["job_id"]  # BuildInProgress (409) while one runs here
    status_url = url_for("api.admin_reindex_status", job_id=job_id)
    response = jsonify(job_id=job_id, status="running", status_url=status_url)
    response.status_code = 202
    response.headers["Location"] = status_url
    return response


@bp.get(f"{API}/admin/reindex/<job_id>")
@admin_required
def admin_reindex_status(job_id: str):
    query_args(())
    return jsonify(_assistant().reindex_job(job_id))  # NotFound (404) for an id no job has


@bp.post(f"{API}/admin/benchmark/import")
@admin_required
def admin_benchmark_import():
    """Check an import file (CSV or YAML in the body, or a multipart ``file``); write it with
    ``?write=1`` only when every row is valid."""
    args = query_args(("write", "revision", "source", "name"))
    write = bool_arg(args, "write")
    name, content, suffix = _import_upload(args)
    with tempfile.TemporaryDirectory(prefix="ucc-import-") as tmp:
        path = Path(tmp) / (Path(name).stem + suffix)
        path.write_bytes(content)
        result = _assistant().import_benchmark(path, write=write, revision=args.get("revision") or None,
                                               source=args.get("source") or None)
    body = result.to_dict()
    body["output"] = f"benchmark/{result.output.name}" if result.output else None  # no server paths
    body["written"] = result.output is not None
    if not result.ok:
        fail(422, "invalid_import", f"{len(result.errors)} row error(s) in {result.source_file}; nothing written.",
             errors=body["errors"])
    if result.output is not None:
        _reload_workers()
    return jsonify(body)


def _import_upload(args: dict[str, Any]) -> tuple[str, bytes, str]:
    """(file name, bytes, suffix) from a multipart ``file`` or a raw CSV/YAML body."""
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or set(request.files) != {"file"} or request.form:
            fail(400, "invalid_body", "Send one multipart field named 'file'.")
        name = upload.filename or "import"
        content = upload.read()
        suffix = Path(name).suffix.lower()
        if suffix == ".yml":
            suffix = ".yaml"
        if suffix not in (".csv", ".yaml"):
            fail(415, "unsupported_media_type", "Upload a .csv, .yaml or .yml file.")
    elif mimetype in IMPORT_TYPES:
        suffix = IMPORT_TYPES[mimetype]
        name = args.get("name") or ("import" + suffix)
        content = request_body()
    else:
        fail(415, "unsupported_media_type", "Send CSV (text/csv) or YAML (application/yaml), or a multipart 'file'.")
    if not content.strip():
        fail(400, "invalid_body", "The import file is empty.")
    name = _FILE_NAME.sub("-", Path(name).name)[:80] or "import"
    return name, content, suffix


def _reload_workers() -> None:
    """New scores on disk, and this worker's assistant has reloaded them: under gunicorn, ask the
    arbiter to replace the other workers gracefully (each loads the new scores; no request fails)."""
    if _settings().gunicorn_reload:
        try:
            os.kill(os.getppid(), signal.SIGHUP)
        except OSError:
            log.warning("could not ask gunicorn to reload the workers")

