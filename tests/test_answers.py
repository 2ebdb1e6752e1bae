"""ask(): every status and reason, citations and markers, verbatim quoting, follow-ups, bad input.

Behaviour tests use the knowledge base indexed with the real model (``knowledge_searcher``);
input checks and the generator hook use the fake embedder.
"""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from app.answering import asked, reader
from app.answering import sentences as sn
from app.answering.answerer import Answerer
from app.answering.answers import AnswerResult
from app.answering.conversations import ConversationStore
from app.answering.gate import MIN_SCORE
from indexer import store as ist
from indexer.errors import InvalidRequest
from indexer.settings import load_settings

_MARKED = re.compile(r"(.+?) \[(\d+)\](?= |$)")


def parts(answer: str) -> list[tuple[str, int]]:
    """(sentence, citation number) pairs of an extractive answer; the whole text must parse."""
    found = [(m.group(1).strip(), int(m.group(2))) for m in _MARKED.finditer(answer)]
    assert " ".join(f"{s} [{n}]" for s, n in found) == answer, answer
    # a quote that leans on its document for its subject is preceded by whose it is: "(Rotterdam, MeldR) The app ..."
    return [(_SUBJECT.sub("", s, count=1), n) for s, n in found]


_SUBJECT = re.compile(r"^\([^()]+\) (?=[A-Z])")


_CHUNKS: dict = {}


def doc_passages(searcher, doc_id: str) -> list[str]:
    key = (id(searcher), doc_id)
    if key not in _CHUNKS:
        db = searcher._db()
        gen = searcher.live().id
        rows = db.execute(
            f"SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc WHERE {ist.live_clause()} AND d.doc_id = :doc",
            {"gen": gen, "doc": doc_id},
        ).fetchall()
        meta = db.execute(
            f"SELECT d.metadata FROM documents d WHERE {ist.live_clause()} AND d.doc_id = :doc",
            {"gen": gen, "doc": doc_id},
        ).fetchone()
        facts = reader.fact_units(json.loads(meta[0])) if meta else []  # the front matter's outcomes
        _CHUNKS[key] = [sn.normalise(r[0]) for r in rows] + facts
    return _CHUNKS[key]


def check_answer(result: AnswerResult, searcher) -> None:
    """The invariants of every answer: markers, numbering, verbatim sentences, citations used."""
    assert result.status == "answered" and result.reason is None
    pairs = parts(result.answer)
    assert pairs
    numbers = [c.n for c in result.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    first_use = list(dict.fromkeys(n for _, n in pairs))
    assert first_use == numbers  # numbered in order of first use, and every citation is used
    by_n = {c.n: c for c in result.citations}
    for sentence, n in pairs:
        passages = doc_passages(searcher, by_n[n].doc_id)
        assert any(sentence in p for p in passages), f"not verbatim in {by_n[n].doc_id}: {sentence!r}"
    assert len(pairs) <= 6
    words = sum(len(s.split()) for s, _ in pairs)
    assert words <= 130
    assert len({s for s, _ in pairs}) == len(pairs)  # no repeated sentence
    for c in result.citations:
        assert c.title and c.doc_id and c.source and c.snippet


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def answerer(knowledge_searcher, catalog):
    return Answerer(knowledge_searcher, catalog)


@pytest.fixture
def chat(knowledge_searcher, catalog, tmp_path):
    return Answerer(knowledge_searcher, catalog, ConversationStore(tmp_path / "var"))


@pytest.fixture(scope="module")
def fake_answerer(knowledge_searcher_fake, catalog):
    return Answerer(knowledge_searcher_fake, catalog, min_score=0.0, scope_min=-1.0)


# --- sentences --------------------------------------------------------------------------------


def test_sentences_keep_abbreviations_numbers_and_list_items_whole():
    text = (
        "Ghent grants rights automatically, e.g. free waste bags. In 2021, 1,058 guardians were texted. "
        "The budget was €5.2 M. It worked! Dr. Smith (approx. 40 staff) agreed.\n\n"
        "- **Pick the top tasks.** For each service choose two.\n"
        "2. Applications fell from 1,350 (2019) to 28 (2022).\n\n"
        "Column | Meaning\ncity | member slug"
    )
    got = [s.text for s in sn.sentences(text)]
    assert got[:6] == [
        "Ghent grants rights automatically, e.g. free waste bags.",
        "In 2021, 1,058 guardians were texted.",
        "The budget was €5.2 M.",
        "It worked!",
        "Dr. Smith (approx. 40 staff) agreed.",
        "Pick the top tasks. For each service choose two.",
    ]
    assert got[6] == "Applications fell from 1,350 (2019) to 28 (2022)."
    assert all(s in sn.normalise(text) for s in got)
    assert not sn.is_prose("Column | Meaning city | member slug")
    assert not sn.is_prose("The first cases were:")


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_invalid(fake_answerer, question):
    with pytest.raises(InvalidRequest, match="empty"):
        fake_answerer.ask(question)


def test_too_long_question_is_invalid(fake_answerer):
    with pytest.raises(InvalidRequest, match="too long .*2001 characters; at most 2000"):
        fake_answerer.ask("a" * 2001)
    fake_answerer.ask("usability testing " + "a" * 1900)  # at the limit is fine


def test_bad_filters_and_conversation_ids_are_invalid(fake_answerer, knowledge_searcher_fake, catalog, tmp_path):
    with pytest.raises(InvalidRequest, match="Unknown filter"):
        fake_answerer.ask("usability testing", filters={"colour": "blue"})
    a = Answerer(knowledge_searcher_fake, catalog, ConversationStore(tmp_path / "c"), min_score=0.0)
    with pytest.raises(InvalidRequest, match="conversation id"):
        a.ask("usability testing", conversation="no spaces allowed")
    with pytest.raises(InvalidRequest):
        fake_answerer.ask(None)


# --- the generator hook -------------------------------------------------------------------------


class GoodGenerator:
    def __init__(self):
        self.seen = None

    def generate(self, question, passages):
        self.seen = passages
        return f"{passages[0].title} is described in the first source [1].", [1]


class BrokenGenerator:
    def generate(self, question, passages):
        raise TimeoutError("the model server did not answer")


class EmptyGenerator:
    def generate(self, question, passages):
        return "", []


def test_generator_answer_is_used_when_it_works(knowledge_searcher_fake, catalog):
    gen = GoodGenerator()
    a = Answerer(knowledge_searcher_fake, catalog, min_score=0.0, scope_min=-1.0, generator=gen)
    r = a.ask("usability testing with the system usability scale")
    assert r.status == "answered" and r.label == "generated"
    assert [c.n for c in r.citations] == [1] and r.answer.endswith("[1].")
    assert gen.seen[0].n == 1 and gen.seen[0].text and gen.seen[0].doc_id == r.citations[0].doc_id


@pytest.mark.parametrize("gen", [BrokenGenerator(), EmptyGenerator()])
def test_generator_failure_falls_back_to_extractive(knowledge_searcher_fake, catalog, gen):
    a = Answerer(knowledge_searcher_fake, catalog, min_score=0.0, scope_min=-1.0, generator=gen)
    r = a.ask("usability testing with the system usability scale")
    assert r.status == "answered" and r.label == "extractive"
    assert "generator unavailable: extractive answer" in r.notes
    check_answer(r, knowledge_searcher_fake)


def test_warm_embeds_every_sentence_once(knowledge_searcher_fake, catalog):
    a = Answerer(knowledge_searcher_fake, catalog, min_score=0.0, scope_min=-1.0)
    assert a.warm() > 300
    emb = knowledge_searcher_fake.embedder
    before = emb.passages_embedded
    r = a.ask("how do residents report problems in public space")
    assert r.status == "answered" and emb.passages_embedded == before  # every sentence came from the cache


# --- answered -------------------------------------------------------------------------------------


def test_answered_with_citations_related_services_and_peers(answerer, knowledge_searcher):
    r = answerer.ask("How does Ghent grant social rights automatically without an application?")
    check_answer(r, knowledge_searcher)
    assert r.citations[0].city == "ghent"
    assert any(c.doc_id in ("services/ghent-proactive-services.md", "cases/ghent-proactive-rights.md")
               for c in r.citations)
    cited_cities = {c.city for c in r.citations}
    assert r.related and all(x.city not in cited_cities for x in r.related)
    assert len({x.city for x in r.related}) == len(r.related)
    assert any(p["city"] == "ghent" and p["name"] == "Ghent" for p in r.peers)
    assert 1 <= len(r.follow_ups) <= 3
    assert set(r.timings_ms) >= {"search", "compose", "total"}
    data = json.loads(json.dumps(r.to_dict()))
    assert data["status"] == "answered" and data["citations"][0]["n"] == 1
    assert set(data["citations"][0]) >= {"n", "title", "source", "url", "city", "kind", "snippet", "page"}


@pytest.mark.parametrize(
    "question, expected",
    [
        ("How do we test usability with the System Usability Scale?", "toolkit/usability-testing-sus.md"),
        ("Can residents get civil registry certificates at a newsstand in Milan?",
         "services/milan-connected-neighbourhood-registry-desks.md"),
        ("Which accessibility standard applies to our city's websites?", "toolkit/accessibility-wcag-en-301-549.md"),
        ("How can our city join the UserCentriCities network?", "network/how-to-join.md"),
    ],
)
def test_answers_cite_the_right_document(answerer, knowledge_searcher, question, expected):
    r = answerer.ask(question)
    check_answer(r, knowledge_searcher)
    doc_ids = [c.doc_id for c in r.citations]
    assert expected in doc_ids or expected.replace("services/", "cases/") in doc_ids


@pytest.mark.parametrize("question, holds", [
    # The document is titled after the topic; the answering sentence holds the question's focus word
    # ("developed", "started") but few of the topic's words.
    ("From what year has the FUE business one-stop shop been developed in Catalonia?", "2011"),
    ("Who started the Gem virtual assistant with Utrecht?", "Tilburg"),
    ("Who coordinated the UserCentriCities project?", "Lisbon Council"),  # "led by the Lisbon Council"
])
def test_the_sentence_with_the_questions_focus_beats_sentences_about_the_topic(answerer, question, holds):
    r = answerer.ask(question)
    assert r.status == "answered" and holds in r.answer, r.answer


@pytest.mark.parametrize("question, holds, not_holds", [
    # A factoid question names what it asks about: a date or a figure of another document, which
    # only shares a word of the question ("launched"), is not its answer.
    ("When did Paris launch DansMaRue?", "2013", "2021"),
    ("How many Ghent staff have been trained in service design?", "67", "Kronoberg"),
    # ... and its topic beyond the names: Tallinn's participatory budget is not its free transport.
    ("In which year did Tallinn hold the public vote on free public transport?", "2012", "2020"),
    # ... and the date next to what the question asks happened ("It opened on 1 May 2021"), not a date
    # of something else in a sentence about the same service ("in 2023 two libraries also took votes").
    ("When did Riga open its Neighbourhood Residents' Centre?", "2021", "2023"),
    ("When did Ljubljana's Info Point 65+ open?", "2016", "since 2011"),
    # a yes/no question too: Tallinn's voting age is not OmaStadi's
    ("Can a twelve-year-old vote in Helsinki's OmaStadi?", "age of 12", "age of 14"),
])
def test_a_factoid_answer_is_about_what_the_question_names(answerer, question, holds, not_holds):
    r = answerer.ask(question)
    assert r.status == "answered" and holds in r.answer and not_holds not in r.answer, r.answer


@pytest.mark.parametrize("question, atype", [
    ("Which association manages the sharing map?", "name"),
    ("Which department of the city answers the reports?", "name"),
    ("Who runs it?", "name"),
    ("How many reports came in?", "number"),
    ("Since which year has it run?", "date"),
    ("How do residents log in?", "method"),
    ("¿Cuántas personas atendió la oficina?", "number"),
    ("Is it free?", None),
])
def test_the_kind_of_answer_a_question_expects(question, atype):
    language = "es" if question.startswith("¿") else None
    assert reader.expected_type(question, language) == atype


def test_a_date_next_to_the_event():
    assert asked.next_to("It opened on 1 May 2021, replacing the old centre.", {"open"}, "date")
    assert not asked.next_to("In 2017 the practice, which included the desk that the city had opened the year "
                            "before, received a title.", {"open"}, "date")
    assert not asked.next_to("It opened to everyone.", {"open"}, "date")


def test_a_place_covered_only_by_another_places_documents_is_no_answer(answerer):
    """The words of a question naming a place must be in documents about (or naming) that place:
    Ljubljana's mayor meeting residents does not cover the votes of Murcia's mayor."""
    r = answerer.ask("How many votes did Murcia's mayor get in the last municipal election?")
    assert r.status == "cannot_answer" and r.reason == "no_content", r.answer
    assert any("Murcia" in n for n in r.notes)
    r = answerer.ask("When was the Tallinn Declaration signed?")  # documents naming Tallinn, not about it
    assert r.status == "answered" and "2017" in r.answer


@pytest.mark.parametrize("question", [
    "Welke stad heeft een app om meldingen in de openbare ruimte te doen?",
    "Which city has an app for reporting problems in public space?",
    "Which cities run participatory budgets?",
])
def test_which_city_is_answered_by_what_cities_do_not_by_advice_to_them(answerer, question):
    """Advice to other cities ("How another city could reuse it") does not say which city does it."""
    r = answerer.ask(question)
    assert r.status == "answered" and r.citations
    assert not [c for c in r.citations if "reuse" in c.section.lower()], r.answer
    assert len({c.city for c in r.citations}) >= 2, r.answer


def test_a_figure_asked_for_and_not_found_is_no_answer(answerer):
    """Quoting sentences near the topic of "how many" without a figure reads as an answer that is not there."""
    r = answerer.ask("Combien de touristes visitent Porto chaque année ?")
    assert r.status == "cannot_answer" and r.nearest and any("no figure" in n for n in r.notes), r.answer
    r = answerer.ask("How many certificates did Milan's newsstands issue?")
    assert r.status == "answered" and "67,000" in r.answer


def test_a_figure_of_something_else_is_no_count():
    """"How many" is answered by a figure next to what it counts, or by units naming it (a list)."""
    assert asked.counted("How many Porto citizen cards were issued?") == {"citize", "card"}
    assert asked.counted("How many times has the MyGlasgow app been installed?") == {"instal"}
    assert "reside" in asked.counted("How many people voted?")
    assert asked.counted("When did it open?") == set()
    assert asked.next_to("45,431 reports in 2025, up 15% on 2024.", {"report"}, "number")
    assert not asked.next_to("The 58 neighbourhoods were grouped into five territories.", {"visito"}, "number")


@pytest.mark.parametrize("question, status, holds", [
    ("How many times has the MyGlasgow app been installed?", "cannot_answer", None),  # "60% of reports"
    ("How many citizens did Ljubljana's mayor meet at the Open Days?", "answered", "24,000"),  # "residents"
    ("How many municipalities share the Helmet library?", "answered", "Kauniainen"),  # named, not counted
])
def test_how_many_is_answered_by_what_it_counts(answerer, question, status, holds):
    r = answerer.ask(question)
    assert r.status == status and (holds is None or holds in r.answer), r.answer


@pytest.mark.parametrize("question, holds", [
    # the figure next to what is counted, from the document the answer quotes: not "residents over
    # 65" (an age), nor Madrid's "3.3 million residents"
    ("Quanti residenti ha aiutato il progetto Nonni Digitali ad Arezzo?", "70 residents"),
    ("¿Cuántas llamadas atendió en 2024 la Oficina de Atención Ciudadana de Olesa de Montserrat?", "28,437"),
    # "Minha Rua" is the service's name, written with capitals, though common Portuguese words
    ("Quantos relatos por ano recebe a aplicação Na Minha Rua LX em média?", "121,878"),
])
def test_how_many_in_other_languages_quotes_the_count(answerer, question, holds):
    r = answerer.ask(question)
    assert r.status == "answered" and holds in r.answer, r.answer


def test_ages_count_nothing():
    assert not asked.next_to("It helps residents over 65 and people aged 16 or over.", {"reside", "people"},
                              "number")
    assert asked.next_to("The team helped about 70 residents one to one.", {"reside"}, "number")


@pytest.mark.parametrize("question, status, holds", [
    ("How much does the Helmet library card cost?", "cannot_answer", None),  # figures, but no sum of money
    ("What is the budget of Paris's participatory budget?", "cannot_answer", None),  # Murcia's is not Paris's
    ("How much did Glasgow commit to its 2018 participatory budgeting pilots?", "answered", "£1 million"),
])
def test_a_question_asking_for_money_is_answered_by_a_sum(answerer, question, status, holds):
    r = answerer.ask(question)
    assert r.status == status and (holds is None or holds in r.answer), r.answer


def test_what_asks_for_money():
    assert asked.asks_money("What's the yearly running cost of the app?")
    assert asked.asks_money("How much did the city spend?")
    assert not asked.asks_money("How much time does it take?")
    assert not asked.asks_money("How does the participatory budget work?")
    assert asked.holds_money("a fee of at most €2") and asked.holds_money("up to 1,500 euros")
    assert not asked.holds_money("1 January 2020: the app is live")


@pytest.mark.parametrize("question, status, note, holds", [
    ("Who is the mayor of Ghent?", "cannot_answer", asked.NO_ROLE, None),  # Ghent's documents name no mayor
    ("Who was Kyiv's Chief Information Officer in 2022?", "answered", None, "Polovynko"),
    ("When does Ghent city hall open?", "cannot_answer", asked.NO_TIME, None),  # a call "opened 2 February"
])
def test_a_role_or_the_hours_asked_for_are_in_the_answer(answerer, question, status, note, holds):
    r = answerer.ask(question)
    assert r.status == status and (note is None or note in r.notes) and (holds is None or holds in r.answer), r.answer


def test_what_a_question_asks_beyond_its_type():
    assert asked.role("Who is the current mayor of Espoo?") == {"mayor"}
    assert asked.role("Who was Kyiv's Chief Information Officer in 2022?") == {"chief", "inform", "office"}
    assert asked.role("Who runs the project?") == set()
    assert asked.asks_time("When does the city hall open on Sundays?") and asked.asks_time("What time is it open?")
    assert not asked.asks_time("When did Riga open its centre?")
    assert asked.holds_time("open from 8:00 to 20:00") and not asked.holds_time("opened on 2 February 2023")


def test_what_holds_no_figure():
    assert asked.plain_figures("One aim is to compare with Madrid's Mobility 360 (madrid-mobility-360).") == \
        " aim is to compare with Madrid's Mobility (madrid-)."
    assert asked.plain_figures("About 950 proposals; the Region has 4,371,185 records.") == \
        "About 950 proposals; the Region has 4,371,185 records."


def test_a_question_naming_a_service_and_its_place_is_not_a_place_only_match(answerer):
    """"manages" is in no Brussels document, but the question names FixMyStreet, whose entry is the best match."""
    r = answerer.ask("Who manages FixMyStreet in Brussels?")
    assert r.status == "answered" and "FixMyStreet" in r.answer


@pytest.mark.parametrize("question, country", [
    ("How do Spanish cities run participatory budgets?", "Spain"),
    ("How is participatory budgeting done in Spain?", "Spain"),
])
def test_a_question_about_a_countrys_cities_quotes_that_countrys_members(answerer, catalog, question, country):
    r = answerer.ask(question)
    assert r.status == "answered" and {catalog.city(c.city).country for c in r.citations if c.city} == {country}


def test_a_country_named_for_something_else_is_no_filter(answerer):
    r = answerer.ask("Which Slovenian minister spoke at the 2021 UserCentriCities Summit?")  # network page, no city
    assert r.status == "answered" and "Koritnik" in r.answer


def test_the_names_a_factoid_question_asks_about():
    from app.answering.reader import named

    assert named("When did Paris launch DansMaRue?", "date") == ["paris", "dansmarue"]
    assert named("Which platform does Helsinki's OmaStadi run on?", "name") == ["helsinki", "omastadi"]
    assert named("Which cities besides Helsinki offer proactive services?", "name") == []  # asks for others
    assert named("How does Helsinki notify families?", "method") == []  # not a factoid


TOPICS = ["proactive services", "participatory budget", "usability testing", "reporting problems in public space",
          "digital inclusion", "city app", "once-only principle", "accessibility of websites", "civil registry certificates",
          "measuring satisfaction", "benchmark self-assessment", "co-design with older people", "procurement"]
TEMPLATES = ["How do cities handle {t}?", "{t}", "What did members learn about {t}?", "Examples of {t}{place}",
             "Who does {t} well{place}?", "Tips for {t}"]
PLACES = ["", " in Spain", " in Ghent", " in Helsinki", " in Madrid", " in Italy"]


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(TOPICS), st.sampled_from(TEMPLATES), st.sampled_from(PLACES))
def test_every_answer_quotes_its_cited_passages_verbatim(answerer, knowledge_searcher, topic, template, place):
    r = answerer.ask(template.format(t=topic, place=place))
    if r.status == "answered":
        check_answer(r, knowledge_searcher)
    elif r.status == "need_more_detail":
        assert 2 <= len(r.clarifying_options) <= 4 and not r.answer and not r.citations
    else:
        assert r.reason in ("outside_scope", "no_content") and not r.answer and not r.citations


# --- need_more_detail -------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["services", "digital", "help", "Any good examples?"])
def test_vague_questions_get_clarifying_options(answerer, question):
    r = answerer.ask(question)
    assert r.status == "need_more_detail" and r.reason is None and r.answer == ""
    assert 2 <= len(r.clarifying_options) <= 4
    labels = [o.label for o in r.clarifying_options]
    assert len(set(labels)) == len(labels)


def test_clarifying_options_lead_to_answers(answerer, knowledge_searcher):
    r = answerer.ask("digital services")
    assert r.status == "need_more_detail"
    for option in r.clarifying_options[:3]:
        follow = answerer.ask(option.question)
        assert follow.status == "answered", option
        check_answer(follow, knowledge_searcher)


def test_a_city_alone_offers_that_citys_topics(answerer):
    r = answerer.ask("Ghent")
    assert r.status == "need_more_detail"
    assert sum(1 for o in r.clarifying_options if o.city == "ghent") >= 2


# --- cannot_answer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["What is a good recipe for lasagne?", "Who won the Champions League final last year?",
     "How do I reverse a linked list in Python?", "What dose of ibuprofen can I take for a headache?"],
)
def test_outside_scope(answerer, question):
    r = answerer.ask(question)
    assert (r.status, r.reason) == ("cannot_answer", "outside_scope")
    assert r.answer == "" and not r.citations
    assert r.nearest == []  # unrelated "closest matches" would only mislead


@pytest.mark.parametrize(
    "question",
    ["How much are parking fines in Tokyo?", "What is the corporate tax rate in Singapore?",
     "How do I register a car in Mexico City?",
     "Who is the current mayor of Espoo?"],  # short, but asking for a fact: no topics to pick from
)
def test_no_content(answerer, question):
    r = answerer.ask(question)
    assert (r.status, r.reason) == ("cannot_answer", "no_content")
    assert r.answer == "" and not r.citations and r.notes
    if r.evidence.get("unknown_names"):  # "Nothing in the knowledge base mentions Tokyo": no unrelated matches
        assert r.nearest == [] and any("mentions" in n for n in r.notes)
    else:
        assert r.nearest


def test_filters_that_match_nothing_give_no_content_with_the_nearest_unfiltered(answerer):
    r = answerer.ask("participatory budgeting", filters={"city": "ljubljana", "kind": "guide"})  # guides have no city
    assert (r.status, r.reason) == ("cannot_answer", "no_content")
    assert r.nearest and any("filters" in n for n in r.notes)


def test_the_threshold_comes_from_the_setting_or_the_calibrated_default(knowledge_searcher, catalog):
    assert 0.2 < MIN_SCORE < 0.8
    assert Answerer(knowledge_searcher, catalog).min_score == MIN_SCORE  # UCC_ANSWER_MIN_SCORE=-1
    strict = load_settings({"UCC_ANSWER_MIN_SCORE": "0.99"}, UCC_DATA_DIR=str(knowledge_searcher.settings.data_dir))

    class View:  # the same index, read with other settings
        settings = strict
        embedder = knowledge_searcher.embedder

        def __getattr__(self, name):
            return getattr(knowledge_searcher, name)

    a = Answerer(View(), catalog)
    assert a.min_score == 0.99
    r = a.ask("How does Ghent grant social rights automatically?")
    assert (r.status, r.reason) == ("cannot_answer", "no_content")


# --- follow-ups ------------------------------------------------------------------------------------


def test_follow_up_in_another_country(chat, knowledge_searcher):
    first = chat.ask("How do cities run participatory budgets?")
    check_answer(first, knowledge_searcher)
    cid = first.conversation_id
    assert cid
    spain = chat.ask("and in Spain?", conversation=cid)
    assert spain.conversation_id == cid and spain.follow_up == "place"
    assert spain.resolved_question == "How do cities run participatory budgets in Spain?"
    check_answer(spain, knowledge_searcher)
    assert {c.city for c in spain.citations} <= {"madrid", "murcia", "barcelona", "catalonia"}
    italy = chat.ask("What about Italy?", conversation=cid)
    assert italy.resolved_question == "How do cities run participatory budgets in Italy?"
    assert italy.filters == {"country": "italy"}


def test_follow_up_who_else(chat, knowledge_searcher):
    first = chat.ask("How does Rotterdam let residents report problems in public space?")
    check_answer(first, knowledge_searcher)
    before = {c.city for c in first.citations if c.city}
    assert "rotterdam" in before
    others = chat.ask("who else does that?", conversation=first.conversation_id)
    assert others.follow_up == "others"
    check_answer(others, knowledge_searcher)
    assert not before & {c.city for c in others.citations}
    assert not before & {x.city for x in others.related}
    assert {c.city for c in others.citations} & {"paris", "brussels-capital-region", "gothenburg", "madrid"}


def test_follow_up_how_did_they_measure_it(chat, knowledge_searcher):
    first = chat.ask("How did Helsinki offer pre-primary education places without parents applying?")
    check_answer(first, knowledge_searcher)
    measured = chat.ask("How did they measure it?", conversation=first.conversation_id)
    assert measured.follow_up == "measure" and "measured" in measured.resolved_question
    check_answer(measured, knowledge_searcher)
    assert measured.citations[0].city == "helsinki"
    assert re.search(r"\d", measured.answer)  # results come with figures


def test_suggested_follow_ups_are_understood(chat):
    first = chat.ask("How does Ghent grant social rights automatically without an application?")
    for suggestion in first.follow_ups:
        r = chat.ask(suggestion, conversation=first.conversation_id)
        assert r.follow_up != "new", suggestion
        chat.ask("How does Ghent grant social rights automatically without an application?",
                 conversation=first.conversation_id)


def test_without_a_store_each_question_stands_alone(answerer):
    r = answerer.ask("and in Spain?")
    assert r.follow_up == "new" and r.conversation_id is None
    assert r.status in ("need_more_detail", "cannot_answer")
