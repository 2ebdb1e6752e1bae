"""Intent routing: which capability should answer a natural question.

    route("how does Ghent score on co-creation?", catalog)
    # Route(intent="scores", city="ghent", subindicator="2.1", ...)

Intents
-------
``scores``      one member's benchmark results ("how does Ghent score on co-creation?",
                "Milano usability score 2023", "where does Tallinn rank?"). Needs a city.
``ranking``     the members ordered by score ("which city scores best overall?",
                "show the ranking", "top cities on usability").
``similar``     members like a given one ("which cities are like Espoo?"). Needs a city.
``learn_from``  peers a member could learn from ("who should Porto learn from on usability?").
                The city is the learner; it may be None ("who can we learn from on co-design?").
``examples``    services and cases to show ("examples of proactive services for a café session").
``answer``      everything else: cited answers from the knowledge base.

How it decides
--------------
The question is folded (lower case, accents removed), member names are replaced by a
``CITYX`` placeholder and sub-indicator phrases by ``SUBX`` (:mod:`app.answering.template`);
hand-written cue patterns (:mod:`app.answering.cues`) then look for each intent, in this order:
learn_from, similar, "how is it calculated" vetoes, ranking and scores, examples. A city mention
alone, a sub-indicator alone or a year alone never routes anywhere: when no cue fires, or a veto
does, the intent is ``answer`` (a wrong structured answer costs the user more than a cited general
one).

Entities
--------
``city`` is the first member mentioned (``cities`` has all, in order), ``subindicator`` the first
sub-indicator named, ``revision`` "2022" or "2023" when mentioned (:mod:`app.answering.entities`
finds them; its finders are part of this module's public surface). ``topic`` is the question
without the routing words and member names ("proactive services").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.answering import cues
from app.answering.cues import cue
from app.answering.entities import (
    SUBINDICATOR_SYNONYMS,
    CityMention,
    Token,
    city_mentions,
    find_cities,
    find_revision,
    find_subindicators,
    subindicator_spans,
    tokens,
)
from app.answering.template import CueText, Template, cue_text, template, topic

__all__ = ["INTENTS", "Route", "route", "find_cities", "find_subindicators", "find_revision", "SUBINDICATOR_SYNONYMS"]

INTENTS = ("scores", "ranking", "similar", "learn_from", "examples", "answer")

Hit = tuple[str, re.Match]  # a cue's label and match


@dataclass(frozen=True)
class Route:
    """Where a question goes, with the entities found in it and why."""

    intent: str
    city: str | None = None
    subindicator: str | None = None
    topic: str = ""
    revision: str | None = None
    confidence: float = 0.5
    reason: str = ""
    cities: tuple[str, ...] = ()
    subindicators: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "city": self.city, "subindicator": self.subindicator, "topic": self.topic,
                "revision": self.revision, "confidence": round(self.confidence, 2), "reason": self.reason,
                "cities": list(self.cities), "subindicators": list(self.subindicators)}


@dataclass
class _Reading:
    """A question as the cues read it, with its entities and what they were found as."""

    question: str
    words: list[Token]
    tpl: Template
    cue: CueText
    mentions: list[CityMention]
    cities: tuple[str, ...]
    subindicators: tuple[str, ...]
    revision: str | None

    @property
    def text(self) -> str:
        return self.cue.text

    def done(self, intent: str, confidence: float, why: str, used: list[tuple[int, int]] | None = None) -> Route:
        """The route to ``intent``; ``used``: the spans of the template that are routing words."""
        found = topic(self.question, self.words, self.tpl, used or [])
        entities = self._entities()
        reason = f"{intent}: {why}" + (f"; {'; '.join(entities)}" if entities else "")
        return Route(intent, self.cities[0] if self.cities else None,
                     self.subindicators[0] if self.subindicators else None, found, self.revision, confidence,
                     reason, self.cities, self.subindicators)

    def _entities(self) -> list[str]:
        why: list[str] = []
        if self.mentions:
            why.append("cities " + ", ".join(f"{m.slug} ({'~' if m.fuzzy else ''}{m.text!r})" for m in self.mentions))
        if self.subindicators:
            why.append("sub-indicators " + ", ".join(self.subindicators))
        if self.revision:
            why.append(f"revision {self.revision}")
        return why


def _read(question: str, catalog: Any) -> _Reading:
    words = tokens(question)
    mentions = city_mentions(question, words, catalog)
    tpl = template(question, words, mentions)
    subs = subindicator_spans(tpl.text, catalog)
    return _Reading(question, words, tpl, cue_text(tpl.text, subs), mentions, tuple(dict.fromkeys(m.slug for m in mentions)),
                    tuple(dict.fromkeys(sub for _, _, sub in subs)), find_revision(question, catalog))


def _label(hit: Hit) -> str:
    label, m = hit
    return f"{label!r} cue ({m.group(0)!r})"


def route(question: str, catalog: Any) -> Route:
    """Route ``question`` to one of :data:`INTENTS`, with the entities it names; see the module docstring."""
    q = _read((question or "").strip(), catalog)
    found = _learn_from(q) or _similar(q)
    if found:
        return found
    rank_hit, score_hit = cue(cues.RANKING, q.text), cue(cues.SCORES, q.text)
    found = _method(q, rank_hit, score_hit) or _lookup(q, rank_hit, score_hit)
    if found:
        return found
    hit = cue(cues.EXAMPLES, q.text)
    if hit and not (hit[0] == "which services" and cues.EXAMPLES_VETO.search(q.text)):
        return q.done("examples", 0.8, _label(hit))  # fillers only: cues hold topic words
    if score_hit:
        return q.done("answer", 0.7, f"{score_hit[0]!r} cue but no city named")
    if hit:
        return q.done("answer", 0.7, f"{hit[0]!r} cue about the benchmark itself")
    return q.done("answer", 0.9 if not (q.cities or q.subindicators) else 0.8, "no routing cue")


def _learn_from(q: _Reading) -> Route | None:
    """Peers to learn from; the city (if any) is the learner."""
    has_entity = bool(q.cities or q.subindicators)
    hit = cue(cues.LEARN, q.text) or (cue(cues.LEARN_NEEDS_ENTITY, q.text) if has_entity else None)
    if hit:
        return q.done("learn_from", 0.9 if has_entity else 0.75, _label(hit),
                      q.cue.spans(cues.LEARN + cues.LEARN_NEEDS_ENTITY))
    return None


def _similar(q: _Reading) -> Route | None:
    """Members like one: needs the city to compare with."""
    hit = cue(cues.SIMILAR, q.text)
    if hit and q.cities and cues.SIMILAR_NEEDS_WH.search(q.text):
        return q.done("similar", 0.9, _label(hit), q.cue.spans(cues.SIMILAR))
    return None


def _method(q: _Reading, rank_hit: Hit | None, score_hit: Hit | None) -> Route | None:
    """Explanations of the benchmark ("how is it calculated?") are answers, not lookups."""
    veto = next((p for p in cues.METHOD if p.search(q.text)), None)
    if veto is not None and (rank_hit or score_hit or cues.SCORES_WEAK.search(q.text)):
        return q.done("answer", 0.8, f"explains the method ({veto.search(q.text).group(0)!r}), not a lookup")
    return None


def _lookup(q: _Reading, rank_hit: Hit | None, score_hit: Hit | None) -> Route | None:
    """The dashboard's figures: a ranking of the members, or one member's scores."""
    cities, text = q.cities, q.text
    if rank_hit and (rank_hit[0] in cues.RANKING_NOUNS or cues.RANKING_SUBJECT.search(text)):
        used = q.cue.spans(cues.RANKING + cues.SCORES)
        if not cities:
            return q.done("ranking", 0.9, f"{_label(rank_hit)}, no city", used)
        if len(cities) >= 2 and rank_hit[0] not in {"ranking"} and not score_hit:
            return q.done("ranking", 0.75, f"{_label(rank_hit)} among {len(cities)} cities", used)
        return q.done("scores", 0.85, f"{_label(rank_hit)} about one city", used)
    if score_hit and cities:
        return q.done("scores", 0.9, f"{_label(score_hit)} with a city", q.cue.spans(cues.SCORES))
    if cities and cues.SCORES_WEAK.search(text) and not cues.DOING.search(text) and not cue(cues.EXAMPLES, text):
        return q.done("scores", 0.65, "a city with 'benchmark'/'dashboard' and no doing-verb")
    return None
