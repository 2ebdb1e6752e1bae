"""The answerability gate: answer, ask for detail, or say honestly that the assistant cannot answer.

A question is answered only when the best retrieved passage is close enough (raw cosine, comparable
across queries: :data:`MIN_SCORE`), the match does not rest on a place name alone ("tapas bars in
Madrid": :data:`PLACE_COVERAGE_MIN`) and no name in the question is unknown to the index ("parking
fines in Tokyo"). Otherwise the question's similarity to a handful of descriptions of the network's
scope (:data:`SCOPE`, :data:`SCOPE_MIN`) tells ``outside_scope`` from ``no_content``. A question
made only of vague words (:data:`VAGUE_WORDS`), or a short one whose best matches are unrelated to
each other, gets clarifying options instead (:mod:`app.answering.followups`).

The thresholds were chosen by ``bench/calibrate_answers.py`` (see the constants below).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from indexer import crosslingual as xlm
from indexer.errors import UccError
from indexer.search import Hit
from indexer.text import fold

from app.answering.answers import AnswerResult, link
from app.answering.conversations import Places, Resolution
from app.answering.sentences import content_words, stem, words

# --- calibrated thresholds (bench/calibrate_answers.py; see its JSON output) -----------------

# Least raw cosine similarity between the question and the best retrieved passage for an answer.
# Chosen by bench/calibrate_answers.py (F0.5 of "answered", median over bootstrap resamples; 90%
# interval 0.265-0.34) on the dev set (60 queries over ../shared/corpora) plus
# tests/data/answerable.jsonl (44 questions, knowledge/) against tests/data/unanswerable.jsonl
# (48 questions) asked of both indexes: precision 1.00, recall 0.99 with the gates below.
MIN_SCORE = 0.33
# Least similarity between the question and the SCOPE descriptions below: a question the assistant
# cannot answer is outside_scope below it, no_content above (same script: the reason is right for
# 90% of the unanswerable set).
SCOPE_MIN = 0.20
# When a question names a place, more than half of its other content words must appear in the best
# three documents about that place (:func:`local`; any three when none is), so that a match on the place name alone ("tapas bars in Madrid") is no answer
# (same script: answerable questions naming a place had 0.6 or more, unanswerable ones 0.5 or less).
PLACE_COVERAGE_MIN = 0.55
# The same two gates for a question in another language, on the multilingual encoder's cosines
# (bench/RESULTS.md: answerable and unanswerable questions in es/it/de/fr/nl).
XL_MIN_SCORE = 0.36
XL_SCOPE_MIN = 0.20
# ... lowered to this for a question that names what the best document is titled after ("Welche
# Plattform nutzt OmaStadi?": 0.29 to "OmaStadi: participatory budgeting in Helsinki"); the same
# floor as the examples in other languages (app/network/examples/finding.py, XL_MIN_SCORE: unrelated
# topics reached 0.245 at most).
XL_NAMED_MIN_SCORE = 0.25
# ... and for a question whose words, carried over to the corpus's ("guerra" -> "war"), match the
# best passage in the English encoder's view from this cosine up: two views agreeing. 62 questions
# in es/it/de/fr/nl/pt the knowledge base does not answer (off-topic, municipal services it does
# not cover, a place alone) reached 0.51 at most (place-only ones, refused by the place check
# below anyway; 0.43 otherwise); of the answerable ones under 0.36, three reached 0.56-0.65.
XL_AGREEMENT_MIN = 0.55
NAMED_MIN_LEN = 3  # letters of a question word that counts as naming a document's title ('GEM')
# For a question in another language that names a place, the multilingual cosine of the question
# without the place names to the best passage (with its title): a match that rests on the place
# alone ("¿Dónde está el mejor restaurante de Madrid?" -> Madrid Mobility 360, 0.36 whole) falls
# to 0.12 or less without it (12 such questions in es/it/de/fr/nl: -0.00-0.12; the two that passed
# the floor above, 0.04 and 0.06), while questions the knowledge base answers keep 0.11-0.46
# (tests/data/answers-multilingual and the routed sets' cited questions).
XL_PLACE_MIN = 0.09
SPREAD_MAX_WORDS = 2  # "spread" applies to questions of at most this many content words
SPREAD_TIE = 0.05  # ... whose three best documents are this close and share no tag

SCOPE = (
    "digital public services for residents of a city",
    "city government, municipal administration and local public services",
    "e-government and online services of a city or region",
    "citizen participation, participatory budgeting and co-design with residents",
    "user research, usability testing and service design for public services",
    "accessibility and digital inclusion of public services",
    "the UserCentriCities network of European cities and regions",
    "benchmarking the user-centricity of digital government",
    "data protection, once-only and interoperability in public administration",
    "public procurement of digital services and skills of civil servants",
    "reporting problems in public space to the city",
    "social benefits, permits, certificates, taxes and registration for residents",
    "public transport, mobility and parking services of a city",
    "complaints, feedback and redress about public services",
)

# Questions made only of these words (and places) are too vague to answer well.
VAGUE_WORDS = frozenset(
    """help service services digital digitalisation digitalization digitisation info information question questions
    hello hi hey city cities region regions municipality municipalities data app apps online website websites idea
    ideas example examples best practice practices innovation innovative smart government egovernment e-government
    public sector project projects anything something stuff things thing tips advice good great interesting useful
    nice cool latest news update updates new tell me about what
    show list overview everything solution solutions technology tech tool tools platform platforms case cases study
    studies initiative initiatives""".split()
)
# Words every document of the domain could use; left out when checking that a question naming a
# place is about something the knowledge base covers there.
DOMAIN_WORDS = frozenset(
    """city cities region regions municipality municipalities resident residents citizen citizens people member
    members country countries local government public council councils town towns""".split()
)
_CAPITAL = re.compile(r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][\w'’-]{2,}|[A-Z]{2,})(?![\w'’-])")
_NOT_NAMES = frozenset(
    """What Which Where When Who Whom Whose Why How Can Could Should Would Does Did Are Is Was Were The And But Our
    Any Some For With Without From About Into Also Then Than There Here Yes Not Please Thanks Hello Dear I I'm EU
    Europe European""".split()
)
CAPITALISED_NOUNS = frozenset({"de", "lb"})  # languages that write every noun with a capital
NO_OTHER_MEMBER = "No other member in the knowledge base does this, as far as it shows."


@dataclass(frozen=True)
class Signals:
    """What the gate weighs for one question: the best passage's cosine (``top``) against ``floor``,
    the similarity to :data:`SCOPE` against ``scope_min``; ``xl``: read by the multilingual encoder."""

    top: float
    scope: float
    floor: float
    scope_min: float
    xl: bool
    english: float = 0.0  # another language: the carried-over words' English cosine to the best passage
    language: str = ""  # the question's language when it is not English


def answerable(result: AnswerResult, question: str, res: Resolution, hits: Sequence[Hit], places: Places,
               signals: Signals, searcher: Any) -> bool:
    """Whether ``hits`` answer the question; when they do not, ``result`` gets its reason, notes,
    nearest matches and evidence (finish it with :func:`cannot_answer`)."""
    place_only = False
    if res.kind in ("new", "place", "others") and places.find(res.query):
        if signals.xl:  # its words are not the passages' words: compare meanings without the place
            rest = _without_places(res.query, hits[0], places, searcher)
            result.evidence["without_places"] = round(rest, 3)
            place_only = rest < XL_PLACE_MIN
        else:
            specific = [w for w in content_words(places.strip(res.query)) if w not in DOMAIN_WORDS]
            place_cov = coverage(specific, local(hits, places, res.query)[:3]) if specific else 1.0
            result.evidence["place_coverage"] = round(place_cov, 3)
            # ... unless the question names what the best document is titled after ("Who manages
            # FixMyStreet in Brussels?"): then the match does not rest on the place.
            place_only = place_cov < PLACE_COVERAGE_MIN and not names_title(res.query, hits[0], places)
    missing: list[str] = []
    named = signals.xl and signals.top >= XL_NAMED_MIN_SCORE and (
        signals.english >= XL_AGREEMENT_MIN or names_title(res.query, hits[0], places, signals.language))
    if signals.top >= signals.floor or named:
        # Capitalised words are names in English only (German capitalises every noun).
        missing = [] if signals.xl else unknown_names(question, hits, places, searcher)
        if not missing and not place_only:
            return True
        if missing:
            result.notes.append(f"Nothing in the knowledge base mentions {', '.join(missing)}.")
        else:
            shown = ", ".join(dict.fromkeys(p.name for p in places.find(res.query)))
            result.notes.append(f"The knowledge base has material on {shown}, but not on this.")
    if signals.scope < signals.scope_min:
        result.reason = "outside_scope"  # no "nearest matches": they would be unrelated
        result.notes.insert(0, "This does not look like a question about public services or the "
                               "UserCentriCities network.")
    else:
        result.reason = "no_content"
        if not missing:  # a name the index never mentions: the nearest matches are about something else
            result.nearest = nearest(hits)
        if res.kind == "others":
            result.notes.append(NO_OTHER_MEMBER)
    result.evidence["unknown_names"] = missing
    return False


def cannot_answer(result: AnswerResult) -> AnswerResult:
    """``result`` as a cannot_answer, with the usual note when nothing else says why."""
    result.status, result.label = "cannot_answer", "none"
    if result.reason == "no_content" and not result.notes:
        result.notes.append("Nothing in the knowledge base is close enough to answer this; the nearest matches are listed.")
    return result


def nearest(hits: Sequence[Hit]) -> list[dict]:
    """The three nearest matches, shown with a cannot_answer."""
    return [
        {"doc_id": h.doc_id, "title": h.title, "city": h.city, "kind": h.kind, "url": link(h),
         "similarity": round(h.dense_score or 0.0, 4), "snippet": h.snippet}
        for h in hits[:3]
    ]


def local(hits: Sequence[Hit], places: Places, query: str) -> list[Hit]:
    """The hits about the places ``query`` names, or that name one of them (all hits when none
    does): "votes for Murcia's mayor" is not covered by a Ljubljana document about its mayor."""
    wanted = {(p.facet, p.value) for p in places.find(query)}

    def names_one(h: Hit) -> bool:
        if h.city and ("city", h.city) in wanted or ("country", (h.country or "").lower()) in wanted:
            return True
        text = " ".join([h.title, *(p.text for p in h.passages)])
        return any((p.facet, p.value) in wanted for p in places.find(text))

    return [h for h in hits if names_one(h)] or list(hits)


def coverage(question_words: list[str], hits: Sequence[Hit]) -> float:
    """Share of ``question_words`` found (by stem) in the hits' titles and passages."""
    if not question_words:
        return 0.0
    text = " ".join(p.text.lower() + " " + h.title.lower() for h in hits for p in h.passages)
    found = {stem(w) for w in words(text)}
    return sum(1 for w in question_words if stem(w) in found) / len(question_words)


def is_vague(question: str, places: Places) -> bool:
    """A question of vague words only ("digital services"), or a place alone."""
    rest = content_words(places.strip(question))
    if not rest:
        return True  # a place alone, or only stop words
    return all(w in VAGUE_WORDS for w in rest)


def spread(question: str, hits: Sequence[Hit], places: Places) -> bool:
    """A short question whose top matches are near-tied and share no tag ("registration")."""
    if len(content_words(places.strip(question))) > SPREAD_MAX_WORDS or len(hits) < 3:
        return False
    top = hits[:3]
    scores = [h.dense_score or 0.0 for h in top]
    if max(scores) - min(scores) > SPREAD_TIE:
        return False
    tags = [{str(t).lower() for t in (h.metadata.get("tags") or [])} for h in top]
    return all(not (tags[i] & tags[j]) for i in range(3) for j in range(i + 1, 3))


def _without_places(question: str, hit: Hit, places: Places, searcher: Any) -> float:
    """The multilingual cosine of ``question`` without its place names to ``hit``'s best passage."""
    passage = hit.closest_passage
    try:
        vecs = searcher.crosslingual_encode([places.strip(question), f"{hit.title}\n{passage.text if passage else ''}"])
    except UccError:
        return XL_PLACE_MIN  # no multilingual encoder: as before, the place check does not apply
    return float(vecs[0] @ vecs[1])


def names_title(question: str, hit: Hit, places: Places, language: str = "") -> bool:
    """Whether the question writes a word of ``hit``'s title (a service's name: "OmaStadi",
    "DansMaRue"), places, the domain's common words and the common words of the question's
    ``language`` left out ("cartão" of "Cartão Porto" in "Como renovar o cartão de cidadão?" is
    the word "card", not the service's name: :func:`indexer.crosslingual.common`)."""
    title = set(words(fold(hit.title)))
    stripped = places.strip(question)
    asked = content_words(stripped)
    # A common word written with a capital inside the sentence is a name ("il progetto Nonni
    # Digitali"), except in German, which capitalises every noun.
    capitalised = {fold(w) for w in _names(stripped)} if language not in CAPITALISED_NOUNS else set()
    return any(len(w) >= NAMED_MIN_LEN and fold(w) in title and fold(w) not in DOMAIN_WORDS
               and fold(w) not in VAGUE_WORDS and (fold(w) in capitalised or not xlm.common(w, language))
               for w in asked)


def unknown_names(question: str, hits: Sequence[Hit], places: Places, searcher: Any) -> list[str]:
    """Capitalised names in the question that neither the places, the hits nor the index mention."""
    names = _names(question)
    if not names:
        return []
    known = {fold(p.name) for p in places.find(question)}
    haystack = fold(" ".join(
        " ".join([h.title, h.city or "", h.country or "", " ".join(map(str, h.metadata.get("tags", []) or []))]
                 + [p.text for p in h.passages]) for h in hits
    ))
    missing = []
    for name in dict.fromkeys(names):
        folded = fold(name)
        base = re.sub(r"(?:ians|ian|ans|ese|ish|ers|er|s)$", "", folded) if len(folded) > 6 else folded
        if folded in known or any(folded in k for k in known) or folded in haystack or base in haystack:
            continue
        try:  # mentioned anywhere in the index?
            if searcher.search(name, k=1, mode="bm25").hits:
                continue
        except UccError:
            pass
        missing.append(name)
    return missing


def _names(question: str) -> list[str]:
    """Capitalised words that are not a sentence's first word nor a common capitalised word."""
    names = []
    for sentence in re.split(r"(?<=[.?!])\s+", question):
        for m in _CAPITAL.finditer(sentence):
            word = m.group(1)
            if m.start() == 0 or word in _NOT_NAMES or word.rstrip("'’s") in _NOT_NAMES:
                continue
            names.append(word)
    return names
