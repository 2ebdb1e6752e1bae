"""Routing a question in another language by its meaning, not by English cue words.

The router (app/answering/router.py) and the network's facts (app/network/facts/) read English
phrasing. "¿Qué puntuación tiene Madrid?", "Welche Mitglieder sind in Finnland?" or "Quelle ville
est la meilleure en co-création ?" name nothing they know but a member or a country, so they would
get a cited answer (or none) instead of the data. Here the multilingual encoder
(indexer/crosslingual.py) compares the question with English exemplars of every routed question
kind, filled with what the question names in any language: its members (the router finds them by
name and local form), countries (:func:`app.network.countries.countries_named`, from the Unicode
CLDR), a year, and each dashboard sub-indicator. The closest exemplar wins when it is close enough
and clearly ahead of the best exemplar of any other kind, "a cited answer" included (questions
about a member's own services), and the question is then answered as that English exemplar is.

Thresholds from tests/data/routes_multilingual.jsonl (62 questions in es/it/de/fr/nl) and, in a
second round, the first two held-out files beside it; the third was written after that and not
tuned on: bench/RESULTS.md, "Routed questions in other languages (2026-12-05)".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.crosslingual import common
from indexer.text import fold

from app.answering.languages import ROUTES_NEEDING_WORDS, route_words

MIN_SIMILARITY = 0.55
MIN_MARGIN = 0.05
# Added to the exemplars of a route whose own verb or adjective the question uses
# (app/answering/languages.py, ROUTE_WORDS: "aprender", "ähnlich", "confronta").
ANCHOR_BONUS = 0.08
# A word of the question is taken for a word of a sub-indicator's name or synonyms ("interoperabilità",
# "co-creación", "accesibilidad") from this rapidfuzz ratio up, for words of seven letters or more:
# the multilingual encoder tells a ranking from a score well, but one sub-indicator from another
# poorly (it put "migliore nell'interoperabilità" nearer Usability than Interoperability).
SUB_MIN_SIMILARITY = 0.7  # for a sub-indicator only the encoder found (no cognate in the question)
COGNATE_MIN = 80
COGNATE_MIN_LEN = 7
COGNATE_PREFIX = 8  # words are compared on their first letters (at most this many, and the shorter word's length)

# Kind -> English exemplars. Each must be routed by the English router or app.network.facts to
# that kind (tests/test_crossroute.py checks it); "answer" exemplars only stop a route.
EXEMPLARS: dict[str, tuple[str, ...]] = {
    "scores": ("How does {city} score on the dashboard?", "What are {city}'s benchmark scores?",
               "What is {city}'s result on the benchmarking dashboard?", "Show {city}'s scores"),
    "scores_sub": ("How does {city} score on {sub}?",),
    "similar": ("Which cities are similar to {city}?", "Which members are like {city}?"),
    "learn_from": ("Who should {city} learn from?", "Who can {city} learn from?",
                   "Which cities should {city} learn from?"),
    "learn_from_sub": ("Who should {city} learn from on {sub}?",),
    "compare": ("Compare {city} and {city2} on the dashboard", "Compare {city} and {city2}"),
    "ranking": ("Which city scores best on the dashboard?", "Show the ranking of the dashboard",
                "Which city has the highest score?"),
    "ranking_sub": ("Which city is best at {sub}?",),
    "weakest_sub": ("Which city is weakest at {sub}?",),
    "members_country": ("Which members are in {country}?",),
    "member_count": ("How many members does the network have?", "How many cities are in the network?"),
    "members_joined": ("Which members joined in {year}?",),
    "member_joined": ("When did {city} join the network?", "Is {city} a founding member of the network?"),
    "founding": ("Which were the founding members of the network?",),
    "dashboard": ("How many questions are on the dashboard?", "What are the pillars of the dashboard?",
                  "How many sub-indicators does the dashboard have?",
                  "What is the structure of the benchmarking dashboard?"),
    "awards": ("Who won the award?", "Who were the finalists of the award?",
               "Which city won the UserCentriCities award?"),
    "awards_year": ("Who won the award in {year}?",),
    "answer": ("How does {city}'s service work?", "What does {city} offer residents?",
               "How does {city} inform residents?", "Which platform does {city} use?"),
    # "Quale città ha un'app per ...?": which member has a service is a cited answer, not a ranking.
    "answer_which": ("Which city has an app for this?", "Which city offers this service online?",
                     "Which region offers this service?", "Where can residents get this service?"),
}
# The route each kind stands for: the margin is taken against other routes, not other wordings.
ROUTE = {"answer_which": "answer", "scores_sub": "scores", "learn_from_sub": "learn_from", "ranking_sub": "ranking", "weakest_sub": "ranking",
         "members_country": "members", "member_count": "members", "member_joined": "members", "members_joined": "members", "founding": "members",
         "awards_year": "awards"}
_NEEDS = {"city": ("scores", "scores_sub", "similar", "learn_from", "learn_from_sub", "member_joined"), "city2": ("compare",),
          "country": ("members_country",), "year": ("members_joined", "awards_year")}
_NO_CITY = ("answer_which", "ranking", "ranking_sub", "weakest_sub", "member_count", "founding", "dashboard", "members_country",
            "members_joined")
# A question naming a country asks about the members there: the list says how many too
# ("Quali città della rete si trovano in Portogallo?" was nearer "How many cities are in the network?").
_NO_COUNTRY = ("member_count",)
_YEAR = re.compile(r"\b(20\d\d)\b")


@dataclass(frozen=True)
class Named:
    """What a question names, in any language: members, countries (English names), a year."""

    cities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    year: str | None = None

    @classmethod
    def read(cls, question: str, cities: Sequence[str], countries: Sequence[str]) -> "Named":
        year = _YEAR.search(question)
        return cls(tuple(cities), tuple(countries), year.group(1) if year else None)


@dataclass(frozen=True)
class Match:
    """The English question a question in another language stands for, and how sure that is."""

    question: str
    kind: str
    similarity: float
    margin: float


@dataclass(frozen=True)
class Candidate:
    kind: str
    text: str  # the exemplar filled
    template: str
    sub: str | None  # the sub-indicator name filled in, if any

    @property
    def route(self) -> str:
        return ROUTE.get(self.kind, self.kind)


def candidates(named: Named, subindicators: Sequence[str]) -> list[Candidate]:
    """The exemplars of every kind whose slots ``named`` can fill; ``subindicators``: the
    dashboard's sub-indicator names."""
    city = named.cities[0] if named.cities else None
    slots = {"city": city, "city2": named.cities[1] if len(named.cities) > 1 else None,
             "country": named.countries[0] if named.countries else None, "year": named.year}
    out: list[Candidate] = []
    for kind, texts in EXEMPLARS.items():
        if any(slots[slot] is None and kind in kinds for slot, kinds in _NEEDS.items()):
            continue
        if city and kind in _NO_CITY or named.countries and kind in _NO_COUNTRY:
            continue
        if kind == "answer" and not city:
            texts = tuple(t.replace("{city}'s", "the").replace("{city}", "the city") for t in texts)
        for text in texts:
            fills = subindicators if "{sub}" in text else [None]
            out.extend(Candidate(kind, text.format(sub=sub, **slots), text, sub) for sub in fills)
    return out


def asks_more(question: str, language: str, named: Callable[[str], bool] = lambda word: False) -> bool:
    """Whether ``question`` uses a word that is not a common word of ``language`` (a name aside:
    capitalised, a word of the network's routes, or one ``named`` knows, as a country's adjective
    "belgischen"): "participativos" in "¿Qué ciudades de Italia tienen presupuestos participativos?";
    "Welche Mitglieder gibt es in Spanien?" uses none."""
    words = re.findall(r"[^\W\d_]{4,}", question)
    return any(not w[0].isupper() and not route_words(fold(w)) and not common(w.lower(), language) and not named(w)
               for w in words)


def cognate(question: str, terms: dict[str, Sequence[str]]) -> str | None:
    """The key of ``terms`` (a sub-indicator name -> its English words) one of whose words the
    question begins nearly the same way (:data:`COGNATE_MIN` on the first :data:`COGNATE_PREFIX`
    letters at most), best first; None when none does."""
    from rapidfuzz import fuzz

    words = [w for w in re.findall(r"[^\W\d_]+", fold(question)) if len(w) >= COGNATE_MIN_LEN]
    best, best_score = None, float(COGNATE_MIN)
    for key, vocabulary in terms.items():
        for term in vocabulary:
            for w in words:
                # The endings differ across languages ("accesibilidad", "accessibility"; "creatie",
                # "creation"): compare the beginnings, as long as the shorter word ("contient" is no "contest").
                n = min(COGNATE_PREFIX, len(w), len(term))
                score = fuzz.ratio(w[:n], term[:n])
                if score >= best_score:
                    best, best_score = key, score
    return best


class CrossRouter:
    """Picks the English exemplar a question stands for. ``vectors`` gives the multilingual
    encoder's vectors (app/answering/vectors.py ``Vectors``: ``question`` and ``sentences`` with
    ``xl=True``), cached there with the answer path's, so the question is encoded once."""

    def __init__(self, vectors: Any):
        self._vectors = vectors

    def match(self, question: str, named: Named, subindicators: dict[str, Sequence[str]],
              only_members: bool | None = None) -> Match | None:
        """The best exemplar for ``question``, or None when none is close enough and clearly ahead.
        ``subindicators``: each sub-indicator's name -> its English words (for :func:`cognate`);
        ``only_members``: True when its words ask for members and nothing more ("Quali città della
        rete si trovano in Portogallo?": its members words count), False when they ask about
        something the members do ("¿Qué ciudades de Italia tienen presupuestos participativos?":
        not the members of a country), None when that cannot be told."""
        anchored = route_words(fold(question))
        if not only_members:
            anchored.discard("members_country")
        unmet = ROUTES_NEEDING_WORDS - anchored
        found = [c for c in candidates(named, list(subindicators)) if c.route not in unmet and c.kind not in unmet
                 and not (only_members is False and c.kind == "members_country")]
        if not found:
            return None
        qvec = self._vectors.question(question, xl=True)
        sims = np.vstack(self._vectors.sentences([c.text for c in found], xl=True)) @ qvec + np.array(
            [ANCHOR_BONUS if c.route in anchored or c.kind in anchored else 0.0 for c in found], dtype=np.float32)
        # A sub-indicator the question does not write out (no cognate) competes only from
        # SUB_MIN_SIMILARITY up, as the winner and as the runner-up (below).
        sub = cognate(question, subindicators)
        kept = [i for i, c in enumerate(found) if c.sub is None or c.sub == sub or sims[i] >= SUB_MIN_SIMILARITY]
        if not kept:
            return None
        found, sims = [found[i] for i in kept], sims[kept]
        best = found[int(np.argmax(sims))]
        similarity = float(np.max(sims))
        margin = similarity - max((float(s) for c, s in zip(found, sims) if c.route != best.route), default=0.0)
        if best.route == "answer" or similarity < MIN_SIMILARITY or margin < MIN_MARGIN:
            return None
        # A sub-indicator the question writes out (a cognate) beats the encoder's pick among them;
        # the encoder's pick alone must be closer ("ostacoli per le persone con disabilità" is near
        # "weakest at Usability", but asks which city has an app).
        pool = [(c, float(s)) for c, s in zip(found, sims) if c.route == best.route and c.sub == sub]
        if sub is not None and pool:
            best = max(pool, key=lambda cs: cs[1])[0]
        return Match(best.text, best.kind, similarity, margin)
