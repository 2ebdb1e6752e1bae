"""The moderator console (/console) through Flask's test client: access, CSRF, every page,
the session-pack downloads, the questions view and escaping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest

from app.assistant import Assistant
from app.web import create_app
from indexer.settings import load_settings
from tests.conftest import REPO

TOKEN = "console-test-token-0123456789abcdef"
TOPIC = "proactive services"


def _settings(tmp_path, token=TOKEN):
    return load_settings({}, UCC_ADMIN_TOKEN=token, UCC_DATA_DIR=str(tmp_path / "var"),
                         UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"))


@pytest.fixture
def assistant(tmp_path, knowledge_searcher, catalog):
    return Assistant(_settings(tmp_path), searcher=knowledge_searcher, catalog=catalog)


@pytest.fixture
def app(tmp_path, assistant):
    return create_app(_settings(tmp_path), assistant=assistant)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client, token=TOKEN, next_url=None):
    page = client.get("/console/sign-in")
    data = {"csrf_token": csrf_of(page.text), "token": token}
    if next_url:
        data["next"] = next_url
    return client.post("/console/sign-in", data=data)


@pytest.fixture
def signed_in(client):
    resp = sign_in(client)
    assert resp.status_code == 303
    return client


def picks_of(html: str) -> list[str]:
    return re.findall(r'name="pick" value="([^"]+)"', html)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


# --- access ------------------------------------------------------------------------------------


def test_console_is_disabled_without_an_admin_token(tmp_path, assistant):
    app = create_app(_settings(tmp_path, token=""), assistant=assistant)
    c = app.test_client()
    for url in ("/console", "/console/cities/ghent", "/console/ranking", "/console/questions"):
        resp = c.get(url)
        assert resp.status_code == 404
        assert "text/html" in resp.headers["Content-Type"]
        assert "console is disabled" in resp.text and "UCC_ADMIN_TOKEN" in resp.text
    assert c.post("/console/sign-in", data={"token": ""}).status_code == 404
    assert c.get("/console", headers={"Authorization": "Bearer "}).status_code == 404
    assert "Set-Cookie" not in c.get("/console/sign-in").headers


def test_pages_redirect_to_sign_in_and_posts_get_401_without_a_session(client):
    resp = client.get("/console/cities/ghent?revision=2023")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/console/sign-in?next=")
    assert resp.headers["Location"].endswith("next=/console/cities/ghent?revision%3D2023")
    resp = client.post("/console/pack", data={"topic": TOPIC, "pick": "x", "format": "csv"})
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = client.get("/console", headers={"Authorization": "Bearer wrong-token"})
    assert resp.status_code == 401 and "Bearer" in resp.headers["WWW-Authenticate"]


def test_a_bearer_token_opens_the_console_without_a_session(client):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    resp = client.get("/console/ranking", headers=headers)
    assert resp.status_code == 200 and "Dashboard ranking" in resp.text
    assert "Sign out" not in resp.text  # nothing to sign out of
    assert "Set-Cookie" not in resp.headers
    page = client.get(f"/console?topic={TOPIC}", headers=headers)
    picks = picks_of(page.text)
    resp = client.post("/console/pack", headers=headers,
                       data={"topic": TOPIC, "pick": picks[:1], "format": "csv"})  # no CSRF needed
    assert resp.status_code == 200


def test_repeated_wrong_tokens_are_slowed_down(client):
    from app.web.ratelimit import FailureThrottle

    for _ in range(FailureThrottle.FREE):
        assert sign_in(client, token="guess").status_code == 401
    assert sign_in(client).status_code == 429  # even the right token waits (briefly: test_console_security.py)
    assert client.get("/console", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 429


def test_sign_in_sets_a_strict_httponly_session_cookie(client):
    resp = sign_in(client, token="not-the-token")
    assert resp.status_code == 401 and "not the console" in resp.text
    assert client.get("/console").status_code == 302
    resp = sign_in(client, next_url="/console/ranking")
    assert resp.status_code == 303 and resp.headers["Location"] == "/console/ranking"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("ucc_console=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here
    assert "Expires" not in cookie  # a browser-session cookie
    resp = client.get("/console")
    assert resp.status_code == 200 and "Examples for a UserCentriCafé session" in resp.text
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_secure_over_https(app):
    c = app.test_client()
    page = c.get("/console/sign-in", base_url="https://localhost")
    resp = c.post("/console/sign-in", base_url="https://localhost",
                  data={"csrf_token": csrf_of(page.text), "token": TOKEN})
    assert resp.status_code == 303
    assert "Secure" in resp.headers["Set-Cookie"]


def test_sign_in_never_sends_the_moderator_off_the_console(client):
    for target in ("https://evil.example/", "//evil.example/console", "/api/v1/admin/topics", "/console\\@evil"):
        resp = sign_in(client, next_url=target)
        assert resp.status_code == 303 and resp.headers["Location"] == "/console", target
        client.post("/console/sign-out", data={"csrf_token": csrf_of(client.get("/console").text)})


def test_a_cookie_signed_for_another_token_is_not_accepted(tmp_path, assistant, signed_in):
    cookie = signed_in.get_cookie("ucc_console", path="/console")
    assert cookie is not None
    other = create_app(_settings(tmp_path, token="another-token-9876543210"), assistant=assistant).test_client()
    other.set_cookie("ucc_console", cookie.value, path="/console")
    assert other.get("/console").status_code == 302


def test_posts_without_the_csrf_token_are_rejected(signed_in):
    page = signed_in.get(f"/console?topic={TOPIC}")
    picks = picks_of(page.text)
    for data in ({}, {"csrf_token": "forged"}):
        resp = signed_in.post("/console/pack", data={"topic": TOPIC, "pick": picks, "format": "csv", **data})
        assert resp.status_code == 400 and "CSRF" in resp.text
        resp = signed_in.post("/console/sign-out", data=data)
        assert resp.status_code == 400
    assert signed_in.get("/console").status_code == 200  # still signed in
    fresh = signed_in.application.test_client()
    assert fresh.post("/console/sign-in", data={"token": TOKEN}).status_code == 400  # sign-in needs it too


def test_sign_out_ends_the_session(signed_in):
    token = csrf_of(signed_in.get("/console").text)
    resp = signed_in.post("/console/sign-out", data={"csrf_token": token})
    assert resp.status_code == 303 and "/console/sign-in" in resp.headers["Location"]
    assert signed_in.get("/console").status_code == 302
    assert "You are signed out" in signed_in.get(resp.headers["Location"]).text


# --- examples and packs ------------------------------------------------------------------------


def test_the_search_form_offers_filters_from_the_catalog(signed_in, catalog):
    html = signed_in.get("/console").text
    for field in ("topic", "filter-city", "filter-country", "filter-principle", "filter-subindicator",
                  "filter-year", "n"):
        assert f'<label for="{field}"' in html, field  # every field has a label
    assert '<option value="ghent">Ghent</option>' in html
    assert '<option value="Belgium">Belgium</option>' in html
    assert '<option value="digital-delivery">Digital delivery of public services</option>' in html
    assert '<option value="2.2">2.2 Supply of online services</option>' in html
    assert '<option value="3.4">3.4 Environmental impact</option>' in html  # 2022 only, still filterable
    assert '<option value="2021">2021</option>' in html
    assert len(re.findall(r'<option value="[a-z-]+">', html.split('id="filter-city"')[1].split("</select>")[0])) \
        == len(catalog.cities)


def test_search_shows_cards_with_city_year_summary_and_a_pick_box(signed_in):
    resp = signed_in.get(f"/console?topic={TOPIC}")
    assert resp.status_code == 200
    html = resp.text
    assert "examples on “proactive services”" in html
    assert html.count('class="card"') == len(picks_of(html)) >= 3
    assert "services/ghent-proactive-services.md" in picks_of(html)
    assert 'class="summary"' in html and "Ghent (Belgium)" in html and "2020" in html
    assert "Download pack (Markdown)" in html and "Download pack (CSV)" in html


def test_filters_narrow_the_search(signed_in):
    html = signed_in.get(f"/console?topic={TOPIC}&country=Belgium").text
    picks = picks_of(html)
    assert picks and all("ghent" in p for p in picks)
    assert '<option value="Belgium" selected>' in html
    assert '<input type="hidden" name="country" value="Belgium">' in html  # carried to the pack


def test_bad_search_input_is_a_400_page(signed_in):
    resp = signed_in.get("/console?topic=x&n=99")
    assert resp.status_code == 400 and "between 1 and 20" in resp.text
    resp = signed_in.get("/console?country=Belgium")
    assert resp.status_code == 400 and "Give a topic" in resp.text


@pytest.mark.parametrize("fmt, mimetype, ext", [("markdown", "text/markdown", "md"), ("csv", "text/csv", "csv")])
def test_the_pack_keeps_only_the_picked_examples(signed_in, assistant, fmt, mimetype, ext):
    page = signed_in.get(f"/console?topic={TOPIC}")
    found = assistant.examples(TOPIC, n=5)
    assert picks_of(page.text) == [e["doc_id"] for e in found]
    chosen, dropped = found[:2], found[2:]
    resp = signed_in.post("/console/pack", data={"csrf_token": csrf_of(page.text), "topic": TOPIC, "n": "5",
                                                 "pick": [e["doc_id"] for e in chosen], "format": fmt})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == f"{mimetype}; charset=utf-8"
    today = dt.date.today().isoformat()
    assert resp.headers["Content-Disposition"] == \
        f'attachment; filename="ucc-session-pack-proactive-services-{today}.{ext}"'
    body = resp.text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body)))
        assert [r["source_file"] for r in rows] == [e["source"] for e in chosen]
    else:
        assert body.startswith("# UserCentriCafé session pack: proactive services")
        assert "## Discussion prompts" in body
    for e in chosen:
        assert e["source"] in body or e["url"] in body
    for e in dropped:
        assert e["url"] not in body and e["source"] not in body
        assert (e["city_name"] not in body) or e["city_name"] in {c["city_name"] for c in chosen} \
            or fmt == "markdown"  # the Markdown's strong-city table may name any member


def test_the_pack_with_filters_matches_the_filtered_search(signed_in):
    page = signed_in.get(f"/console?topic={TOPIC}&country=Belgium")
    picks = picks_of(page.text)
    resp = signed_in.post("/console/pack", data={"csrf_token": csrf_of(page.text), "topic": TOPIC,
                                                 "country": "Belgium", "pick": picks, "format": "markdown"})
    assert resp.status_code == 200
    assert "Filters: country = belgium" in resp.text


def test_a_pack_needs_a_pick_and_a_known_format(signed_in):
    token = csrf_of(signed_in.get("/console").text)
    resp = signed_in.post("/console/pack", data={"csrf_token": token, "topic": TOPIC, "format": "csv"})
    assert resp.status_code == 400 and "Pick at least one" in resp.text
    resp = signed_in.post("/console/pack", data={"csrf_token": token, "topic": TOPIC, "pick": "nope.md",
                                                 "format": "csv"})
    assert resp.status_code == 400 and "search again" in resp.text
    resp = signed_in.post("/console/pack", data={"csrf_token": token, "topic": TOPIC, "pick": "a", "format": "pdf"})
    assert resp.status_code == 400


# --- cities and ranking ----------------------------------------------------------------------


def test_the_cities_page_lists_every_member(signed_in, catalog):
    html = signed_in.get("/console/cities").text
    for c in catalog.cities:
        assert f'href="/console/cities/{c.slug}"' in html
    assert "no published row" in html
    ghent = re.search(r'href="/console/cities/ghent">Ghent</a></th>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", ghent)[-3:] == ["75%", "3", "5"]  # score, recomputed and published rank
    text = " ".join(text_of(html).split())
    assert "Rank among the 11 cities with published scores (recomputed)" in text
    assert "Rank published on the dashboard" in text and "rank published on the dashboard is the dashboard's own" in text


def test_a_city_page_has_the_dashboard_table_the_chart_and_suggestions(signed_in, assistant):
    resp = signed_in.get("/console/cities/ghent")
    assert resp.status_code == 200
    html = resp.text
    scores = assistant.benchmark.city_scores("ghent")
    rows = re.findall(r'<tr class="sub-row" data-sub="([\d.]+)">(.*?)</tr>', html, re.S)
    assert [r[0] for r in rows] == [s["id"] for s in scores["subindicators"]] and len(rows) == 12
    for (sub_id, row), s in zip(rows, scores["subindicators"]):
        cell = re.search(r'<td class="score score-(\w+)" data-colour="\w+">(.*?)</td>', row, re.S)
        assert cell.group(1) == s["colour"]
        text = text_of(cell.group(2))
        assert f"{s['yes']}/{s['total']}" in text and s["colour"] in text  # colour and text, not colour alone
    assert "<th scope=\"col\">Peers' median</th>" in html
    assert "Self-assessment, dashboard revision 2023" in html
    text = " ".join(text_of(html).split())
    assert (f"Overall {scores['percent']}%: rank {scores['rank']} among the {scores['of']} cities with published "
            f"scores (recomputed); rank {scores['published_rank']} published on the dashboard.") in text
    assert 'class="table-scroll" role="region" aria-labelledby="dashboard-caption" tabindex="0"' in html
    svg = html.split('<svg id="peer-chart"')[1].split("</svg>")[0]
    assert svg.count('class="bar bar-city"') == 12 and svg.count('class="bar bar-median"') == 12
    assert 'role="img"' in svg and '<title id="chart-title">Ghent against the peers' in svg
    assert 'aria-describedby="chart-caption"' in svg and 'id="chart-caption"' in html
    assert "Similar members" in html and 'href="/console/cities/espoo"' in html
    assert "Learn from" in html and "Peers to ask" in html


def test_a_member_without_scores_gets_a_clear_note(signed_in):
    resp = signed_in.get("/console/cities/arezzo")
    assert resp.status_code == 200
    text = text_of(resp.text)
    assert "Arezzo has no published dashboard scores for revision 2023" in text
    assert "peer-chart" not in resp.text and "sub-row" not in resp.text
    assert "Similar members" in text and "has no published dashboard row" in text  # learn-from still runs


def test_city_names_resolve_and_unknown_ones_are_404(signed_in):
    resp = signed_in.get("/console/cities/Gent")
    assert resp.status_code == 301 and resp.headers["Location"] == "/console/cities/ghent"
    resp = signed_in.get("/console/cities/Atlantis")
    assert resp.status_code == 404 and "text/html" in resp.headers["Content-Type"]
    assert "No member city matches" in text_of(resp.text)


def test_the_ranking_shares_ranks_on_ties_and_says_what_it_is(signed_in, assistant):
    resp = signed_in.get("/console/ranking?revision=2023")
    assert resp.status_code == 200
    html = resp.text
    expected = assistant.benchmark.ranking("2023")["ranking"]
    rows = re.findall(r"<tr>\s*<td data-value=\"(\d+)\">\d+</td>\s*<th scope=\"row\" data-value=\"([^\"]+)\">",
                      html)
    assert rows == [(str(r["rank"]), r["name"]) for r in expected]
    ranks = [r[0] for r in rows]
    assert len(ranks) > len(set(ranks))  # 2023 has ties: they share a rank
    assert "Self-assessment</strong>, dashboard revision 2023" in html
    assert ">Rank among the 11 cities with published scores (recomputed)</th>" in html
    assert ">Rank published on the dashboard</th>" in html and "published rank" not in html.lower()
    assert "https://www.usercentricities.eu/ucdashboard" in html
    assert 'data-sortable' in html and 'scope="col"' in html
    assert "Dashboard ranking, revision 2023" in signed_in.get("/console/ranking").text  # latest by default
    resp = signed_in.get("/console/ranking?revision=2022")
    assert resp.status_code == 404 and "revisions with scores: 2023" in resp.text
    assert signed_in.get("/console/ranking?revision=1999").status_code == 404


# --- questions ---------------------------------------------------------------------------------


@pytest.fixture
def question_log(app):
    qlog = pytest.importorskip("app.operations.questionlog").QuestionLog.from_settings(app.extensions["ucc.settings"])
    app.extensions["ucc.questionlog"] = qlog
    return qlog


def test_the_questions_view_shows_answers_routes_outcomes_and_topics(signed_in, question_log):
    q = question_log
    user_hash = q.hash_user("U-SLACK-42")
    for _ in range(3):
        q.record_ask("How do cities run participatory budgeting?", "answered", channel="slack", user_id="U-SLACK-42",
                     intent="answer", route="answer", answer="Paris lets residents vote on 5% of its budget [1].")
    q.record_ask("Which cities let residents vote on part of the budget?", "answered", intent="answer",
                 route="answer", answer="Paris and Porto do.")
    q.record_ask("What is the parking permit fee in Riga?", "cannot_answer", reason="no_content", route="answer",
                 user_id="U-SLACK-42", conversation_id="conv-1", answer="Nothing in the knowledge base says.")
    q.record_ask("What is the weather tomorrow?", "cannot_answer", reason="outside_scope", route="answer")
    q.record_ask("what about Porto?", "answered", intent="scores", route="scores", follow_up="place",
                 resolved_question="How does Porto score on the dashboard?", answer="Porto scores 70% on the dashboard.")
    q.record_ask("How does Arezzo score?", "cannot_answer", reason="no_content", intent="answer", route="scores",
                 route_failed=True)
    q.record_ask("How does Espoo score?", "error")
    rated = q.record_ask("Which cities score best on co-creation?", "answered", channel="widget", user_id="w-1",
                         intent="ranking", route="ranking", answer="Ghent and Espoo score best.")
    q.record_feedback(rated, "down", comment="Missing Rotterdam")
    resp = signed_in.get("/console/questions?days=30")
    assert resp.status_code == 200
    html = resp.text

    def table(name):
        return html.split(f'id="{name}"')[1].split("</table>")[0]

    recent = " ".join(text_of(table("recent-table")).split())
    assert "Paris lets residents vote on 5% of its budget [1]." in recent  # the answer given
    assert "what about Porto? rewritten as: How does Porto score on the dashboard?" in recent
    assert "dashboard scores" in recent and "dashboard ranking" in recent and "cited answer" in recent
    for words in ("answered", "could not answer: outside the network's scope",
                  "could not answer: nothing in the knowledge base", "failed: an error on our side"):
        assert words in recent, words
    assert "outside_scope" not in html and "no_content" not in html and "cannot_answer" not in text_of(html)

    gaps = " ".join(text_of(table("gaps-table")).split())
    assert "What is the parking permit fee in Riga?" in gaps and "What is the weather tomorrow?" in gaps
    assert "Arezzo" not in gaps and "Espoo" not in gaps  # failed routes are not content gaps
    failed = " ".join(text_of(table("failed-table")).split())
    assert "How does Arezzo score?" in failed and "dashboard scores, which found nothing: a cited answer instead" in failed
    assert "How does Espoo score?" in failed and "an error on our side" in failed and "Riga" not in failed

    down = " ".join(text_of(table("down-rated-table")).split())
    assert "Which cities score best on co-creation?" in down and "Missing Rotterdam" in down
    assert "Ghent and Espoo score best." in down

    topics = {re.search(r'<th scope="row">(.*?)</th>', r).group(1): r
              for r in re.findall(r'<tr class="topic">(.*?)</tr>', table("topics-table"), re.S)}
    budget = topics["How do cities run participatory budgeting?"]  # by meaning: the vote question joins it
    assert "<td>4</td>" in budget and "Which cities let residents vote on part of the budget?" in budget
    scores = next(r for r in topics.values() if "Porto" in r)  # the follow-up counts as what it was rewritten to
    assert "How does Porto score on the dashboard?" in scores and "what about Porto?" not in scores
    summary = " ".join(text_of(html.split('id="period-summary"')[1].split("</p>")[0]).split())
    assert "10 questions in the period" in summary and "6 answered; 3 could not answer; 1 failed: an error" in summary
    assert user_hash not in html and q.hash_user("conv-1") not in html
    assert 'href="/console/questions.csv?days=30"' in html

    export = signed_in.get("/console/questions.csv?days=30")
    assert export.status_code == 200
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="ucc-questions-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv"',
                        export.headers["Content-Disposition"])
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 10 and "question" in rows[0] and "rating" in rows[0] and "answer" in rows[0]
    assert not any("user" in k or "hash" in k for k in rows[0])
    assert user_hash not in export.text


def test_topics_group_questions_by_meaning_with_the_searchers_model(signed_in, question_log, assistant):
    """The console hands the index's embedder to the log: questions without a shared word meet."""
    for q in ("How do cities run participatory budgeting?", "Who lets citizens vote on how to spend part of the budget?",
              "Which cities have participatory budgeting for residents?", "How can residents report potholes?",
              "Is there an app to report street problems?", "What is the capital of France?"):
        question_log.record_ask(q, "answered")
    html = signed_in.get("/console/questions").text
    assert "grouped by meaning" in html
    rows = re.findall(r'<tr class="topic">(.*?)</tr>', html.split('id="topics-table"')[1], re.S)
    counts = sorted(int(re.findall(r"<td>(\d+)</td>", r)[0]) for r in rows)
    assert counts == [1, 2, 3]
    budget = next(r for r in rows if "<td>3</td>" in r)
    assert "vote on how to spend part of the budget" in budget


def test_topics_fall_back_to_shared_words_when_the_model_fails(signed_in, question_log, assistant, monkeypatch):
    from indexer.errors import ModelUnavailable

    class Broken:
        name, dim = "broken", 3

        def embed_passages(self, texts):
            raise ModelUnavailable("no model here")

    monkeypatch.setattr(type(assistant.searcher), "embedder", property(lambda self: Broken()))
    question_log.record_ask("How do cities run participatory budgeting?", "answered")
    resp = signed_in.get("/console/questions")
    assert resp.status_code == 200 and "grouped by shared words" in resp.text
    assert "participatory budgeting" in resp.text.split('id="topics-table"')[1]


def test_the_questions_period_is_checked(signed_in, question_log):
    assert signed_in.get("/console/questions?days=0").status_code == 400
    assert signed_in.get("/console/questions?days=abc").status_code == 400
    resp = signed_in.get("/console/questions")
    assert resp.status_code == 200 and 'value="30"' in resp.text and "No questions in this period" in resp.text


# --- escaping and page hygiene ---------------------------------------------------------------


def test_retrieved_strings_are_escaped(signed_in, assistant, monkeypatch):
    evil = "<script>alert('x')</script>"
    example = {"title": f"Evil {evil}", "city": "ghent", "city_name": f"Gh{evil}", "country": "Belgium",
               "year": 2024, "kind": "service", "summary": f"Summary {evil}", "url": "javascript:alert(1)",
               "doc_id": f"services/{evil}.md", "source": f"services/{evil}.md", "score": 0.9, "award": None,
               "subindicators": [], "principles": [], "member": True}
    monkeypatch.setattr(assistant, "examples", lambda *a, **k: [example])
    real_similar = assistant.similar

    def similar(city, k=5, basis="all"):
        out = real_similar(city, k=k, basis=basis)
        out["matches"][0]["why"] = f"because {evil}"
        return out

    monkeypatch.setattr(assistant, "similar", similar)
    for url in (f"/console?topic={evil}", "/console/cities/ghent"):
        html = signed_in.get(url).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(" in html
    html = signed_in.get(f"/console?topic={evil}").text
    assert "javascript:" not in html  # a non-http link is not made a link


def test_console_pages_carry_the_csp_and_no_inline_script(signed_in):
    for url in ("/console", f"/console?topic={TOPIC}", "/console/cities", "/console/cities/ghent",
                "/console/ranking", "/console/questions"):
        resp = signed_in.get(url)
        assert resp.status_code == 200, url
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        scripts = re.findall(r"<script\b[^>]*>", resp.text)
        assert scripts and all(" src=" in s for s in scripts), url
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", resp.text), url  # no inline event handlers
        assert '<html lang="en">' in resp.text and 'href="#main"' in resp.text
    resp = signed_in.application.test_client().get("/console/sign-in")
    assert resp.status_code == 200 and all(" src=" in s for s in re.findall(r"<script\b[^>]*>", resp.text))
    assert signed_in.get("/static/console.js").status_code == 200
    assert signed_in.get("/static/console.css").status_code == 200
