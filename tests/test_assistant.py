"""The facade every face calls: routing to capabilities, cited answers otherwise."""

import json

import pytest
from click.testing import CliRunner

from app.assistant import Assistant
from app.cli import main
from indexer.settings import load_settings

from .conftest import REPO


@pytest.fixture(scope="module")
def assistant(knowledge_searcher, catalog):
    return Assistant(knowledge_searcher.settings, searcher=knowledge_searcher, catalog=catalog)


@pytest.mark.parametrize(
    "question, intent, check",
    [
        ("how does Ghent score on co-creation?", "scores", "3 of 5"),
        ("which cities are like Espoo?", "similar", "Members most like Espoo"),
        ("who should Porto learn from on usability?", "learn_from", "2.3 Usability"),
        ("examples of proactive services for a café session", "examples", "Ghent"),
        ("show me the ranking", "ranking", "Milan"),
    ],
)
def test_routed_questions(assistant, question, intent, check):
    result = assistant.ask(question)
    assert result["intent"] == intent and result["status"] == "answered"
    assert check in result["answer"]
    assert result["route"]["intent"] == intent and result["data"]


def test_benchmark_answers_carry_the_label(assistant):
    result = assistant.ask("how does Ghent score on co-creation?")
    assert "self-assessment" in result["answer"] and result["data"]["label"] == "self-assessment"
    assert result["data"]["revision"] == "2023" and result["data"]["source"].startswith("https://")


def test_other_questions_get_cited_answers(assistant):
    result = assistant.ask("How did Helsinki offer pre-primary places without an application?")
    assert result["intent"] == "answer" and result["status"] == "answered"
    assert result["citations"] and "[1]" in result["answer"]
    assert assistant.ask("best pasta carbonara recipe")["status"] == "cannot_answer"


def test_member_without_scores_is_told_so_from_the_data(assistant):
    result = assistant.ask("how does Arezzo score on co-creation?")
    assert result["intent"] == "scores" and not result["route_failed"]  # no published row: no invented score
    assert "Arezzo has no published dashboard scores" in result["answer"] and "Milan" in result["answer"]


def test_ucc_ask_json(monkeypatch, knowledge_searcher):
    monkeypatch.setattr("app.assistant.Searcher", lambda settings: knowledge_searcher)
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    r = CliRunner().invoke(main, ["ask", "How did Ghent grant rights automatically?", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    for key in ("status", "answer", "citations", "timings_ms", "conversation_id"):
        assert key in data
    cid = data["conversation_id"]
    again = CliRunner().invoke(main, ["ask", "and in Helsinki?", "--conversation", cid, "--json"])
    assert json.loads(again.stdout)["conversation_id"] == cid
    text = CliRunner().invoke(main, ["ask", "   "])
    assert text.exit_code == 1 and "Traceback" not in text.output


def test_examples_question_without_a_topic_uses_the_question(assistant):
    result = assistant.ask("Show me Madrid's case studies")
    assert result["status"] == "answered"  # not a 400 for an empty topic


def test_examples_in_a_country_are_that_countrys_members(assistant, catalog):
    result = assistant.ask("Examples of participatory budgeting in Spain")
    assert result["intent"] == "examples" and result["status"] == "answered"
    items = result["data"]["examples"]
    assert len(items) >= 2 and {catalog.city(e["city"]).country for e in items} == {"Spain"}
    assert "in Spain" in result["answer"]  # the answer says what was asked
    result = assistant.ask("Examples of digital inclusion in Finland")  # none there: an honest refusal
    assert result["status"] == "cannot_answer" and "Finland" in result["answer"]


def test_ucc_ask_is_logged_with_channel_cli(monkeypatch, knowledge_searcher, tmp_path):
    from app.operations.questionlog import QuestionLog

    monkeypatch.setattr("app.assistant.Searcher", lambda settings: knowledge_searcher)
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    r = CliRunner().invoke(main, ["ask", "How did Ghent grant rights automatically?"])
    assert r.exit_code == 0, r.output
    rows = QuestionLog.from_settings(load_settings()).export_csv()
    assert "How did Ghent grant rights automatically?" in rows and ",cli," in rows


def test_llm_answers_through_the_assistant_and_fall_back(knowledge_searcher, catalog, tmp_path):
    """UCC_LLM_URL set: the generated answer is used when its citations check out, and the
    extractive answer comes back (with a note) when the server fails."""
    from app.answering.generator import generator_from_settings

    from .test_generator import FakeLLM

    fake = FakeLLM()
    try:
        settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "var"), UCC_KNOWLEDGE_DIR=str(REPO / "knowledge"),
                                 UCC_LLM_URL=fake.url, UCC_LLM_TIMEOUT=5)
        generator = generator_from_settings(settings)
        assert generator is not None
        a = Assistant(settings, searcher=knowledge_searcher, catalog=catalog, generator=generator)
        fake.content = ("Helsinki offers a pre-primary education place to families whose child already attends "
                        "municipal early-childhood education, without an application. [1] "
                        "The moon is made of cheese.")
        result = a.ask("How did Helsinki offer pre-primary places without an application?")
        assert result["status"] == "answered"
        assert "without an application. [1]" in result["answer"]
        assert "cheese" not in result["answer"]  # cites nothing: dropped
        sent = fake.last["messages"][-1]["content"]
        assert "pre-primary" in sent  # the retrieved passages went to the model
        fake.status, fake.raw = 500, b"boom"
        fallback = a.ask("How did Ghent grant rights automatically?")
        assert fallback["status"] == "answered" and fallback["citations"]
        assert any("extractive" in n for n in fallback.get("notes", []))
    finally:
        fake.close()


def test_a_plain_folder_of_documents_without_members_can_be_asked(tmp_path, fake_embedder):
    """Any folder of documents can be indexed and asked; cities.yaml and the benchmark are extras."""
    from app.network.catalog import Catalog
    from indexer.build import build_index
    from indexer.search import Searcher

    from .conftest import write

    docs = tmp_path / "docs"
    write(docs / "permits.md", "---\ntitle: Parking permits online\nkind: guide\n---\n\n# Parking permits online\n\n"
          "Residents renew a parking permit online in three steps and receive it by email the same day.\n")
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "var"), UCC_KNOWLEDGE_DIR=str(docs))
    build_index([docs], settings, embedder=fake_embedder)
    catalog = Catalog.load(docs)
    assert not catalog.has_cities
    assistant = Assistant(settings, searcher=Searcher(settings, embedder=fake_embedder), catalog=catalog)
    result = assistant.ask("How do residents renew a parking permit online in Madrid?")
    assert result["intent"] == "answer" and result["route"]["intent"] == "answer"
    assert result["generation"] == 1
    assert result["status"] in ("answered", "need_more_detail", "cannot_answer")


# -- the use cases of the faces ---------------------------------------------------------------------
def test_every_face_is_timed_and_logged_the_same_way(tmp_path, knowledge_searcher_fake, catalog):
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "var"), UCC_LOG_SALT="pepper")
    a = Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog)
    rows = []
    for channel in ("web", "slack", "cli"):
        asked = a.ask_and_record("How do cities run participatory budgets?", channel=channel, user_id="U1")
        assert asked.status == "answered" and asked.answer_id and asked.conversation_id and asked.latency_ms > 0
        assert asked.to_dict() == {**asked.result, "answer_id": asked.answer_id, "channel": channel}
        rows.append(a.question_log.get(asked.answer_id))
    shapes = {json.dumps([sorted(s) for s in r["sources"]]) for r in rows}
    assert len(shapes) == 1 and all(r["sources"][0]["title"] and r["generation"] for r in rows)
    assert [r["channel"] for r in rows] == ["web", "slack", "cli"] and all(r["route"] == "answer" for r in rows)
    rated = a.record_feedback(rows[0]["answer_id"], "down", "not  this")
    assert rated["comment"] == "not this" and a.question_log.down_rated()[0]["answer_id"] == rows[0]["answer_id"]


def test_a_failed_ask_is_logged_and_a_failed_log_costs_no_answer(tmp_path, knowledge_searcher_fake, catalog):
    settings = load_settings({}, UCC_DATA_DIR=str(tmp_path / "var"), UCC_LOG_SALT="pepper")

    class Broken(Assistant):
        def ask(self, *args, **kwargs):
            raise RuntimeError("boom")

    broken = Broken(settings, searcher=knowledge_searcher_fake, catalog=catalog)
    with pytest.raises(RuntimeError):
        broken.ask_and_record("How do cities run participatory budgets?", channel="slack")
    assert [r["status"] for r in broken.question_log.unanswered()] == ["error"]

    class NoLog:
        def record_ask(self, *args, **kwargs):
            raise OSError("disk full")

    a = Assistant(settings, searcher=knowledge_searcher_fake, catalog=catalog)
    asked = a.ask_and_record("How do cities run participatory budgets?", channel="cli", log=NoLog())
    assert asked.status == "answered" and asked.answer_id is None and asked.result["answer"]
