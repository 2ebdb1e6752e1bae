"""The answer evaluation harness: the matching rules, the question file, and a floor on answers-dev."""

import json

import pytest
from click.testing import CliRunner

from app.operations.answer_eval import check, evaluate, evaluate_file, load_cases, parse_case, parse_cases
from app.assistant import Assistant
from app.cli import main
from indexer.errors import DatasetError, IndexNotBuilt

from .conftest import REPO, shared_or_skip, write

# Questions of ../shared/eval/answers-dev that pass today (30 of 39 at first, 39 now, see
# bench/RESULTS.md "Answers (answers-dev)"). Raise it when answers improve, so that a change
# that loses answers fails; never lower it to make a change pass.
ANSWERS_DEV_FLOOR = 39
# The same for tests/data/answers-heldout (45 questions written without looking at the answers;
# 38 passed when it was first measured, 42 after the reader calibration of bench/calibrate_reader.py,
# 45 with the cross-lingual path; it has been looked at since its first measurement, so it is no
# longer a clean held-out set).
ANSWERS_HELDOUT_FLOOR = 45
# tests/data/answers-multilingual: 22 fact questions of the answers-dev kinds in es/it/de/fr/nl/pt
# (14 cited, 5 routed, 3 refusals): 12 passed when first measured, 20 with the reader's question
# forms in those languages and the gate's title and place checks (bench/RESULTS.md).
ANSWERS_MULTILINGUAL_FLOOR = 21  # 21 with the gate's second view (English agreement)
# Two sets written after the tuning above and checked once (bench/RESULTS.md): 30 English questions
# of the answers-dev kinds (30 passed) and 20 in es/it/de/fr/nl/pt (14 passed; 15 once a question
# in another language needed an award word to be taken for one about the award; 16 with the members'
# names in more languages, "Helsínquia", after that set had been looked at).
# 29 since the knowledge base doubled its services (issue 14): "Recommend a hotel near the station"
# now meets numbered reuse recommendations at cosine 0.37 (floor 0.33) and is answered; recorded in
# bench/RESULTS.md, not tuned away.
ANSWERS_HELDOUT2_FLOOR = 29
ANSWERS_MULTILINGUAL_HELDOUT_FLOOR = 17  # 17 with the gate's second view
# answers-multilingual/heldout2.jsonl: 16 more (10 answerable, 6 refusals), written after all of the
# above and checked once: 15 passed (the same with or without the gate's second view).
ANSWERS_MULTILINGUAL_HELDOUT2_FLOOR = 15
# answers-multilingual/refusals.jsonl: 62 questions in es/it/de/fr/nl/pt the knowledge base does not
# answer (off-topic, uncovered municipal services, a member's population or mayor): 51 refused at
# first, 56 once awards, similar members and learn-from needed their own words; 54 after the knowledge
# base doubled its services (near matches in Emilia-Romagna's health record, Porto's citizen card and
# Explore.Porto), 55 once a question asking for a figure is refused when no figure is quoted.
REFUSALS_MULTILINGUAL_FLOOR = 55
# answers-heldout3: 50 more, written from knowledge/ by a helper that never saw an answer: 43 when
# first measured, 47 after the changes its failures pointed to (bench/RESULTS.md; no longer held out).
ANSWERS_HELDOUT3_FLOOR = 48  # 48 once h3-36 accepted the members whose new services give in-person help
# answers-heldout4: 40 more over the knowledge base's entries of 2026-12-05, written by a helper that
# never saw an answer: 29 when first measured, 38 after the changes its failures pointed to (dates and
# counts next to what was asked, "first city-wide" no ranking cue, organisation nouns, names written
# with capitals in other languages; bench/RESULTS.md; no longer held out).
ANSWERS_HELDOUT4_FLOOR = 38
# answers-heldout5: 40 of the answers-dev kinds over the whole knowledge base (12 facts, 10 routed,
# 10 in other languages, 8 refusals), written the same way: 35 when first measured, 40 after the
# changes its failures pointed to (bench/RESULTS.md; no longer held out).
ANSWERS_HELDOUT5_FLOOR = 40
# answers-heldout6: 40 method, yes/no, what-is and list questions (6 in other languages, 6 refusals),
# written the same way: 28 when first measured, 30 after the changes it pointed to (bench/RESULTS.md).
ANSWERS_HELDOUT6_FLOOR = 30


def case(**kw):
    return parse_case({"id": "t", "q": "question?", "status": "answered", **kw})


def answered(answer="", citations=(), intent="answer", status="answered"):
    cites = [{"n": i + 1, "title": t, "city": c, "city_name": c.title() if c else None}
             for i, (t, c) in enumerate(citations)]
    return {"status": status, "intent": intent, "answer": answer, "citations": cites}


CITED = [("Some guide", None)]


# --- matching -------------------------------------------------------------------------------


def test_all_needs_one_option_of_every_group():
    c = case(all=[["41", "forty-one"], ["questions"]])
    assert check(c, answered("The dashboard has 41 questions.", CITED)).passed
    assert check(c, answered("Forty-one questions in all.", CITED)).passed  # case-insensitive
    r = check(c, answered("The dashboard has 41 indicators.", CITED))
    assert not r.passed and r.problems == ['missing "questions"']


def test_min_of_counts_distinct_options():
    c = case(min_of=[2, ["enablers", "performance", "outcome"]])
    assert check(c, answered("Enablers, performance and outcome.", CITED)).passed
    r = check(c, answered("Pillar 2 is performance; performance again.", CITED))
    assert not r.passed and "1 of 2" in r.problems[0] and "found performance" in r.problems[0]


def test_all_and_min_of_together():
    c = case(all=[["3", "three"]], min_of=[2, ["enablers", "performance", "outcome"]])
    assert check(c, answered("Three pillars: enablers, performance, outcome.", CITED)).passed
    assert not check(c, answered("Enablers, performance, outcome.", CITED)).passed


def test_matching_ignores_accents_both_ways_and_collapses_spaces():
    assert check(case(all=[["Göteborg"]]), answered("GOTEBORG's app", CITED)).passed
    assert check(case(all=[["goteborg"]]), answered("Göteborg's app", CITED)).passed
    assert check(case(all=[["Mataró"]]), answered("mataro", CITED)).passed
    assert check(case(all=[["120 000"]]), answered("120\u00a0000 visitors", CITED)).passed
    assert check(case(all=[["€5.2 million"]]), answered("a budget of €5.2  million", CITED)).passed


def test_citation_titles_and_city_names_count():
    c = case(all=[["gothenburg"], ["anmal hinder"]])
    result = answered("An app to report obstacles [1].", [("Anmäl hinder", "gothenburg")])
    assert check(c, result).passed
    no_name = {"status": "answered", "intent": "answer", "answer": "[1]",
               "citations": [{"title": "Anmäl hinder", "city": "gothenburg", "city_name": None}]}
    assert check(c, no_name).passed  # the slug stands in for a missing name


def test_other_result_fields_do_not_count():
    result = answered("An app [1].", CITED)
    result["related"] = [{"title": "Gothenburg obstacle app", "city": "gothenburg"}]
    result["follow_ups"] = ["And in Gothenburg?"]
    assert not check(case(all=[["gothenburg"]]), result).passed


def test_status_must_match():
    r = check(case(all=[["x"]]), answered("x", CITED, status="need_more_detail"))
    assert not r.passed and r.problems[0] == "status need_more_detail, expected answered"
    refusal = parse_case({"id": "r", "q": "pizza?", "status": "cannot_answer"})
    assert check(refusal, {"status": "cannot_answer", "answer": "I cannot answer that."}).passed
    r = check(refusal, answered("Here is a pizza place.", CITED))
    assert not r.passed and r.problems == ["status answered, expected cannot_answer"]


def test_a_quoted_answer_must_cite_a_source_but_routed_answers_need_not():
    c = case(all=[["milan"]])
    r = check(c, answered("Milan."))
    assert not r.passed and r.problems == ["no citation"]
    assert check(c, answered("Milan.", CITED)).passed
    for intent in ("scores", "ranking", "similar", "learn_from", "examples"):
        assert check(c, answered("Milan.", intent=intent)).passed, intent
    refusal = parse_case({"id": "r", "q": "?", "status": "cannot_answer"})
    assert check(refusal, {"status": "cannot_answer", "intent": "answer", "answer": "", "citations": []}).passed


def test_result_objects_with_to_dict_are_accepted():
    class Result:
        def to_dict(self):
            return answered("41 questions", CITED)

    assert check(case(all=[["41"]]), Result()).passed


# --- the question file ----------------------------------------------------------------------


def test_a_well_formed_file_loads(tmp_path):
    path = write(tmp_path / "qa.jsonl", "\n".join([
        json.dumps({"id": "a1", "q": "How many?", "all": [["41"]], "status": "answered"}),
        "",
        json.dumps({"id": "a2", "q": "Wie?", "min_of": [1, ["ghent", "helsinki"]], "status": "answered",
                    "type": "method"}),  # other keys are ignored
        json.dumps({"id": "a3", "q": "Pizza?", "status": "cannot_answer"}),
    ]) + "\n")
    cases = load_cases(path)
    assert [c.id for c in cases] == ["a1", "a2", "a3"]
    assert cases[0].all == (("41",),) and cases[1].min_of == (1, ("ghent", "helsinki")) and cases[1].line == 3


@pytest.mark.parametrize("line, message", [
    ("{not json", "line 1: not valid JSON"),
    ('["a list"]', "line 1: not a JSON object"),
    ('{"q": "?", "status": "answered"}', '"id" must be a non-empty string'),
    ('{"id": "x", "q": " ", "status": "answered"}', '"q" must be a non-empty string'),
    ('{"id": "x", "q": "?"}', '"status" must be one of'),
    ('{"id": "x", "q": "?", "status": "yes"}', "not 'yes'"),
    ('{"id": "x", "q": "?", "status": "answered", "all": ["41"]}', '"all" group 1 must be a non-empty list'),
    ('{"id": "x", "q": "?", "status": "answered", "all": []}', '"all" must be a non-empty list'),
    ('{"id": "x", "q": "?", "status": "answered", "all": [[""]]}', "only non-empty strings"),
    ('{"id": "x", "q": "?", "status": "answered", "min_of": [2]}', '"min_of" must be [N, [options...]]'),
    ('{"id": "x", "q": "?", "status": "answered", "min_of": ["2", ["a", "b"]]}', '"min_of" must be'),
    ('{"id": "x", "q": "?", "status": "answered", "min_of": [3, ["a", "b"]]}', "asks for 3 of 2 options"),
    ('{"id": "x", "q": "?", "status": "answered", "min_of": [0, ["a"]]}', "asks for 0 of 1"),
    ('{"id": "x", "q": "?", "status": "cannot_answer", "all": [["a"]]}', "only to answered cases"),
])
def test_bad_lines_are_reported_with_their_number(line, message):
    with pytest.raises(DatasetError) as err:
        parse_cases([line], "qa.jsonl")
    assert "qa.jsonl: 1 bad line(s)" in err.value.message and message in err.value.message


def test_every_bad_line_is_listed_at_once(tmp_path):
    good = json.dumps({"id": "a", "q": "?", "status": "answered"})
    path = write(tmp_path / "qa.jsonl", "\n".join([good, "oops", good, '{"id": "b"}']) + "\n")
    with pytest.raises(DatasetError) as err:
        load_cases(path)
    msg = err.value.message
    assert "3 bad line(s)" in msg and "line 2: not valid JSON" in msg
    assert 'line 3: id "a" already used on line 1' in msg and "line 4:" in msg


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(DatasetError, match="no questions"):
        load_cases(write(tmp_path / "empty.jsonl", "\n\n"))
    with pytest.raises(DatasetError, match="does not exist"):
        load_cases(tmp_path / "nope.jsonl")


# --- the run --------------------------------------------------------------------------------


def test_evaluate_counts_by_status_and_intent_and_keeps_going_after_an_error():
    cases = parse_cases([
        json.dumps({"id": "1", "q": "score?", "all": [["75"]], "status": "answered"}),
        json.dumps({"id": "2", "q": "how?", "all": [["sms"]], "status": "answered"}),
        json.dumps({"id": "3", "q": "boom", "status": "answered"}),
        json.dumps({"id": "4", "q": "pizza?", "status": "cannot_answer"}),
    ])
    replies = {
        "score?": answered("Ghent scores 75%.", intent="scores"),
        "how?": answered("By letter.", CITED),
        "pizza?": {"status": "cannot_answer", "intent": "answer", "answer": "No.", "citations": []},
    }

    def ask(q):
        if q == "boom":
            raise RuntimeError("kaput")
        return replies[q]

    report = evaluate(cases, ask, "test")
    assert (report.passed, report.total) == (2, 4)
    assert report.by_status() == {"answered": {"passed": 1, "total": 3}, "cannot_answer": {"passed": 1, "total": 1}}
    assert report.by_intent() == {"answer": {"passed": 1, "total": 2}, "error": {"passed": 0, "total": 1},
                                  "scores": {"passed": 1, "total": 1}}
    data = report.to_dict()
    assert [f["id"] for f in data["failures"]] == ["2", "3"]
    assert data["failures"][1]["status"] == "error" and "kaput" in data["failures"][1]["problems"][0]
    assert data["failures"][0]["answer"] == "By letter." and len(data["cases"]) == 4


def test_a_missing_index_stops_the_run():
    cases = parse_cases([json.dumps({"id": "1", "q": "?", "status": "answered"})])

    def ask(q):
        raise IndexNotBuilt("No index yet: run ucc index.")

    with pytest.raises(IndexNotBuilt):
        evaluate(cases, ask)


# --- against the knowledge base -----------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(knowledge_searcher, catalog):
    return Assistant(knowledge_searcher.settings, searcher=knowledge_searcher, catalog=catalog)


@pytest.mark.shared
def test_answers_dev_keeps_its_floor(assistant):
    qa = shared_or_skip("eval", "answers-dev", "qa.jsonl")
    report = evaluate_file(qa, assistant.ask)
    failing = ", ".join(f"{f.id} ({f.status}: {'; '.join(f.problems)})" for f in report.failures)
    assert report.total == 39
    assert report.passed >= ANSWERS_DEV_FLOOR, f"{report.passed}/{report.total} passed; failing: {failing}"
    assert report.by_status()["cannot_answer"] == {"passed": 3, "total": 3}


@pytest.mark.parametrize("path, total, floor, refusals", [
    ("answers-heldout/qa.jsonl", 45, ANSWERS_HELDOUT_FLOOR, (6, 6)),
    ("answers-heldout2/qa.jsonl", 30, ANSWERS_HELDOUT2_FLOOR, (2, 3)),  # e30: see ANSWERS_HELDOUT2_FLOOR
    ("answers-heldout3/qa.jsonl", 50, ANSWERS_HELDOUT3_FLOOR, (6, 6)),
    ("answers-heldout4/qa.jsonl", 40, ANSWERS_HELDOUT4_FLOOR, (4, 4)),
    ("answers-heldout5/qa.jsonl", 40, ANSWERS_HELDOUT5_FLOOR, (8, 8)),
    ("answers-heldout6/qa.jsonl", 40, ANSWERS_HELDOUT6_FLOOR, (5, 6)),  # h6-36: "Who leads the MeldR team?"
    ("answers-multilingual/qa.jsonl", 22, ANSWERS_MULTILINGUAL_FLOOR, (3, 3)),
    ("answers-multilingual/heldout.jsonl", 20, ANSWERS_MULTILINGUAL_HELDOUT_FLOOR, (2, 2)),
    # p05 expected Brussels IRISbox's 106,335 new users for Madrid Móvil: no entry gives Madrid Móvil's
    # users, so it is a refusal (fixed from knowledge/services/brussels-irisbox.md); it is answered today.
    ("answers-multilingual/heldout2.jsonl", 16, ANSWERS_MULTILINGUAL_HELDOUT2_FLOOR, (6, 7)),
])
def test_the_projects_answer_sets_keep_their_floors(assistant, path, total, floor, refusals):
    """Each set keeps its floor, and its refusals (refused at least, of how many)."""
    report = evaluate_file(REPO / "tests" / "data" / path, assistant.ask)
    failing = ", ".join(f"{f.id} ({f.status}: {'; '.join(f.problems)})" for f in report.failures)
    assert report.total == total
    assert report.passed >= floor, f"{report.passed}/{report.total} passed; failing: {failing}"
    refused = report.by_status()["cannot_answer"]
    assert refused["total"] == refusals[1] and refused["passed"] >= refusals[0], failing


def test_questions_in_other_languages_the_knowledge_base_does_not_answer_are_refused(assistant):
    report = evaluate_file(REPO / "tests" / "data" / "answers-multilingual" / "refusals.jsonl", assistant.ask)
    answered = ", ".join(f"{f.id} {f.q}" for f in report.failures)
    assert report.total == 62 and report.passed >= REFUSALS_MULTILINGUAL_FLOOR, answered


def test_ucc_eval_answers(monkeypatch, knowledge_searcher, tmp_path):
    monkeypatch.setattr("app.assistant.Searcher", lambda settings: knowledge_searcher)
    monkeypatch.setenv("UCC_KNOWLEDGE_DIR", str(REPO / "knowledge"))
    qa = write(tmp_path / "qa.jsonl", "\n".join(json.dumps(o) for o in [
        {"id": "r1", "q": "show me the ranking", "all": [["milan"]], "status": "answered"},
        {"id": "p1", "q": "Recommend a good pizza restaurant", "status": "cannot_answer"},
        {"id": "x1", "q": "show me the ranking", "all": [["no such city anywhere"]], "status": "answered"},
    ]) + "\n")
    r = CliRunner().invoke(main, ["eval-answers", str(qa), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["passed"], data["total"]) == (2, 3)
    assert data["by_intent"]["ranking"] == {"passed": 1, "total": 2}
    assert [f["id"] for f in data["failures"]] == ["x1"]

    text = CliRunner().invoke(main, ["eval-answers", str(qa)])
    assert text.exit_code == 0, text.output  # failures do not change the exit code
    assert text.output.startswith("2/3 passed")
    assert "By expected status: answered 1/2, cannot_answer 1/1" in text.output
    assert "- x1 [ranking] show me the ranking" in text.output
    assert 'missing "no such city anywhere"' in text.output and "answer: Highest overall scores" in text.output

    bad = CliRunner().invoke(main, ["eval-answers", str(write(tmp_path / "bad.jsonl", "{oops\n"))])
    assert bad.exit_code == 1 and "line 1: not valid JSON" in bad.output and "Traceback" not in bad.output
    helped = CliRunner().invoke(main, ["eval-answers", "--help"])
    assert "Example: ucc eval-answers" in helped.output


def test_results_are_counted_by_language_given_or_detected():
    cases = parse_cases([json.dumps({"id": "a", "q": "¿Cuántos?", "status": "answered", "lang": "ES"}),
                         json.dumps({"id": "b", "q": "How many?", "status": "answered"})])
    answers = {"¿Cuántos?": {"status": "answered", "answer": "x", "citations": [{"title": "t"}], "language": "es"},
               "How many?": {"status": "cannot_answer", "language": "en"}}
    report = evaluate(cases, lambda q: answers[q])
    assert report.by_language() == {"en": {"passed": 0, "total": 1}, "es": {"passed": 1, "total": 1}}
    assert report.to_dict()["by_language"]["es"] == {"passed": 1, "total": 1}


def test_a_bad_lang_field_is_reported():
    with pytest.raises(DatasetError, match='"lang"'):
        parse_cases([json.dumps({"id": "a", "q": "q?", "status": "answered", "lang": 3})])
