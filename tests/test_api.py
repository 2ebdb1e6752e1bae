"""The REST API through Flask's test client: every route, every error status, and every
response checked against the OpenAPI 3.1 document's schemas (JSON Schema 2020-12)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from functools import partial

import pytest
from jsonschema import Draft202012Validator

from app.assistant import Assistant
from app.web import create_app
from app.web.api.openapi import response_schema, spec
from app.web.ratelimit import RateLimiter
from indexer.settings import load_settings

from .conftest import REPO, FakeEmbedder, prometheus_value, write

TOKEN = "test-admin-token-0123456789"
DOC = spec()
ANSWERABLE = "How did Helsinki offer pre-primary places without an application?"


# --- fixtures and helpers --------------------------------------------------------------------------


def make_settings(tmp_path, **overrides):
    values = {"UCC_DATA_DIR": str(tmp_path / "var"), "UCC_KNOWLEDGE_DIR": str(REPO / "knowledge"),
              "UCC_RATE_LIMIT": 0, "UCC_ADMIN_TOKEN": TOKEN, "UCC_LOG_SALT": "pepper"}
    values.update({("UCC_" + k.upper() if not k.startswith("UCC_") else k): v for k, v in overrides.items()})
    return load_settings({}, **values)


@pytest.fixture(scope="module")
def real_assistant(tmp_path_factory, knowledge_searcher, catalog):
    """One assistant over the real model for the module (its caches warm up once)."""
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path_factory.mktemp("assistant")),
                             UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"))
    return Assistant(settings, searcher=knowledge_searcher, catalog=catalog)


@pytest.fixture
def app(tmp_path, real_assistant):
    return create_app(make_settings(tmp_path), assistant=real_assistant)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fake_app(tmp_path, knowledge_searcher_fake, catalog):
    settings = make_settings(tmp_path)
    return create_app(settings, assistant=Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog))


def admin(**headers):
    return {"Authorization": f"Bearer {TOKEN}", **headers}


def _template(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def check(response, path: str, method: str = "get", status: int | None = None):
    """Assert the status (if given) and validate the body against the documented schema."""
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)[:500]
    op = DOC["paths"][path][method]
    assert str(response.status_code) in op["responses"], f"{response.status_code} not documented for {method} {path}"
    ctype = response.mimetype
    if ctype == "application/json":
        schema = response_schema(DOC, path, method, response.status_code)
        errors = sorted(Draft202012Validator(schema).iter_errors(response.get_json()), key=str)
        assert not errors, f"{method.upper()} {path} {response.status_code}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
    else:
        r = op["responses"][str(response.status_code)]
        assert ctype in r["content"], f"{ctype} not documented for {method} {path}"
    return response.get_json(silent=True)


def error_of(response, path, method="get", status=None, code=None):
    body = check(response, path, method, status)
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    assert "Traceback" not in response.get_data(as_text=True)
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# --- the OpenAPI document ------------------------------------------------------------------------


def test_openapi_document_is_3_1_and_its_schemas_are_valid(client):
    body = check(client.get("/api/v1/openapi.json"), "/api/v1/openapi.json", status=200)
    assert body == DOC
    assert DOC["openapi"] == "3.1.0"
    for name, schema in DOC["components"]["schemas"].items():
        Draft202012Validator.check_schema({**schema, "components": DOC["components"]})
    for path, methods in DOC["paths"].items():
        for method, op in methods.items():
            assert op["responses"] and op["summary"] and op["operationId"], (method, path)


def test_openapi_covers_exactly_the_routes(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((method.lower(), _template(rule.rule)))
    documented = {(m, p) for p, ms in DOC["paths"].items() for m in ms}
    assert served == documented


def test_api_page_is_readable_html_without_script(client):
    r = client.get("/api/v1/docs")
    check(r, "/api/v1/docs", status=200)
    html = r.get_data(as_text=True)
    assert "<script" not in html.lower()
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for path in DOC["paths"]:
        assert path in html
    assert "AskRequest" in html and "answer_id" in html


# --- ask and feedback ------------------------------------------------------------------------------


def test_ask_answers_with_citations_and_logs_the_ask(client, app):
    r = client.post("/api/v1/ask", json={"question": ANSWERABLE, "channel": "widget", "user_id": "U024BE7LH"})
    body = check(r, "/api/v1/ask", "post", 200)
    assert body["status"] == "answered" and body["citations"]
    assert any("helsinki" in (c["city"] or "") for c in body["citations"])
    assert body["channel"] == "widget"
    row = app.extensions["ucc.questionlog"].get(body["answer_id"])
    assert row["question"] == ANSWERABLE and row["status"] == "answered" and row["channel"] == "widget"
    assert row["sources"] and row["latency_ms"] > 0 and row["generation"] >= 1
    assert row["answer"] and body["answer"].startswith(row["answer"].rstrip("…")[:200])  # the answer given, cut
    assert row["route"] == "answer" and row["route_failed"] is False and row["outcome"] == "answered"
    raw = (app.extensions["ucc.settings"].data_dir / "questions.db").read_bytes()
    assert b"U024BE7LH" not in raw and b"127.0.0.1" not in raw


def test_ask_follow_up_keeps_the_conversation(client, app):
    first = check(client.post("/api/v1/ask", json={"question": "How do cities run participatory budgets?"}),
                  "/api/v1/ask", "post", 200)
    cid = first["conversation_id"]
    second = check(client.post("/api/v1/ask", json={"question": "and in Spain?", "conversation_id": cid}),
                   "/api/v1/ask", "post", 200)
    assert second["conversation_id"] == cid and second["follow_up"] == "place"
    assert second["answer_id"] != first["answer_id"]
    row = app.extensions["ucc.questionlog"].get(second["answer_id"])
    assert row["question"] == "and in Spain?" and row["follow_up"] == "place"
    assert row["resolved_question"] == second["resolved_question"] != "and in Spain?"  # the rewritten question


def test_ask_routes_score_questions(client, app):
    body = check(client.post("/api/v1/ask", json={"question": "What are Ghent's scores?", "channel": "widget"}),
                 "/api/v1/ask", "post", 200)
    assert body["intent"] == "scores" and body["data"]["city"] == "ghent" and body["answer_id"]
    row = app.extensions["ucc.questionlog"].get(body["answer_id"])
    assert row["route"] == "scores" and row["intent"] == "scores" and row["answer"].startswith("Ghent scores")


def test_ask_with_filters_and_cannot_answer(client):
    body = check(client.post("/api/v1/ask", json={"question": "Where are the best tapas bars?",
                                                  "filters": {"kind": ["service"], "city": "madrid"}}),
                 "/api/v1/ask", "post", 200)
    assert body["status"] == "cannot_answer"


@pytest.mark.parametrize("payload, status, code", [
    ({}, 400, "missing_field"),
    ({"question": None}, 400, "missing_field"),
    ({"question": 42}, 400, "invalid_type"),
    ({"question": ["a"]}, 400, "invalid_type"),
    ({"question": "   "}, 400, "empty_question"),
    ({"question": "ok?", "colour": "red"}, 400, "unknown_field"),
    ({"question": "ok?", "channel": "email"}, 400, "invalid_channel"),
    ({"question": "ok?", "channel": 1}, 400, "invalid_type"),
    ({"question": "ok?", "filters": "madrid"}, 400, "invalid_type"),
    ({"question": "ok?", "filters": {"city": {"a": 1}}}, 400, "invalid_type"),
    ({"question": "ok?", "filters": {"planet": "mars"}}, 400, "invalid_request"),
    ({"question": "ok?", "conversation_id": "bad id!"}, 400, "invalid_request"),
    ({"question": "ok?", "user_id": "u" * 201}, 400, "invalid_user_id"),
    (["question"], 400, "invalid_body"),
    ({"question": "x" * 2001}, 422, "question_too_long"),
])
def test_ask_rejects_bad_bodies(client, payload, status, code):
    err = error_of(client.post("/api/v1/ask", json=payload), "/api/v1/ask", "post", status, code)
    assert err["message"]
    if status == 422:
        assert "2001 characters" in err["message"] and "2000" in err["message"]


def test_ask_needs_json_and_a_small_body(tmp_path, real_assistant):
    app = create_app(make_settings(tmp_path, max_body_bytes=1024), assistant=real_assistant)
    c = app.test_client()
    error_of(c.post("/api/v1/ask", data="question=hi"), "/api/v1/ask", "post", 415, "unsupported_media_type")
    error_of(c.post("/api/v1/ask", data="{not json", content_type="application/json"), "/api/v1/ask", "post", 400,
             "invalid_json")
    big = json.dumps({"question": "y" * 1500})
    error_of(c.post("/api/v1/ask", data=big, content_type="application/json"), "/api/v1/ask", "post", 413)


def test_feedback_is_recorded_and_checked(client, app):
    answer = check(client.post("/api/v1/ask", json={"question": ANSWERABLE}), "/api/v1/ask", "post", 200)
    r = client.post("/api/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "down",
                                               "comment": "=HYPERLINK(\"x\") not what I asked"})
    body = check(r, "/api/v1/feedback", "post", 201)
    assert body["rating"] == "down"
    rated = app.extensions["ucc.questionlog"].down_rated()
    assert rated[0]["answer_id"] == answer["answer_id"] and "not what I asked" in rated[0]["comment"]
    error_of(client.post("/api/v1/feedback", json={"answer_id": "no-such-answer-id", "rating": "up"}),
             "/api/v1/feedback", "post", 404, "not_found")
    error_of(client.post("/api/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "meh"}),
             "/api/v1/feedback", "post", 400, "invalid_rating")
    error_of(client.post("/api/v1/feedback", json={"answer_id": answer["answer_id"]}),
             "/api/v1/feedback", "post", 400, "missing_field")
    error_of(client.post("/api/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up", "x": 1}),
             "/api/v1/feedback", "post", 400, "unknown_field")
    error_of(client.post("/api/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up",
                                                   "comment": "c" * 2001}), "/api/v1/feedback", "post", 422,
             "comment_too_long")
    error_of(client.post("/api/v1/feedback", data="rating=up"), "/api/v1/feedback", "post", 415)


# --- search ----------------------------------------------------------------------------------------


def test_search_returns_hits_with_filters(client):
    body = check(client.get("/api/v1/search?q=proactive+services+for+families&k=3"), "/api/v1/search", status=200)
    assert 1 <= len(body["hits"]) <= 3 and body["mode"] == "hybrid" and body["generation"] >= 1
    body = check(client.get("/api/v1/search?q=reporting+problems&kind=service&city=rotterdam&city=paris&mode=bm25"),
                 "/api/v1/search", status=200)
    assert body["hits"] and all(h["kind"] == "service" and h["city"] in ("rotterdam", "paris") for h in body["hits"])


@pytest.mark.parametrize("query, status, code", [
    ("", 400, "missing_parameter"),
    ("?q=", 400, "empty_query"),
    ("?q=x&k=0", 400, "invalid_parameter"),
    ("?q=x&k=101", 400, "invalid_parameter"),
    ("?q=x&k=ten", 400, "invalid_parameter"),
    ("?q=x&mode=fuzzy", 400, "invalid_parameter"),
    ("?q=x&colour=red", 400, "unknown_parameter"),
    ("?q=x&q=y", 400, "repeated_parameter"),
    ("?q=" + "z" * 2001, 422, "query_too_long"),
])
def test_search_rejects_bad_parameters(client, query, status, code):
    error_of(client.get("/api/v1/search" + query), "/api/v1/search", "get", status, code)


def test_search_without_an_index_is_503(tmp_path):
    settings = make_settings(tmp_path)
    c = create_app(settings, assistant=Assistant(settings)).test_client()
    error_of(c.get("/api/v1/search?q=anything"), "/api/v1/search", status=503, code="index_not_built")
    error_of(c.get("/readyz"), "/readyz", status=503, code="not_ready")
    check(c.get("/healthz"), "/healthz", status=200)


# --- cities, benchmark, examples ---------------------------------------------------------------------


def test_cities_and_profiles(client):
    body = check(client.get("/api/v1/cities"), "/api/v1/cities", status=200)
    assert body["count"] == 26 == len(body["cities"])
    profile = check(client.get("/api/v1/cities/milano"), "/api/v1/cities/{slug}", status=200)
    assert profile["city"] == "milan"
    similar = check(client.get("/api/v1/cities/ghent/similar?k=3&basis=benchmark"), "/api/v1/cities/{slug}/similar",
                    status=200)
    assert len(similar["matches"]) == 3 and similar["basis"] == "benchmark"
    learn = check(client.get("/api/v1/cities/ghent/learn-from?subindicator=2.1"), "/api/v1/cities/{slug}/learn-from",
                  status=200)
    assert learn["focus"][0]["subindicator"] == "2.1"


def test_city_errors(client):
    err = error_of(client.get("/api/v1/cities/Ghentopolis"), "/api/v1/cities/{slug}", status=404, code="unknown_city")
    assert "Ghent" in err["suggestions"]
    error_of(client.get("/api/v1/cities/atlantis/similar"), "/api/v1/cities/{slug}/similar", status=404)
    error_of(client.get("/api/v1/cities/ghent/similar?basis=vibes"), "/api/v1/cities/{slug}/similar", status=400)
    error_of(client.get("/api/v1/cities/ghent/similar?k=99"), "/api/v1/cities/{slug}/similar", status=400)
    error_of(client.get("/api/v1/cities/ghent/learn-from?subindicator=9.9"), "/api/v1/cities/{slug}/learn-from",
             status=404)
    error_of(client.get("/api/v1/cities?page=2"), "/api/v1/cities", status=400, code="unknown_parameter")


def test_benchmark_ranking_and_city_scores(client):
    body = check(client.get("/api/v1/benchmark"), "/api/v1/benchmark", status=200)
    assert body["label"] == "self-assessment" and body["ranking"][0]["rank"] == 1 and body["pillars"]
    assert check(client.get("/api/v1/benchmark?revision=2023"), "/api/v1/benchmark", status=200)["revision"] == "2023"
    city = check(client.get("/api/v1/benchmark/Gent"), "/api/v1/benchmark/{slug}", status=200)
    assert city["city"] == "ghent" and city["subindicators"] and city["versus_peers"]["subindicators"]
    error_of(client.get("/api/v1/benchmark?revision=1999"), "/api/v1/benchmark", status=404)
    cities = client.get("/api/v1/cities").get_json()["cities"]
    unscored = next(c["slug"] for c in cities if not c["has_scores"])
    error_of(client.get(f"/api/v1/benchmark/{unscored}"), "/api/v1/benchmark/{slug}", status=404, code="no_scores")


def test_examples_in_three_formats(client):
    body = check(client.get("/api/v1/examples?topic=proactive+services&n=3"), "/api/v1/examples", status=200)
    assert 1 <= len(body["examples"]) <= 3 and body["prompts"]
    md = client.get("/api/v1/examples?topic=proactive+services&n=3&format=md")
    check(md, "/api/v1/examples", status=200)
    assert md.mimetype == "text/markdown" and md.get_data(as_text=True).startswith("# ")
    r = client.get("/api/v1/examples?topic=proactive+services&n=3&format=csv&all_per_city=1")
    check(r, "/api/v1/examples", status=200)
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][0] == "title" and len(rows) >= 2
    error_of(client.get("/api/v1/examples"), "/api/v1/examples", status=400, code="missing_parameter")
    error_of(client.get("/api/v1/examples?topic=x&format=pdf"), "/api/v1/examples", status=400)
    error_of(client.get("/api/v1/examples?topic=x&n=21"), "/api/v1/examples", status=400)
    error_of(client.get("/api/v1/examples?topic=" + "t" * 2001), "/api/v1/examples", status=422)


# --- operations ------------------------------------------------------------------------------------


def test_health_ready_and_metrics(client):
    check(client.get("/healthz"), "/healthz", status=200)
    check(client.get("/api/v1/healthz"), "/api/v1/healthz", status=200)
    ready = check(client.get("/readyz"), "/readyz", status=200)
    assert ready["generation"] >= 1 and ready["chunks"] > 0
    client.get("/api/v1/search?q=digital+inclusion")
    client.post("/api/v1/ask", json={"question": ANSWERABLE})
    client.get("/api/v1/cities/nowhere-at-all")
    r = client.get("/metrics")
    check(r, "/metrics", status=200)
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.get_data(as_text=True)
    value = partial(prometheus_value, text)
    assert value("ucc_http_requests_total", method="GET", route="/api/v1/search", status="200") == 1
    assert value("ucc_http_requests_total", method="GET", route="/api/v1/cities/<slug>", status="404") == 1
    assert value("ucc_http_request_duration_seconds_bucket", route="/api/v1/search", le="+Inf") == 1
    assert value("ucc_http_request_duration_seconds_count", route="/api/v1/ask") == 1
    assert value("ucc_answers_total", status="answered", channel="web") == 1
    assert value("ucc_index_generation") >= 1 and value("ucc_index_chunks") > 0
    assert "nowhere" not in text  # route templates, never raw paths
    check(client.get("/api/v1/metrics"), "/api/v1/metrics", status=200)


def test_unexpected_errors_are_json_without_trace_and_logged(tmp_path, catalog, knowledge_searcher_fake):
    class Broken(Assistant):
        def ask(self, *a, **k):
            raise RuntimeError("secret internals at /srv/app.py line 3")

    settings = make_settings(tmp_path)
    app = create_app(settings, assistant=Broken(settings, searcher=knowledge_searcher_fake, catalog=catalog))
    r = app.test_client().post("/api/v1/ask", json={"question": "anything?"})
    err = error_of(r, "/api/v1/ask", "post", 500, "internal_error")
    assert "secret" not in r.get_data(as_text=True)
    assert app.extensions["ucc.questionlog"].unanswered()[0]["status"] == "error"
    assert err["message"]


def test_unknown_route_and_wrong_method_are_json(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    error_of(client.get("/api/v1/ask"), "/api/v1/ask", "post", 405, "method_not_allowed")
    error_of(client.delete("/api/v1/cities"), "/api/v1/cities", "get", 405)


# --- security --------------------------------------------------------------------------------------


ADMIN_CALLS = [("get", "/api/v1/admin/questions.csv"), ("get", "/api/v1/admin/unanswered"),
               ("get", "/api/v1/admin/down-rated"), ("get", "/api/v1/admin/topics"), ("post", "/api/v1/admin/reindex"),
               ("get", "/api/v1/admin/reindex/abcdefgh12"), ("post", "/api/v1/admin/benchmark/import")]


def _doc_path(url: str) -> str:
    return "/api/v1/admin/reindex/{job_id}" if url.startswith("/api/v1/admin/reindex/") else url


@pytest.mark.parametrize("method, url", ADMIN_CALLS)
def test_admin_routes_are_off_without_a_token(tmp_path, real_assistant, method, url):
    c = create_app(make_settings(tmp_path, admin_token=""), assistant=real_assistant).test_client()
    r = getattr(c, method)(url, headers={"Authorization": "Bearer "})
    error_of(r, _doc_path(url), method, 404, "admin_disabled")


@pytest.mark.parametrize("method, url", ADMIN_CALLS)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_admin_routes_need_the_bearer_token(client, method, url, header):
    headers = {"Authorization": header} if header else {}
    r = getattr(client, method)(url, headers=headers)
    error_of(r, _doc_path(url), method, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in r.get_data(as_text=True)


def test_rate_limit_answers_429_with_retry_after(tmp_path, real_assistant):
    c = create_app(make_settings(tmp_path, rate_limit=3), assistant=real_assistant).test_client()
    for _ in range(3):
        check(c.get("/api/v1/cities"), "/api/v1/cities", status=200)
    r = c.get("/api/v1/cities")
    error_of(r, "/api/v1/cities", status=429, code="too_many_requests")
    assert int(r.headers["Retry-After"]) >= 1
    error_of(c.post("/api/v1/ask", json={"question": "hi"}), "/api/v1/ask", "post", 429)
    check(c.get("/healthz"), "/healthz", status=200)  # health checks are not limited
    other = c.get("/api/v1/cities", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200  # per client


@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_addresses_count_only_behind_a_trusted_proxy(tmp_path, real_assistant, hops):
    """UCC_PROXY_HOPS=1 (behind nginx): each real client has its own bucket; 0: the header is
    ignored, so a client cannot dodge the limit by making up X-Forwarded-For."""
    c = create_app(make_settings(tmp_path, rate_limit=2, proxy_hops=hops), assistant=real_assistant).test_client()
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(2):
        assert c.get("/api/v1/cities", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base=proxy).status_code == 200
    assert c.get("/api/v1/cities", headers={"X-Forwarded-For": "203.0.113.7"},
                 environ_base=proxy).status_code == 429
    other = c.get("/api/v1/cities", headers={"X-Forwarded-For": "198.51.100.9"}, environ_base=proxy)
    assert other.status_code == (200 if hops else 429)


def test_rate_limiter_refills_over_time():
    now = [0.0]
    rl = RateLimiter(60, clock=lambda: now[0])
    key = rl.client_key("192.0.2.1")
    assert "192.0.2.1" not in key
    assert all(rl.hit(key)[0] for _ in range(60))
    allowed, wait = rl.hit(key)
    assert not allowed and wait == 1
    now[0] += 1.0
    assert rl.hit(key) == (True, 0)
    assert RateLimiter(0).hit("x") == (True, 0)


def test_cors_only_for_listed_origins(tmp_path, real_assistant):
    app = create_app(make_settings(tmp_path, allowed_origins="https://community.example"), assistant=real_assistant)
    c = app.test_client()
    ok = c.get("/api/v1/cities", headers={"Origin": "https://community.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://community.example"
    assert "Access-Control-Allow-Credentials" not in ok.headers
    other = c.get("/api/v1/cities", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    pre = c.options("/api/v1/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403 and pre.get_json()["error"]["code"] == "cors_forbidden"
    pre = c.options("/api/v1/ask", headers={"Origin": "https://community.example",
                                             "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "https://community.example"


def test_cors_denied_by_default(client):
    r = client.get("/api/v1/cities", headers={"Origin": "https://community.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_security_headers(tmp_path, real_assistant):
    c = create_app(make_settings(tmp_path, frame_ancestors="'self' https://community.example"),
                   assistant=real_assistant).test_client()
    for r in (c.get("/api/v1/cities"), c.get("/api/v1/docs"), c.get("/api/v1/nothing")):
        csp = r.headers["Content-Security-Policy"]
        script = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
        assert "unsafe-inline" not in script and "*" not in script
        assert "frame-ancestors 'self' https://community.example" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_widget_face_never_reveals_the_token_or_the_log(client, app):
    answer = client.post("/api/v1/ask", json={"question": ANSWERABLE, "channel": "widget", "user_id": "visitor-1"})
    text = answer.get_data(as_text=True)
    qlog = app.extensions["ucc.questionlog"]
    assert TOKEN not in text and qlog.hash_user("visitor-1") not in text and "user_hash" not in text
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("widget.") and "GET" in rule.methods and not rule.arguments:
            body = client.get(rule.rule).get_data(as_text=True)
            assert TOKEN not in body and answer.get_json()["answer_id"] not in body


# --- admin -----------------------------------------------------------------------------------------


def test_admin_log_views_and_export(client, app):
    for q, channel in [(ANSWERABLE, "web"), ("Where are the best tapas bars in Madrid?", "slack"),
                       ("services", "widget"), ("=1+1 how do cities run participatory budgets?", "cli")]:
        if channel in ("web", "widget"):
            check(client.post("/api/v1/ask", json={"question": q, "channel": channel}), "/api/v1/ask", "post", 200)
        else:  # the Slack bot and the command line record their own questions, as here
            result = app.extensions["ucc.assistant"].ask(q)
            app.extensions["ucc.questionlog"].record_ask(q, result["status"], channel=channel,
                                                         sources=result.get("citations") or [])
    unanswered = check(client.get("/api/v1/admin/unanswered?days=7", headers=admin()), "/api/v1/admin/unanswered",
                       status=200)
    statuses = {q["question"]: q["status"] for q in unanswered["questions"]}
    assert statuses.get("Where are the best tapas bars in Madrid?") == "cannot_answer"
    assert statuses.get("services") == "need_more_detail" and ANSWERABLE not in statuses
    first = unanswered["questions"][0]["answer_id"]
    client.post("/api/v1/feedback", json={"answer_id": first, "rating": "down"})
    down = check(client.get("/api/v1/admin/down-rated", headers=admin()), "/api/v1/admin/down-rated", status=200)
    assert [q["answer_id"] for q in down["questions"]] == [first]
    topics = check(client.get("/api/v1/admin/topics?days=30&k=5", headers=admin()), "/api/v1/admin/topics",
                   status=200)
    assert topics["questions"] == 4 and topics["method"] == "embeddings" and topics["topics"]
    r = client.get("/api/v1/admin/questions.csv", headers=admin())
    check(r, "/api/v1/admin/questions.csv", status=200)
    assert r.headers["Cache-Control"] == "no-store" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 4 and {row["channel"] for row in rows} == {"web", "slack", "widget", "cli"}
    assert any(row["question"].startswith("'=1+1") for row in rows)  # formulas defused
    error_of(client.get("/api/v1/admin/unanswered?since=yesterday", headers=admin()), "/api/v1/admin/unanswered",
             status=400)
    error_of(client.get("/api/v1/admin/topics?k=0", headers=admin()), "/api/v1/admin/topics", status=400)
    error_of(client.get("/api/v1/admin/unanswered?days=3&since=2026-01-01", headers=admin()),
             "/api/v1/admin/unanswered", status=400)


def test_admin_reindex_runs_in_the_background(tmp_path):
    kdir = tmp_path / "kb"
    write(kdir / "one.md", "---\ntitle: Snow clearing\nkind: guide\n---\n\n# Snow clearing\n\nPlough routes are published.\n")
    fake = FakeEmbedder()
    settings = make_settings(tmp_path, knowledge_dir=str(kdir))
    from indexer.build import build_index
    from indexer.search import Searcher

    build_index([kdir], settings, embedder=fake)
    app = create_app(settings, assistant=Assistant(settings, searcher=Searcher(settings, embedder=fake)))
    c = app.test_client()
    write(kdir / "two.md", "---\ntitle: Tram tickets\nkind: guide\n---\n\n# Tram tickets\n\nBuy tram tickets by SMS.\n")
    r = c.post("/api/v1/admin/reindex", headers=admin())
    started = check(r, "/api/v1/admin/reindex", "post", 202)
    assert r.headers["Location"] == started["status_url"]
    deadline = time.time() + 30
    while True:
        job = check(c.get(started["status_url"], headers=admin()), "/api/v1/admin/reindex/{job_id}", status=200)
        if job["status"] != "running" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert job["status"] == "done" and job["report"]["added"] == ["two.md"], job
    hits = c.get("/api/v1/search?q=tram+tickets+sms&mode=bm25").get_json()["hits"]
    assert hits[0]["title"] == "Tram tickets"
    error_of(c.get("/api/v1/admin/reindex/unknown-job-1", headers=admin()), "/api/v1/admin/reindex/{job_id}",
             status=404)
    error_of(c.post("/api/v1/admin/reindex", headers=admin(), data="x", content_type="text/plain"),
             "/api/v1/admin/reindex", "post", 415)


def test_admin_reindex_while_one_runs_is_409(client, app):
    import threading

    gate = threading.Event()
    busy = threading.Thread(target=gate.wait, daemon=True)
    busy.start()
    app.extensions["ucc.assistant"].reindex_jobs.threads["already-running"] = busy
    try:
        error_of(client.post("/api/v1/admin/reindex", headers=admin()), "/api/v1/admin/reindex", "post", 409,
                 "build_in_progress")
    finally:
        gate.set()


MILAN_2023 = {"1.1": (4, 4), "1.2": (6, 6), "1.3": (2, 3), "2.1": (5, 5), "2.2": (2, 5), "2.3": (3, 4),
              "2.4": (2, 3), "2.5": (2, 2), "2.6": (3, 3), "3.1": (2, 2), "3.2": (2, 2), "3.3": (2, 2)}


def _import_csv(city: str, bad: bool = False) -> str:
    lines = ["city,revision,subindicator,yes,n"]
    for sub, (yes, n) in MILAN_2023.items():
        lines.append(f"{city},2023,{sub},{n + 1 if bad and sub == '2.2' else yes},{n}")
    return "\n".join(lines) + "\n"


def test_admin_benchmark_import_checks_then_writes(tmp_path, knowledge_searcher_fake):
    kdir = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", kdir)
    settings = make_settings(tmp_path, knowledge_dir=str(kdir))
    from app.network.catalog import Catalog

    assistant = Assistant(settings, searcher=knowledge_searcher_fake, catalog=Catalog.load(kdir))
    c = create_app(settings, assistant=assistant).test_client()
    url = "/api/v1/admin/benchmark/import"
    cities = c.get("/api/v1/cities").get_json()["cities"]
    unscored = next(x["slug"] for x in cities if not x["has_scores"])
    before = sorted(p.name for p in (kdir / "benchmark").iterdir())

    body = check(c.post(url + "?name=network-results.csv", data=_import_csv(unscored), content_type="text/csv",
                        headers=admin()), url, "post", 200)
    assert body["ok"] and not body["written"] and body["cities"] == [unscored]
    assert sorted(p.name for p in (kdir / "benchmark").iterdir()) == before

    err = error_of(c.post(url, data=_import_csv(unscored, bad=True), content_type="text/csv", headers=admin()),
                   url, "post", 422, "invalid_import")
    assert err["errors"] and err["errors"][0]["field"]

    body = check(c.post(url + "?write=1", headers=admin(), content_type="multipart/form-data",
                        data={"file": (io.BytesIO(_import_csv(unscored).encode()), "network-results.csv")}),
                 url, "post", 200)
    assert body["written"] and body["output"] == "benchmark/scores-2023-network-results.yaml"
    assert (kdir / body["output"]).exists()
    scores = check(c.get(f"/api/v1/benchmark/{unscored}"), "/api/v1/benchmark/{slug}", status=200)
    assert scores["city"] == unscored  # this worker sees the new scores at once

    error_of(c.post(url, data="a,b\n1,2\n", content_type="application/pdf", headers=admin()), url, "post", 415)
    error_of(c.post(url, data=" ", content_type="text/csv", headers=admin()), url, "post", 400)
    error_of(c.post(url + "?write=maybe", data=_import_csv(unscored), content_type="text/csv", headers=admin()),
             url, "post", 400)
