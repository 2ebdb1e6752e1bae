"""Every intent works as the first question and inside a conversation, through the API and Slack;
a routed answer belongs to the conversation, so place-only follow-ups ("what about Porto?") work
after it (issue: answers that answer the question asked, point 4)."""

from __future__ import annotations

import json

import pytest

from .test_api import app, check, client, real_assistant  # noqa: F401 (fixtures)
from .test_slack import bot, command, mention, post_event, post_form, slack  # noqa: F401 (fixtures)

ASK = "/api/v1/ask"
OPENER = "How do cities run one-stop shops for residents?"

# (question, intent, text the answer must hold)
INTENTS = [
    ("How does Ghent score on the dashboard?", "scores", "Ghent scores"),
    ("When did Paris join UserCentriCities?", "members", "June 2022"),
    ("Which city scores highest on the dashboard?", "ranking", "Milan"),
    ("Which cities are similar to Espoo?", "similar", "Members most like Espoo"),
    ("Who should Porto learn from on accessibility?", "learn_from", "2.3 Usability"),
    ("Examples of apps for reporting problems in public space", "examples", "Rotterdam"),
    ("Which members are in Finland?", "members", "Helsinki"),
    ("How many questions are on the benchmarking dashboard?", "dashboard", "41 questions"),
    ("Compare Helsinki and Espoo on the dashboard", "compare", "Espoo 58%"),
    ("Which city is best at co-creation?", "ranking", "2.1 Co-creation"),
    ("How do residents report problems in public space in Rotterdam?", "answer", "[1]"),
]


@pytest.mark.parametrize("question, holds", [
    ("members in the netherlands", "2 members in the Netherlands"),
    ("Dutch members", "Rotterdam"),
])
def test_a_bare_request_for_a_countrys_members_is_the_member_list(client, question, holds):
    """No question word, as in a search box; inside a conversation the same words read as "and in
    the Netherlands?" (the last topic there), as a follow-up naming a place does."""
    first = ask(client, question)
    assert (first["intent"], first["status"]) == ("members", "answered") and holds in first["answer"]


def ask(client, question, conversation=None):
    body = {"question": question} | ({"conversation_id": conversation} if conversation else {})
    r = client.post(ASK, json=body)
    return check(r, ASK, "post", 200)


@pytest.mark.parametrize("question, intent, holds", INTENTS)
def test_every_intent_as_a_first_question_and_as_a_follow_up(client, question, intent, holds):
    first = ask(client, question)
    assert (first["intent"], first["status"]) == (intent, "answered") and holds in first["answer"]
    assert first["conversation_id"] and first["parts"]
    assert "[bases" not in first["answer"] and "(0/" not in first["answer"]
    opener = ask(client, OPENER)
    later = ask(client, question, opener["conversation_id"])
    assert (later["intent"], later["status"]) == (intent, "answered") and holds in later["answer"]
    assert later["conversation_id"] == opener["conversation_id"]


@pytest.mark.parametrize("first, follow_up, intent, holds", [
    ("How does Ghent score on the dashboard?", "what about Porto?", "scores", "Porto scores"),
    ("Which cities are similar to Espoo?", "and Porto?", "similar", "Members most like Porto"),
    ("Which members are in Finland?", "and in Spain?", "members", "Madrid"),
    ("Who should Murcia learn from on adoption?", "what about Porto?", "learn_from", "Porto"),
    ("When did Paris join UserCentriCities?", "and Ljubljana?", "members", "January 2021"),
])
def test_place_follow_ups_of_routed_answers(client, first, follow_up, intent, holds):
    one = ask(client, first)
    two = ask(client, follow_up, one["conversation_id"])
    assert (two["intent"], two["status"]) == (intent, "answered"), two["answer"]
    assert holds in two["answer"] and two["follow_up"] == "place"
    assert two["resolved_question"] != follow_up


def test_routed_answers_carry_structured_parts(client):
    scores = ask(client, "How does Ghent score on the dashboard?")
    table = next(p for p in scores["parts"] if p["type"] == "score_table")
    assert table["columns"] == ["Sub-indicator", "Ghent"] and len(table["rows"]) == 12
    assert "self-assessment" in table["title"] and all(c[0] in ("green", "orange", "red") for c in table["colours"])
    similar = ask(client, "Which cities are similar to Espoo?")
    cities = next(p for p in similar["parts"] if p["type"] == "cities")
    assert all(i["url"].startswith("/api/v1/cities/") and i["why"] for i in cities["items"])
    members = ask(client, "Which members are in Finland?")
    assert members["citations"] and members["citations"][0]["url"]
    cited = ask(client, "How do residents report problems in public space in Rotterdam?")
    assert any(p["type"] == "citations" and p["items"] for p in cited["parts"])


@pytest.mark.parametrize("question", ["What is the population of Tokyo?", "Recommend a good pizza restaurant"])
def test_out_of_scope_questions_are_refused_without_nearest_matches(client, question):
    r = ask(client, question)
    assert r["status"] == "cannot_answer" and r["nearest"] == [] and not r["citations"]


# -- Slack ---------------------------------------------------------------------------------------


def _slack_text(message: dict) -> str:
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks or [], ensure_ascii=False) + " " + str(message.get("text", ""))


@pytest.mark.parametrize("question, intent, holds", [i for i in INTENTS if i[1] != "answer"])
def test_every_intent_in_a_slack_thread_first_and_as_a_follow_up(bot, slack, question, intent, holds):
    client, spy, _ = bot
    post_event(client, mention(question, ts="200.1"), "EvFirst")
    first = slack.wait("chat.postMessage", 1)
    assert len(first) == 1 and holds in _slack_text(first[0])
    post_event(client, mention(OPENER, ts="300.1"), "EvOpen")
    slack.wait("chat.postMessage", 2)
    reply = {"type": "message", "user": "U1", "text": question, "ts": "300.2", "thread_ts": "300.1",
             "channel": "C1", "client_msg_id": "m-300.2"}
    post_event(client, reply, "EvFollow")
    posts = slack.wait("chat.postMessage", 3)
    assert len(posts) == 3 and posts[2]["thread_ts"] == "300.1"
    assert spy.asked[2][1]  # asked inside the thread's conversation
    assert holds in _slack_text(posts[2])


def test_a_slash_command_routes_every_intent(bot, slack):
    client, _, _ = bot
    for n, (question, intent, holds) in enumerate(INTENTS[:-1], 1):
        post_form(client, command(slack, f"ask {question}", n))
        reply = slack.wait(f"/response/{n}")[0]
        assert holds in _slack_text(reply), (question, _slack_text(reply)[:300])


@pytest.mark.parametrize("first, follow_up, holds", [
    ("Which members are in Spain?", "which of them is biggest?", "the biggest is Catalonia"),
    ("Which members are in Italy?", "Which of them scores best?", "Milan scores highest"),
    ("Which cities are similar to Espoo?", "which of these scores lowest?", "scores lowest"),
])
def test_which_of_them_after_a_list_of_members(client, first, follow_up, holds):
    one = ask(client, first)
    two = ask(client, follow_up, one["conversation_id"])
    assert two["status"] == "answered" and holds in two["answer"], two["answer"]
    assert two["conversation_id"] == one["conversation_id"]


@pytest.mark.parametrize("question, holds", [
    ("Which cities were the finalists for the 2022 award?", ["Espoo", "Helsinki", "Rotterdam", "the winner was Helsinki"]),
    ("Who won the 2023 award?", ["Ghent", "reported by a secondary source"]),
    ("Did Ghent win an award?", ["Ghent won the 2023 UserCentriCities award (as reported"]),
    ("Has Espoo won the UserCentriCities award?", ["Espoo was a finalist of the 2022"]),
    ("Did Madrid win the award?", ["Madrid was not among the finalists"]),
    ("What is the annual prize called?", ["The network's award is called “Best user-centric service"]),
])
def test_award_questions_are_answered_from_the_awards_data(client, question, holds):
    r = ask(client, question)
    assert (r["intent"], r["status"]) == ("awards", "answered")
    for text in holds:
        assert text in r["answer"], r["answer"]


@pytest.mark.parametrize("question, holds", [
    ("Is Helsinki a founding member?", "No: Helsinki is not one of the founding members"),
    ("Is Espoo a founding member of the network?", "Espoo (Finland) is a founding member"),
    ("Since when is Kronoberg a member?", "June 2022"),
    ("¿Cuándo se unió París a UserCentriCities?", "June 2022"),
    ("Sinds wanneer is Rotterdam lid van het netwerk?", "founding member"),
])
def test_one_members_membership_is_answered_from_the_member_list(client, question, holds):
    r = ask(client, question)
    assert (r["intent"], r["status"]) == ("members", "answered") and holds in r["answer"], r["answer"]
    assert "member list" in r["answer"]


def test_a_question_about_a_members_service_is_not_taken_for_one_about_its_membership(client):
    assert ask(client, "When did Paris launch DansMaRue?")["intent"] == "answer"


@pytest.mark.parametrize("question, kinds, holds", [
    ("examples of services in Gothenburg", {"service"}, ["Smarta Kartan", "Anmäl hinder"]),  # the city's own, every one
    ("case studies", {"case"}, ["Ghent", "Brussels"]),  # the cases, when only the kind is asked for
    ("Show me Madrid's case studies", {"case"}, ["Decide Madrid"]),
])
def test_examples_of_a_kind_or_a_city_without_a_topic_list_them(client, question, kinds, holds):
    r = ask(client, question)
    assert (r["intent"], r["status"]) == ("examples", "answered"), r["answer"]
    assert {e["kind"] for e in r["data"]["examples"]} <= kinds
    for text in holds:
        assert text in r["answer"], r["answer"]
