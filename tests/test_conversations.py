"""Conversation memory (SQLite, last N turns, expiry) and rule-based follow-up resolution."""

import re

import pytest

from app.answering.conversations import ConversationStore, Places, Turn, resolve, short_title
from indexer.errors import InvalidRequest


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return ConversationStore(tmp_path / "var", turns=3, ttl=600, clock=clock)


def turn(q, **kw):
    return Turn(question=q, resolved_question=q, query=q, subject=q, **kw)


# --- the store --------------------------------------------------------------------------


def test_new_ids_are_random_and_url_safe():
    ids = {ConversationStore.new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16,64}", i) for i in ids)


def test_turns_round_trip_and_keep_the_last_n(store):
    cid = store.new_id()
    for i in range(5):
        store.append(cid, turn(f"q{i}", filters={"city": "ghent"}, doc_ids=[f"d{i}"], cities=["ghent"]))
    turns = store.turns(cid)
    assert [t.question for t in turns] == ["q2", "q3", "q4"]
    assert turns[-1].filters == {"city": "ghent"} and turns[-1].doc_ids == ["d4"]
    assert store.last(cid).question == "q4"
    assert store.turns(store.new_id()) == []


def test_file_lives_under_the_data_dir_in_wal_mode(tmp_path, clock):
    s = ConversationStore(tmp_path / "var", clock=clock)
    assert s.path == tmp_path / "var" / "conversations.db" and s.path.exists()
    assert s._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s._db().execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_turns_persist_across_store_instances(tmp_path, clock):
    a = ConversationStore(tmp_path / "conv.db", clock=clock)
    cid = a.new_id()
    a.append(cid, turn("how do cities run participatory budgets?"))
    a.close()
    b = ConversationStore(tmp_path / "conv.db", clock=clock)
    assert [t.question for t in b.turns(cid)] == ["how do cities run participatory budgets?"]


def test_conversations_expire_after_the_ttl(store, clock):
    old, recent = store.new_id(), store.new_id()
    store.append(old, turn("first"))
    clock.now += 500
    store.append(recent, turn("second"))
    clock.now += 200  # old: 700 s since its last turn (> 600); recent: 200 s
    assert store.turns(old) == []
    assert [t.question for t in store.turns(recent)] == ["second"]
    assert store.delete_expired() == 1
    assert store.count() == 1
    # Reusing an expired id starts afresh.
    store.append(old, turn("again"))
    assert [t.question for t in store.turns(old)] == ["again"]


def test_each_turn_extends_the_conversation(store, clock):
    cid = store.new_id()
    for i in range(4):
        store.append(cid, turn(f"q{i}"))
        clock.now += 400  # each gap is below the ttl
    assert store.turns(cid)


def test_expired_rows_are_deleted_lazily_on_append(store, clock):
    stale = store.new_id()
    store.append(stale, turn("old"))
    clock.now += 10_000
    store.append(store.new_id(), turn("new"))
    n = store._db().execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", [stale]).fetchone()[0]
    assert n == 0


def test_concurrent_appends_from_threads(tmp_path):
    import threading

    s = ConversationStore(tmp_path / "var", turns=50)
    cid = s.new_id()
    errors = []

    def worker(i):
        try:
            for j in range(10):
                s.append(cid, turn(f"t{i}-{j}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(s.turns(cid)) == 40


def test_forget(store):
    cid = store.new_id()
    store.append(cid, turn("q"))
    store.forget(cid)
    assert store.turns(cid) == []


@pytest.mark.parametrize("bad", ["", "short", "has space here", "x" * 65, "semi;colon-1234", "../../etc/passwd"])
def test_bad_conversation_ids_are_rejected(store, bad):
    with pytest.raises(InvalidRequest):
        store.turns(bad)


# --- follow-up resolution -------------------------------------------------------------------


@pytest.fixture(scope="module")
def places(catalog):
    return Places(catalog, {"london": "London", "bratislava": "Bratislava"}, ["Slovakia", "United Kingdom"])


@pytest.fixture
def history():
    return [Turn(
        question="How do cities grant benefits proactively?",
        resolved_question="How do cities grant benefits proactively?",
        query="How do cities grant benefits proactively?",
        subject="How do cities grant benefits proactively?",
        filters={},
        doc_ids=["services/ghent-proactive-services.md", "cases/helsinki-proactive-pre-primary-education.md",
                 "toolkit/proactive-services.md"],
        cities=["ghent", "helsinki"],
        doc_cities=["ghent", "helsinki", None],
        topics=["Proactive services", "Helsinki", "Proactive services"],
        status="answered",
    )]


def test_places_know_local_names_and_countries(places):
    found = places.find("Göteborg, Helsingfors, Kiev and Brussel; Spanish and Dutch cities; the UK; London")
    assert [(p.facet, p.value) for p in found] == [
        ("city", "gothenburg"), ("city", "helsinki"), ("city", "kyiv"), ("city", "brussels-capital-region"),
        ("country", "spain"), ("country", "netherlands"), ("country", "united kingdom"), ("city", "london"),
    ]
    assert places.strip("proactive services in Ghent?") == "proactive services?"
    assert places.strip("What does the city of Milan do") == "What does do"


@pytest.mark.parametrize(
    "question, subject",
    [
        ("How did Helsinki offer pre-primary places without an application?",
         "How did cities offer pre-primary places without an application?"),
        ("How does Ghent grant social rights automatically?", "How does a city grant social rights automatically?"),
        ("What does the city of Milan do for certificates?", "What does a city do for certificates?"),
        ("How do Spanish cities run participatory budgets?", "How do cities run participatory budgets?"),
        ("Which app do Rotterdam residents use?", "Which app do residents use?"),
        ("proactive services in Ghent?", "proactive services?"),
    ],
)
def test_the_subject_of_a_question_is_about_any_place(places, question, subject):
    assert places.generalise(question) == subject


def test_who_else_after_a_question_naming_a_city(places):
    q = "How did Helsinki offer pre-primary places without an application?"
    prev = Turn(question=q, resolved_question=q, query=q, subject=places.generalise(q), doc_ids=["services/h.md"],
                cities=["helsinki"], doc_cities=["helsinki"], topics=["Proactive offer"])
    res = resolve("who else does that?", [prev], places)
    assert res.query == "How did cities offer pre-primary places without an application?"
    assert res.exclude_cities == ["helsinki"]


@pytest.mark.parametrize(
    "follow_up, facet, value",
    [
        ("and in Spain?", "country", "spain"),
        ("And in Spain", "country", "spain"),
        ("What about Spain?", "country", "spain"),
        ("how about in Italy?", "country", "italy"),
        ("same for Italian cities?", "country", "italy"),
        ("in the Netherlands?", "country", "netherlands"),
        ("And for Göteborg?", "city", "gothenburg"),
        ("what about Helsingfors then", "city", "helsinki"),
        ("Madrid?", "city", "madrid"),
        ("and in the UK?", "country", "united kingdom"),
    ],
)
def test_place_follow_ups_replace_the_place_filter(history, places, follow_up, facet, value):
    history[-1].filters = {"city": "ghent", "kind": "service"}
    res = resolve(follow_up, history, places)
    assert res.kind == "place"
    assert res.filters == {facet: value, "kind": "service"}  # the old place is gone, other filters stay
    assert res.question.startswith("How do cities grant benefits proactively")
    assert res.question.endswith(f"in {res.place.name}?")


def test_place_follow_ups_chain_on_the_subject_not_on_the_previous_place(history, places):
    first = resolve("and in Spain?", history, places)
    prev = Turn(question="and in Spain?", resolved_question=first.question, query=first.query,
                subject=first.subject, filters=first.filters)
    second = resolve("and in Italy?", history + [prev], places)
    assert second.question == "How do cities grant benefits proactively in Italy?"
    assert second.filters == {"country": "italy"}


@pytest.mark.parametrize(
    "follow_up",
    ["how did they measure it?", "What were the results?", "Did it work?", "how was it evaluated?",
     "Any figures on the impact?", "What outcomes did they achieve?", "How did Ghent measure the results?",
     "what evidence is there?"],
)
def test_measurement_follow_ups_ask_about_the_top_document(history, places, follow_up):
    res = resolve(follow_up, history, places)
    assert res.kind == "measure"
    assert res.focus_doc_ids == ["services/ghent-proactive-services.md"]
    assert res.filters == {"city": "ghent"}
    assert "Proactive services in Ghent" in res.question and "measured" in res.question


@pytest.mark.parametrize(
    "follow_up",
    ["who else does that?", "Which other cities do this?", "anyone else?", "Are other members doing something similar?",
     "Where else?", "Who else?", "other examples?", "Which other cities offer the same?"],
)
def test_who_else_excludes_the_cities_already_cited(history, places, follow_up):
    res = resolve(follow_up, history, places)
    assert res.kind == "others"
    assert res.exclude_cities == ["ghent", "helsinki"]
    assert res.query == "How do cities grant benefits proactively?"
    assert "other than Ghent, Helsinki" in res.question


def test_who_else_in_a_country(history, places):
    res = resolve("Is anyone else doing this in Spain?", history, places)
    assert res.kind == "others" and res.filters == {"country": "spain"} and res.exclude_cities == ["ghent", "helsinki"]


@pytest.mark.parametrize("follow_up", ["how much did it cost?", "Tell me more", "who runs it?", "more details please"])
def test_questions_about_it_are_tied_to_the_previous_topic(history, places, follow_up):
    res = resolve(follow_up, history, places)
    assert res.kind == "about"
    assert res.question.startswith("Proactive services in Ghent:")
    assert res.focus_doc_ids == ["services/ghent-proactive-services.md"]


@pytest.mark.parametrize(
    "question",
    ["How do cities run participatory budgets?", "What is usability testing?",
     "How do Madrid residents report potholes?", "Which accessibility standard applies to city websites?",
     "How do you measure usability with SUS?", "What does Rotterdam do for public space reporting?"],
)
def test_new_questions_are_left_alone(history, places, question):
    res = resolve(question, history, places)
    assert res.kind == "new" and res.query == question


def test_without_history_nothing_is_a_follow_up(places):
    for q in ("and in Spain?", "who else does that?", "how did they measure it?"):
        res = resolve(q, [], places)
        assert res.kind == "new" and res.query == q


def test_explicit_filters_win(history, places):
    res = resolve("and in Spain?", history, places, {"kind": "case"})
    assert res.filters == {"country": "spain", "kind": "case"}


def test_short_title():
    assert short_title("Proactive services: rights granted automatically (once-only)") == "Proactive services"
    assert short_title("Milano Digital Week") == "Milano Digital Week"
    assert short_title("FUE: the business one-stop shop") == "FUE: the business one-stop shop"
    assert short_title("Catalonia: a one-stop shop (FUE)") == "Catalonia: a one-stop shop"


def test_follow_ups_look_past_a_turn_that_cited_nothing(history, places):
    refused = Turn(question="and in Ukraine?", resolved_question="How do cities grant benefits proactively in Ukraine?",
                   query="x", subject=history[-1].subject, filters={"country": "ukraine"}, status="cannot_answer")
    res = resolve("who else does that?", history + [refused], places)
    assert res.kind == "others" and res.exclude_cities == ["ghent", "helsinki"] and res.filters == {}
    res = resolve("how did they measure it?", history + [refused], places)
    assert res.kind == "measure" and res.focus_doc_ids == ["services/ghent-proactive-services.md"]


def test_who_else_twice_goes_further(history, places):
    first = resolve("who else does that?", history, places)
    second_turn = Turn(question="who else does that?", resolved_question=first.question, query=first.query,
                       subject=first.subject, filters=first.filters, doc_ids=["services/x.md"], cities=["tallinn"],
                       doc_cities=["tallinn"], topics=["X"])
    res = resolve("anyone else?", history + [second_turn], places)
    assert res.exclude_cities == ["tallinn", "ghent", "helsinki"]
