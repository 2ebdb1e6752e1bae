"""Abuse: oversized, malformed, hostile and replayed requests get their documented status (README
"Limits and errors", the OpenAPI document) and the service keeps serving. Every test ends with a
normal request that still succeeds. Most go through Flask's test client; the last ones go through
a real HTTP server on 127.0.0.1, where raw bytes (CR/LF, bad UTF-8, lying Content-Length) arrive
exactly as sent.

test_api.py covers the plain cases (a 413 on a small limit, 401 with a wrong token, one 429,
CORS for listed origins); these push each limit further.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server

from app.assistant import Assistant
from app.web import create_app
from indexer.settings import load_settings

from .conftest import REPO
from .test_slack import bot, event_body, mention, sign, slack  # noqa: F401 (fixtures)

TOKEN = "abuse-admin-token-0123456789"
ORIGIN = "https://community.example"


def make_app(tmp_path, searcher, catalog, **overrides):
    values = {"UCC_DATA_DIR": str(tmp_path / "var"), "UCC_KNOWLEDGE_DIR": str(REPO / "knowledge"),
              "UCC_RATE_LIMIT": 0, "UCC_ADMIN_TOKEN": TOKEN, "UCC_LOG_SALT": "pepper", "UCC_ALLOWED_ORIGINS": ORIGIN}
    values.update(overrides)
    settings = load_settings({}, **values)
    return create_app(settings, assistant=Assistant(settings, searcher=searcher, catalog=catalog))


@pytest.fixture
def app(tmp_path, knowledge_searcher_fake, catalog):
    return make_app(tmp_path, knowledge_searcher_fake, catalog)


@pytest.fixture
def client(app):
    return app.test_client()


def still_serving(client, **kwargs) -> None:
    """A normal request succeeds after the abuse."""
    r = client.get("/api/v1/cities", **kwargs)
    assert r.status_code == 200 and r.get_json()["count"] == 26
    r = client.post("/api/v1/ask", json={"question": "How do cities run participatory budgets?"}, **kwargs)
    assert r.status_code == 200 and r.get_json()["answer_id"]


def error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert set(body) == {"error"} and body["error"]["message"] and "Traceback" not in r.get_data(as_text=True)
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


# --- bodies and questions ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/ask", "/api/v1/feedback"])
def test_a_body_over_the_limit_is_413_json(client, app, url):
    limit = app.extensions["ucc.settings"].max_body_bytes
    big = json.dumps({"question": "y" * limit})
    error(client.post(url, data=big, content_type="application/json"), 413, "request_entity_too_large")
    error(client.post(url, data=b"{" * (limit * 4), content_type="application/json"), 413)
    still_serving(client)


def test_an_admin_import_over_the_limit_is_413(client, app):
    limit = app.extensions["ucc.settings"].max_body_bytes
    r = client.post("/api/v1/admin/benchmark/import", data="a,b\n" * limit, content_type="text/csv",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    error(r, 413)
    still_serving(client)


@pytest.mark.parametrize("question", ["q" * 2001, "q " * 1001, "x" * 60_000])
def test_an_oversized_question_is_422(client, question):
    err = error(client.post("/api/v1/ask", json={"question": question}), 422, "question_too_long")
    assert f"{len(question)} characters" in err["message"] and len(err["message"]) < 300
    error(client.get("/api/v1/search", query_string={"q": question}), 422, "query_too_long")
    error(client.get("/api/v1/examples", query_string={"topic": question}), 422, "topic_too_long")
    still_serving(client)


@pytest.mark.parametrize("depth", [1_000, 30_000])
def test_deeply_nested_json_is_400_not_a_crash(client, depth):
    nested = "[" * depth + "]" * depth
    error(client.post("/api/v1/ask", data=nested, content_type="application/json"), 400, "invalid_json")
    inner = '{"question": "ok?", "filters": {"city": ' + nested + "}}"
    error(client.post("/api/v1/ask", data=inner, content_type="application/json"), 400, "invalid_json")
    error(client.post("/api/v1/feedback", data=nested, content_type="application/json"), 400, "invalid_json")
    still_serving(client)


def test_a_hundred_thousand_levels_under_a_larger_limit_are_400(tmp_path, knowledge_searcher_fake, catalog):
    """Regression: json.loads raised RecursionError (a 500) from about 1,000 levels."""
    client = make_app(tmp_path, knowledge_searcher_fake, catalog, UCC_MAX_BODY_BYTES=1 << 20).test_client()
    nested = "[" * 100_000 + "]" * 100_000
    error(client.post("/api/v1/ask", data=nested, content_type="application/json"), 400, "invalid_json")
    still_serving(client)


@pytest.mark.parametrize("body", [b'{"question": "\xff\xfe"}', b"\xc3\x28", b'{"question": "a\xed\xa0\x80b"}',
                                  b'{"question": "lone \\ud800 surrogate?"}',
                                  b'{"question": "ok?", "user_id": "\\udfff"}'])
def test_invalid_utf8_bodies_are_400(client, body):
    """Regression for the last three: an encoded or escaped lone surrogate reached SQLite (a 500)."""
    error(client.post("/api/v1/ask", data=body, content_type="application/json"), 400, "invalid_json")
    still_serving(client)


def test_control_characters_are_text_not_trouble(client, app):
    question = "How do cities\x00 run \x1b[31mparticipatory\x07 budgets?\u202e\r\nX-Injected: 1"
    r = client.post("/api/v1/ask", json={"question": question})
    assert r.status_code == 200 and "X-Injected" not in r.headers
    row = app.extensions["ucc.questionlog"].get(r.get_json()["answer_id"])
    assert row is not None and "\r\n" not in row["question"]  # one line in the log
    for q in ("%00", "%01%02%1b", "%ff%fe", "a%0d%0aSet-Cookie:%20x=1"):
        r = client.get(f"/api/v1/search?q={q}")
        assert r.status_code in (200, 400) and r.mimetype == "application/json", (q, r.status_code)
        assert "Set-Cookie" not in r.headers
    still_serving(client)


@pytest.mark.parametrize("length", [201, 10_000, 200_000])
def test_very_long_city_names_are_404_with_a_short_answer(client, length):
    for url in (f"/api/v1/cities/{'g' * length}", f"/api/v1/cities/{'Gent' * (length // 4)}/similar",
                f"/api/v1/benchmark/{'x' * length}", f"/api/v1/cities/{'m' * length}/learn-from"):
        started = time.perf_counter()
        err = error(client.get(url), 404, "unknown_city")
        assert time.perf_counter() - started < 2.0 and len(err["message"]) < 300
    still_serving(client)


# --- headers ---------------------------------------------------------------------------------------


def test_cr_lf_in_query_values_never_reach_response_headers(client):
    r = client.get("/api/v1/examples", query_string={"topic": "budgets\r\nSet-Cookie: stolen=1\r\n\r\n<script>",
                                                    "format": "csv"})
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    disposition = r.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "<" not in disposition
    assert disposition.startswith('attachment; filename="examples-budgets-set-cookie-stolen-1-script')
    err = error(client.post("/api/v1/ask", json={"question": "hi?", "conversation_id": "abc\r\nSet-Cookie: x=1"}),
                400, "invalid_request")
    assert "Set-Cookie" not in str(r.headers) and "conversation" in err["message"]
    still_serving(client)


def test_unlisted_origins_get_no_cors_headers(client):
    for origin in ("https://evil.example", ORIGIN + ".evil.example", "null", ORIGIN.upper(),
                   "https://community.example:8443"):
        pre = client.options("/api/v1/ask", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
        error(pre, 403, "cors_forbidden")
        assert "Access-Control-Allow-Origin" not in pre.headers
        simple = client.get("/api/v1/cities", headers={"Origin": origin})
        assert simple.status_code == 200 and "Access-Control-Allow-Origin" not in simple.headers
        posted = client.post("/api/v1/ask", json={"question": "hi?"}, headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in posted.headers
    ok = client.options("/api/v1/ask", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204 and ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    still_serving(client, headers={"Origin": ORIGIN})


def test_options_without_an_origin_is_not_a_preflight(client):
    """Regression: any OPTIONS under /api/ was a 403 "origin may not call the API"; without an Origin
    header it is not a CORS request, and gets the route's allowed methods."""
    r = client.options("/api/v1/ask")
    assert r.status_code == 200 and "POST" in r.headers["Allow"]
    still_serving(client)


def test_a_405_says_which_methods_are_allowed(client):
    """Regression: the JSON error handler dropped the Allow header of a 405 (RFC 9110)."""
    r = client.delete("/api/v1/ask")
    error(r, 405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]
    still_serving(client)


# --- admin ------------------------------------------------------------------------------------------

ADMIN = [("get", "/api/v1/admin/unanswered"), ("get", "/api/v1/admin/questions.csv"),
         ("post", "/api/v1/admin/reindex"), ("post", "/api/v1/admin/benchmark/import")]


@pytest.mark.parametrize("method, url", ADMIN)
def test_admin_routes_refuse_missing_wrong_and_malformed_tokens(client, method, url):
    from app.web.ratelimit import failure_throttle

    throttle = failure_throttle(client.application)
    for header in (None, "", "Bearer", "Bearer ", f"bearer {TOKEN[:-1]}", f"Bearer {TOKEN}\x00",
                   f"Bearer {TOKEN} {TOKEN}", "Bearer " + "A" * 100_000, f"Token {TOKEN}", "Bearer é"):
        throttle.purge(now=float("inf"))  # each header on its own (a run of wrong ones: test_console_security.py)
        headers = {} if header is None else {"Authorization": header}
        r = getattr(client, method)(url, headers=headers)
        error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"].startswith("Bearer") and r.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/admin/unanswered", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    still_serving(client)


def test_the_token_is_compared_in_constant_time(client, monkeypatch):
    import app.web.api.auth as api

    compared = []

    def spy(a, b):
        compared.append((len(a), len(b)))
        return real(a, b)

    real = api.hmac.compare_digest
    monkeypatch.setattr(api.hmac, "compare_digest", spy)
    error(client.get("/api/v1/admin/unanswered", headers={"Authorization": "Bearer guess"}), 401)
    assert compared, "the bearer token was not compared with hmac.compare_digest"
    still_serving(client)


def test_admin_routes_are_404_when_no_token_is_set(tmp_path, knowledge_searcher_fake, catalog):
    client = make_app(tmp_path, knowledge_searcher_fake, catalog, UCC_ADMIN_TOKEN="").test_client()
    for method, url in ADMIN:
        error(getattr(client, method)(url, headers={"Authorization": "Bearer "}), 404, "admin_disabled")
    still_serving(client)


# --- rate limits ------------------------------------------------------------------------------------


def test_a_burst_is_cut_at_the_limit_and_other_clients_are_served(tmp_path, knowledge_searcher_fake, catalog):
    client_app = make_app(tmp_path, knowledge_searcher_fake, catalog, UCC_RATE_LIMIT=10)

    def hit(_):
        return client_app.test_client().get("/api/v1/cities", environ_base={"REMOTE_ADDR": "203.0.113.9"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(hit, range(40)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 10 and statuses.count(429) == 30, statuses  # no token is spent twice
    for r in responses:
        if r.status_code == 429:
            error(r, 429, "too_many_requests")
            assert 1 <= int(r.headers["Retry-After"]) <= 60
    c = client_app.test_client()
    assert c.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200  # not limited
    still_serving(c, environ_base={"REMOTE_ADDR": "198.51.100.7"})  # another client


# --- Slack ------------------------------------------------------------------------------------------


@pytest.fixture
def slack_client(bot):
    """The bot of tests/test_slack.py (fake Slack API, fake-embedder index) behind the Flask adapter."""
    return bot[0]


def _post(client, body: str, headers: dict):
    return client.post("/slack/events", data=body, content_type="application/json", headers=headers)


def slack_still_serving(client, slack, answered: int) -> None:
    body = event_body(mention("How do cities run one-stop shops?", ts="990.1"), "EvFresh")
    assert _post(client, body, sign(body)).status_code == 200
    assert len(slack.wait("chat.postMessage", answered + 1)) == answered + 1


def test_a_replayed_slack_request_is_answered_once(slack_client, slack):
    body = event_body(mention("How do cities run participatory budgets?", ts="500.1"), "EvReplay")
    headers = sign(body)
    assert _post(slack_client, body, headers).status_code == 200
    assert len(slack.wait("chat.postMessage")) == 1
    for retry in (1, 2):  # the same signed bytes again, as Slack's retries or an eavesdropper would send
        again = {**headers, "X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        assert _post(slack_client, body, again).status_code == 200
    assert _post(slack_client, body, headers).status_code == 200  # without retry headers too
    time.sleep(0.5)
    assert len(slack.of("chat.postMessage")) == 1
    slack_still_serving(slack_client, slack, answered=1)


def test_a_captured_slack_request_replayed_later_is_rejected(slack_client, slack):
    body = event_body(mention("How do cities run participatory budgets?", ts="600.1"), "EvOld")
    old = sign(body, timestamp=int(time.time()) - 6 * 60)  # valid signature, over five minutes old
    assert _post(slack_client, body, old).status_code == 401
    fresh_stamp = {**old, "X-Slack-Request-Timestamp": str(int(time.time()))}  # new time, old signature
    assert _post(slack_client, body, fresh_stamp).status_code == 401
    future = sign(body, timestamp=int(time.time()) + 6 * 60)
    assert _post(slack_client, body, future).status_code == 401
    tampered = body.replace("participatory budgets", "the admin token")
    assert _post(slack_client, tampered, sign(body)).status_code == 401  # signature of other bytes
    assert _post(slack_client, body, sign(body, secret="not-the-secret")).status_code == 401
    time.sleep(0.3)
    assert not slack.of("chat.postMessage")
    slack_still_serving(slack_client, slack, answered=0)


@pytest.mark.parametrize("body, content_type", [
    ("[" * 50_000 + "]" * 50_000, "application/json"),
    ("{not json", "application/json"),
    ("payload=" + "%5B" * 5_000, "application/x-www-form-urlencoded"),
])
def test_unparseable_slack_bodies_are_refused_not_crashed(slack_client, slack, body, content_type):
    """Regression: bolt parses the body before it checks the signature, and a body it cannot parse
    was a 500 for anyone who could reach the URL."""
    r = slack_client.post("/slack/events", data=body, content_type=content_type, headers=sign(body))
    assert r.status_code in (400, 401) and b"Traceback" not in r.data
    unsigned = slack_client.post("/slack/events", data=body, content_type=content_type)
    assert unsigned.status_code in (400, 401)
    slack_still_serving(slack_client, slack, answered=0)


def test_an_oversized_slack_body_is_413(slack_client, slack):
    body = json.dumps({"type": "event_callback", "event": {"text": "x" * (2 << 20)}})
    assert _post(slack_client, body, sign(body)).status_code == 413
    slack_still_serving(slack_client, slack, answered=0)


# --- a real server ----------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path, knowledge_searcher_fake, catalog):
    """The app under werkzeug's threaded HTTP server on a free port of 127.0.0.1, stopped at the end."""
    app = make_app(tmp_path, knowledge_searcher_fake, catalog, UCC_RATE_LIMIT=30)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def raw(port: int, request: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
            content_length: int | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or content_length is not None:
        lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def served_over_http(port: int) -> None:
    body = json.dumps({"question": "How do cities run participatory budgets?"}).encode()
    status, _, answer = raw(port, request("POST", "/api/v1/ask", body, {"Content-Type": "application/json"}))
    assert status == 200 and json.loads(answer)["answer_id"]


def test_a_real_server_survives_the_abuse_and_keeps_serving(server):
    port = server
    ask = {"Content-Type": "application/json"}
    # a body far over UCC_MAX_BODY_BYTES: refused from its Content-Length, before it is read
    status, headers, body = raw(port, request("POST", "/api/v1/ask", b"{" * 10, ask, content_length=50_000_000))
    assert status == 413 and json.loads(body)["error"]["code"] == "request_entity_too_large"
    # deep nesting, bad UTF-8, control characters
    nested = b"[" * 30_000 + b"]" * 30_000
    assert raw(port, request("POST", "/api/v1/ask", nested, ask))[0] == 400
    assert raw(port, request("POST", "/api/v1/ask", b'{"question": "\xff"}', ask))[0] == 400
    assert raw(port, request("GET", "/api/v1/search?q=%00%ff%1b"))[0] in (200, 400)
    # CR/LF smuggled into a header value ends that header; nothing is echoed into the answer's headers
    status, headers, _ = raw(port, request("GET", "/api/v1/cities", headers={
        "Origin": "https://evil.example\r\nSet-Cookie: stolen=1"}))
    assert status in (200, 400) and "set-cookie" not in headers and "access-control-allow-origin" not in headers
    status, headers, _ = raw(port, request("GET", "/api/v1/examples?topic=a%0D%0ASet-Cookie:%20x=1&format=csv"))
    assert status == 200 and "set-cookie" not in headers and "\r" not in headers["content-disposition"]
    # a very long city name and a wrong admin token
    assert raw(port, request("GET", "/api/v1/cities/" + "g" * 8_000))[0] in (404, 414, 431)
    assert raw(port, request("GET", "/api/v1/admin/unanswered", headers={"Authorization": "Bearer x"}))[0] == 401
    served_over_http(port)


def test_a_real_server_limits_a_burst_and_serves_health_checks(server):
    port = server

    def hit(_):
        return raw(port, request("GET", "/api/v1/cities"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(hit, range(40)))
    statuses = [status for status, _, _ in results]
    assert statuses.count(200) == 30 and statuses.count(429) == 10, sorted(statuses)
    assert all(int(h["retry-after"]) >= 1 for s, h, _ in results if s == 429)
    assert raw(port, request("GET", "/healthz"))[0] == 200  # health checks are not limited
    assert raw(port, request("GET", "/readyz"))[0] == 200


def test_every_status_here_is_documented():
    section = (REPO / "README.md").read_text(encoding="utf-8").split("### Limits and errors", 1)[1].split("\n#", 1)[0]
    for status in ("413", "400", "422", "404", "401", "429", "403", "405", "200"):
        assert re.search(rf"\| {status}\b", section), f"{status} is not in README's Limits and errors"
    from app.web.api.openapi import spec

    paths = spec()["paths"]
    assert {"400", "413", "415", "422", "429"} <= set(paths["/api/v1/ask"]["post"]["responses"])
    assert {"400", "404", "429"} <= set(paths["/api/v1/cities/{slug}"]["get"]["responses"])
    assert {"401", "404", "413"} <= set(paths["/api/v1/admin/benchmark/import"]["post"]["responses"])
    for methods in paths.values():
        for op in methods.values():
            assert "405" in op["responses"] and "500" in op["responses"]
