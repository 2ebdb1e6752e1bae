"""Questions in the members' own languages (indexer/crosslingual.py, app/answering/languages.py)."""

from __future__ import annotations

import numpy as np
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


ROWS = [
    (1, 10, "Reporting app", "Potholes", "Residents report potholes with the city app."),
    (2, 10, "Reporting app", "Follow-up", "The report is answered within five days."),
    (3, 20, "Participatory budget", "", "Participatory budgeting in Paris: residents vote on projects."),
]


def test_the_multilingual_vectors_are_made_once_per_generation_and_kept(tmp_path):
    xl = xlm.CrossLingual(tmp_path)
    calls = []

    def rows():
        calls.append(1)
        return ROWS

    field = xl.field(7, rows, frozenset({"the", "with"}))
    assert field.ids.tolist() == [1, 2, 3] and field.chunks.shape == (3, 512) and calls == [1]
    assert field.doc_of.tolist() == [0, 0, 1] and field.documents.shape == (2, 512)
    assert "potholes" in field.words.tolist() and "the" not in field.words.tolist()
    assert field.word_vectors.shape == (len(field.words), 512)
    assert xl.field(7, rows, frozenset()).ids.tolist() == [1, 2, 3] and calls == [1]  # memory
    again = xlm.CrossLingual(tmp_path)
    kept = again.field(7, rows, frozenset())
    assert calls == [1] and kept.words.tolist() == field.words.tolist()  # the file
    q = xl.encode_one("¿Cómo informan los vecinos de los baches?")
    cos, ranked = field.scores(q)
    assert int(cos.argmax()) == 0 and int(ranked.argmax()) in (0, 1)  # Spanish question, English passages
    assert ranked[0] - cos[0] == pytest.approx(xlm.DOCUMENT_WEIGHT * float(field.documents[0] @ q), abs=1e-5)
    again.field(8, rows, frozenset())
    assert [p.name for p in sorted((tmp_path / "crosslingual").glob("gen-*.npz"))] == ["gen-000008.npz"]


def test_an_older_vectors_file_is_made_again(tmp_path):
    folder = tmp_path / "crosslingual"
    folder.mkdir()
    np.savez(folder / "gen-000003.npz", ids=np.asarray([1]), vectors=np.zeros((1, 512), np.float32),
             encoder=np.asarray(xlm.ENCODER_NAME))  # the first format: chunk vectors only
    calls = []
    field = xlm.CrossLingual(tmp_path).field(3, lambda: calls.append(1) or ROWS, frozenset())
    assert calls == [1] and field.ids.tolist() == [1, 2, 3]


def test_a_questions_words_are_carried_over_to_the_corpus_words(tmp_path):
    xl = xlm.CrossLingual(tmp_path)
    field = xl.field(1, lambda: ROWS, frozenset({"the", "with"}))
    english = xl.english_query(field, "¿Cómo informan los residentes de los baches en Paris?").split()
    assert "paris" in english  # a word of the corpus stays as it is
    assert "residents" in english  # a word of another language becomes the corpus's nearest
    assert len(english) < 8  # words with no close corpus word are left out


def test_a_corpus_word_of_the_questions_language_is_not_kept_as_it_is(tmp_path):
    """The corpus quotes titles in the members' languages ("Cartão Porto", "¿Qué ...?"): a common
    word of the question's language is carried over like any other, a name stays."""
    rows = [(1, 10, "Cartão Porto: a citizen card", "", "Residents use the card for libraries. Que faire?"),
            (2, 20, "Participatory budget", "", "Residents of Porto vote on projects.")]
    xl = xlm.CrossLingual(tmp_path)
    field = xl.field(1, lambda: rows, frozenset())
    english = xl.english_query(field, "Como renovar o cartão de cidadão no Porto?", "pt").split()
    assert "cartão" not in english and "porto" in english
    assert "cartão" in xl.english_query(field, "Como renovar o cartão de cidadão no Porto?").split()  # no language
    assert xlm.foreign("que", "es") and xlm.foreign("stad", "nl") and not xlm.foreign("madrid", "es")
    assert not xlm.foreign("que", "en") and not xlm.english("que") and xlm.english("card")


@pytest.mark.parametrize("text, language", [
    ("Metti a confronto Helsinki ed Espoo", "it"),  # fastText: unsure ("en", 0.20)
    ("Similar to Madrid", None),  # English words
    ("Who else?", None),
    ("Compare Espoo and Helsinki", None),  # names are not words of a language
])
def test_an_unsure_questions_language_from_its_words(text, language):
    assert xlm.by_words(text) == language


def test_a_short_italian_question_is_italian():
    assert xlm.detect("Metti a confronto Helsinki ed Espoo").code == "it"


def test_a_long_document_is_encoded_in_pieces(tmp_path, monkeypatch):
    xl = xlm.CrossLingual(tmp_path)
    monkeypatch.setattr(xlm, "DOCUMENT_PIECE", 60)
    seen = []
    encode = xl.encode
    monkeypatch.setattr(xl, "encode", lambda texts: seen.append(list(texts)) or encode(texts))
    vectors = xl._documents([["Title", "a" * 50, "b" * 50], ["Short one"]])
    assert seen[0] == ["Title\n" + "a" * 50, "b" * 50, "Short one"]
    assert vectors.shape == (2, 512) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


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


@pytest.mark.parametrize("question, asks", [
    ("Welke stad heeft een app om meldingen in de openbare ruimte te doen?", True),
    ("¿Qué ciudades permiten informar de problemas en la vía pública con una app?", True),
    ("Quale città ha un'app per segnalare ostacoli?", True),
    ("In welcher Stadt gibt es einen Bürgerhaushalt?", True),
    ("Quelle ville a un budget participatif ?", True),
    ("Which cities share the Helmet library?", True),
    ("How do cities report problems?", False),
    ("What is the app of Rotterdam?", False),
    ("¿Cómo funciona el presupuesto participativo de Madrid?", False),
])
def test_which_city_questions_are_recognised_in_several_languages(question, asks):
    from app.answering.languages import asks_which_city

    assert asks_which_city(question) is asks


def test_a_question_in_another_language_that_names_a_service_is_answered(assistant):
    """"OmaStadi" is the title of the document that answers: the multilingual cosine (0.29) alone
    would refuse it."""
    r = assistant.ask("Welche Plattform nutzt OmaStadi?")
    assert r["status"] == "answered" and r["citations"][0]["title"].startswith("OmaStadi")


@pytest.mark.parametrize("question", ["¿Dónde está el mejor restaurante de Madrid?", "Wie ist das Wetter in Helsinki?",
                                      "Hoeveel musea zijn er in Rotterdam?"])
def test_a_match_on_a_place_name_alone_is_no_answer_in_other_languages(assistant, question):
    r = assistant.ask(question)
    assert r["status"] == "cannot_answer" and not r.get("nearest")
