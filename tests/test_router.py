"""app.answering.router: intents on a varied case file, and the entities it extracts."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from app.answering.router import INTENTS, Route, find_cities, find_revision, find_subindicators, route

from .conftest import REPO

CASES_FILE = REPO / "tests" / "data" / "router_cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_case_file_is_varied_and_valid(catalog):
    assert len(CASES) >= 80
    assert len({c["question"].casefold() for c in CASES}) == len(CASES), "duplicate question"
    counts = Counter(c["intent"] for c in CASES)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 10, counts
    slugs = {c.slug for c in catalog.cities}
    subs = catalog.framework.all_subindicator_ids()
    for c in CASES:
        assert set(c) == {"question", "intent", "city", "subindicator"}
        assert c["city"] is None or c["city"] in slugs, c
        assert c["subindicator"] is None or c["subindicator"] in subs, c
        if c["intent"] in ("scores", "similar"):
            assert c["city"], f"{c['intent']} needs a city: {c}"


@pytest.mark.parametrize("case", CASES, ids=[c["question"][:60] for c in CASES])
def test_case(case, catalog):
    r = route(case["question"], catalog)
    assert (r.intent, r.city, r.subindicator) == (case["intent"], case["city"], case["subindicator"]), r.reason


def test_accuracy_is_total(catalog):
    wrong = [c["question"] for c in CASES
             if (lambda r: (r.intent, r.city, r.subindicator))(route(c["question"], catalog))
             != (c["intent"], c["city"], c["subindicator"])]
    assert not wrong, f"{len(CASES) - len(wrong)}/{len(CASES)} right; wrong: {wrong}"


# --- cities -----------------------------------------------------------------


@pytest.mark.parametrize("text, slug", [
    ("Milano", "milan"), ("Göteborg", "gothenburg"), ("goteborg", "gothenburg"), ("Gothenberg", "gothenburg"),
    ("Bruxelles", "brussels-capital-region"), ("Brussels-Capital Region", "brussels-capital-region"),
    ("Région de Bruxelles-Capitale", "brussels-capital-region"), ("Kiev", "kyiv"), ("Київ", "kyiv"),
    ("Gent", "ghent"), ("Lisboa", "lisbon"), ("MATARO", "mataro"), ("Mataró", "mataro"), ("Rīga", "riga"),
    ("Esbo", "espoo"), ("Helsingfors", "helsinki"), ("Emilia Romagna", "emilia-romagna"),
    ("Catalunya", "catalonia"), ("Olesa de Montserrat", "olesa-de-montserrat"), ("Oporto", "porto"),
    # misspellings caught by the fuzzy match
    ("Helsinky", "helsinki"), ("Barcelonna", "barcelona"), ("Ljubliana", "ljubljana"), ("Madird", "madrid"),
    ("Rotterdamm", "rotterdam"), ("Gotenburg", "gothenburg"), ("Utrech", "utrecht"), ("Glasow", "glasgow"),
])
def test_city_names(catalog, text, slug):
    assert find_cities(f"how does {text} score?", catalog) == [slug]


def test_every_member_name_resolves(catalog):
    for city in catalog.cities:
        for name in city.all_names:
            if name == "Odesa de Montserrat" or name.casefold() == city.slug:
                continue
            assert find_cities(f"Tell me about {name}, please", catalog) == [city.slug], name


@pytest.mark.parametrize("text", [
    "My parish council wants to go digital", "What does the Tallinn Declaration say?", "the Paris Agreement",
    "how does Vienna score?", "Odesa services", "a portion of the services", "tallying the results",
    "the Roman empire", "Marcia from the midland office", "reveal the answer", "school meals for families",
    "What is co-creation?", "ranking of the members", "",
])
def test_not_cities(catalog, text):
    assert find_cities(text, catalog) == []


def test_several_cities_in_order_and_possessives(catalog):
    assert find_cities("Compare Porto’s and Lisbon's scores with Bruxelles' and Gent", catalog) == [
        "porto", "lisbon", "brussels-capital-region", "ghent"]
    r = route("How does Ghent compare with Espoo on co-creation scores?", catalog)
    assert r.cities == ("ghent", "espoo") and r.city == "ghent"


# --- sub-indicators and revisions ------------------------------------------------


@pytest.mark.parametrize("text, sub", [
    ("co-creation", "2.1"), ("co-design", "2.1"), ("codesign", "2.1"), ("user research", "2.1"),
    ("online services", "2.2"), ("proactive", "2.2"), ("proactively", "2.2"),
    ("usability", "2.3"), ("useability", "2.3"), ("accessibility", "2.3"), ("WCAG", "2.3"),
    ("security", "2.4"), ("privacy", "2.4"), ("eID", "2.4"), ("e-ID", "2.4"),
    ("redress", "2.5"), ("complaints", "2.5"), ("feedback", "2.5"),
    ("interoperability", "2.6"), ("once-only", "2.6"), ("once only", "2.6"),
    ("adoption", "3.1"), ("usage", "3.1"), ("burden", "3.2"), ("time saved", "3.2"), ("reduction of burden", "3.2"),
    ("satisfaction", "3.3"), ("skills", "1.1"), ("strategy", "1.2"), ("CDO", "1.2"),
    ("ecosystem", "1.3"), ("APIs", "1.3"), ("procurement", "1.3"),
    ("environmental impact", "3.4"), ("Citizens redress and feedback mechanisms", "2.5"),
    ("Supply of online services", "2.2"), ("sub-indicator 2.3", "2.3"), ("2.1", "2.1"),
])
def test_subindicator_synonyms(catalog, text, sub):
    assert find_subindicators(f"how does Ghent score on {text}?", catalog) == [sub]


def test_subindicator_false_friends(catalog):
    assert find_subindicators("what makes a service appealing and used?", catalog) == []
    assert find_subindicators("Ghent scored 0.5 in 2023, rank 3.9", catalog) == []
    assert find_subindicators("usability and security", catalog) == ["2.3", "2.4"]
    assert find_subindicators("security and privacy", catalog) == ["2.4"]


def test_revision(catalog):
    assert find_revision("Milan usability 2023", catalog) == "2023"
    assert find_revision("scores in 2022 and 2023", catalog) == "2022"
    assert find_revision("Milan in 2019", catalog) is None
    assert route("How did Kiev do on security in 2022?", catalog).revision == "2022"


# --- the route itself ----------------------------------------------------------


@pytest.mark.parametrize("question, topic", [
    ("examples of proactive services for a café session", "proactive services"),
    ("Give me examples of chatbots in public services", "chatbots in public services"),
    ("any examples from Ghent on user research?", "user research"),
    ("Looking for case studies on digital inclusion for older people", "digital inclusion for older people"),
    ("Can you share examples of accessible city apps?", "accessible city apps"),
    ("Show me some proactive services in Ghent", "proactive services"),
    ("real-world examples of the once only principle", "once only principle"),
    ("I need examples of digital services for a presentation to our council", "digital services"),
])
def test_examples_topic(catalog, question, topic):
    r = route(question, catalog)
    assert r.intent == "examples" and r.topic == topic


def test_route_fields(catalog):
    r = route("Who should Porto learn from on usability in 2023?", catalog)
    assert isinstance(r, Route)
    assert (r.intent, r.city, r.subindicator, r.revision) == ("learn_from", "porto", "2.3", "2023")
    assert 0.6 <= r.confidence <= 1 and "learn from" in r.reason and "porto" in r.reason
    assert r.to_dict()["cities"] == ["porto"]


def test_city_alone_is_not_scores(catalog):
    for q in ("Ghent", "Ghent co-creation", "ghent proactive services", "What does Ghent do?", "Ghent 2023"):
        assert route(q, catalog).intent == "answer", q


def test_scores_needs_a_city(catalog):
    assert route("What is a good score on co-creation?", catalog).intent == "answer"
    assert route("how does Vienna score on usability", catalog).intent == "answer"


def test_fuzzy_city_is_reported_in_the_reason(catalog):
    r = route("Barcelonna score for skills", catalog)
    assert r.city == "barcelona" and "~'Barcelonna'" in r.reason


def test_empty_and_odd_input(catalog):
    for q in ("", "   ", "???", "2.3", "🙂", "a" * 5000):
        r = route(q, catalog)
        assert r.intent == "answer" and r.city is None


@hsettings(max_examples=80, deadline=None)
@given(st.text(max_size=120))
def test_route_never_fails(catalog, question):
    r = route(question, catalog)
    assert r.intent in INTENTS and 0 <= r.confidence <= 1
    assert r.city is None or r.city in r.cities
    assert (r.intent not in ("scores", "similar")) or r.city
