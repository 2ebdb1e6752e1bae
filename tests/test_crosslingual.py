"""Questions in the members' own languages (indexer/crosslingual.py, app/answering/languages.py)."""

from __future__ import annotations

import pytest

from app.answering.languages import UNDERSTOOD, language_notes, understood
from indexer import crosslingual as xlm

pytestmark = pytest.mark.skipif(not xlm.available(), reason="the multilingual encoder is not installed")


@pytest.mark.parametrize("text, code", [
    ("¿Qué ciudades permiten informar de problemas en la vía pública con una app?", "es"),
    ("Quale città ha un'app per segnalare ostacoli per le persone con disabilità?", "it"),
    ("Wie kann man Bürgerinnen und Bürger automatisch Leistungen gewähren?", "de"),
    ("Quelle ville a un budget participatif ouvert à tous les habitants ?", "fr"),
    ("Welke stad heeft een app om meldingen in de openbare ruimte te doen?", "nl"),
    ("How many Digipoints does Ghent offer?", "en"),
])
def test_the_language_of_a_question_is_detected_offline(text, code):
    assert xlm.detect(text).code == code


def test_short_or_name_only_questions_count_as_english():
    for text in ("Ghent", "Kyiv Digital", "", "?!"):
        assert xlm.detect(text).english
    assert xlm.detect("Ghent").code == "und"


def test_notes_in_the_askers_language():
    assert language_notes("en", "answered") == [] and language_notes("und", "answered") == []
    es = language_notes("es", "answered")
    assert es[0].startswith("Las fuentes están en inglés") and "English" in es[1]
    fi = language_notes("fi", "cannot_answer")
    assert "englanniksi" in fi[0] and "English" in fi[1]
    assert understood("es") and understood("und") and not understood("fi") and "nl" in UNDERSTOOD


def test_the_multilingual_vectors_are_made_once_per_generation_and_kept(tmp_path):
    xl = xlm.CrossLingual(tmp_path)
    calls = []

    def rows():
        calls.append(1)
        return [(1, "Residents report potholes with the city app."), (2, "Participatory budgeting in Paris.")]

    ids, vecs = xl.vectors(7, rows)
    assert list(ids) == [1, 2] and vecs.shape == (2, 512) and calls == [1]
    assert xl.vectors(7, rows)[0].tolist() == [1, 2] and calls == [1]  # memory
    again = xlm.CrossLingual(tmp_path)
    assert again.vectors(7, rows)[0].tolist() == [1, 2] and calls == [1]  # the file
    q = xl.encode_one("¿Cómo informan los vecinos de los baches?")
    assert int((vecs @ q).argmax()) == 0  # Spanish question, English passage
    again.vectors(8, rows)
    assert [p.name for p in sorted((tmp_path / "crosslingual").glob("gen-*.npz"))] == ["gen-000008.npz"]


@pytest.fixture(scope="module")
def assistant(knowledge_searcher, catalog):
    from app.assistant import Assistant

    return Assistant(knowledge_searcher.settings, searcher=knowledge_searcher, catalog=catalog)


@pytest.mark.parametrize("question, city", [
    ("Quale città ha un'app per segnalare ostacoli per le persone con disabilità?", "gothenburg"),
    ("Welche Stadt zeigt in ihrer App Luftalarm und Schutzräume im Krieg an?", "kyiv"),
    ("Quelle ville offre les transports publics gratuits à ses habitants enregistrés ?", "tallinn"),
])
def test_questions_in_other_languages_get_the_english_source_with_a_note(assistant, question, city):
    r = assistant.ask(question)
    assert r["status"] == "answered" and r["language"] != "en"
    assert city in {c["city"] for c in r["citations"]}
    assert any("English" in n for n in r["notes"])


@pytest.mark.parametrize("question", ["¿Cuál es la población de Tokio?", "Come si cucina la pasta alla carbonara?",
                                      "Welke film moet ik vanavond kijken?"])
def test_unrelated_questions_in_other_languages_are_refused(assistant, question):
    assert assistant.ask(question)["status"] == "cannot_answer"


def test_english_questions_take_the_english_path(knowledge_searcher):
    found = knowledge_searcher.search("How do residents report problems in public space?", k=3)
    assert found.language == "en" and found.encoder != xlm.ENCODER_NAME
    other = knowledge_searcher.search("¿Cómo informan los vecinos de problemas en la vía pública?", k=3)
    assert other.language == "es" and other.encoder == xlm.ENCODER_NAME and other.hits
    assert knowledge_searcher.warm_crosslingual() > 100


@pytest.mark.parametrize("question, intent, holds", [
    ("¿Qué puntuación tiene Madrid?", "scores", "Madrid scores"),
    ("Quali città sono simili a Madrid?", "similar", "Members most like Madrid"),
    ("Wie schneidet Ghent im Dashboard ab?", "scores", "Ghent scores"),
])
def test_routed_questions_in_other_languages(assistant, question, intent, holds):
    r = assistant.ask(question)
    assert (r["intent"], r["status"]) == (intent, "answered") and holds in r["answer"]
    assert r["notes"] and "English" in r["notes"][-1]


def test_a_question_about_a_members_service_in_another_language_stays_a_cited_answer(assistant):
    r = assistant.ask("¿Cómo funciona el presupuesto participativo de Madrid?")
    assert r["intent"] == "answer" and r["status"] == "answered" and r["citations"]
