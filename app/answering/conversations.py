"""Conversations: the recent turns of each conversation, and follow-up resolution.

:class:`~app.answering.conversationstore.ConversationStore` (:mod:`app.answering.conversationstore`,
imported here too) keeps the recent turns of every conversation in the state store; a turn holds
the text the user typed, how it was understood, the filters, and what the answer cited.

:func:`resolve` turns a follow-up into a self-contained question, with plain rules:

- "and in Spain?", "what about Göteborg?", "same for Italian cities?" -> the previous subject,
  with the city or country filter replaced;
- "how did they measure it?", "what were the results?", "did it work?" -> the results and
  measurement of the previous answer's main document;
- "who else does that?", "which other cities do this?", "anyone else?" -> the previous subject,
  answered from cities other than those already cited;
- "how much did it cost?", "tell me more" -> the question about the previous answer's main
  document.

Anything else is a new question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from app.answering.conversationstore import ConversationStore, Turn
from app.network.countries import other_names

__all__ = ["ConversationStore", "Place", "Places", "Resolution", "Turn", "resolve",
           "short_title"]


# --- places -------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    facet: str  # "city" or "country"
    value: str  # the filter value: a city slug or a country name (lower case)
    name: str  # how to show it: "Ghent", "Spain"
    start: int
    end: int


class Places:
    """Recognises member cities (any local name or spelling), other indexed cities and countries."""

    def __init__(self, catalog=None, extra_cities: dict[str, str] | None = None, extra_countries: Iterable[str] = ()):
        names: dict[str, tuple[str, str, str]] = {}
        countries: set[str] = set(extra_countries)
        if catalog is not None and catalog.has_cities:  # a folder of documents need not list members
            for c in catalog.cities:
                for n in c.known_names:  # how they match here: see City.known_names
                    names.setdefault(n.casefold(), ("city", c.slug, c.name))
                countries.add(c.country)
        for slug, name in (extra_cities or {}).items():
            for n in {slug, slug.replace("-", " "), name}:
                names.setdefault(n.casefold(), ("city", slug, name))
        for country in countries:
            names.setdefault(country.casefold(), ("country", country.lower(), country))
            for alias in other_names(country):
                names.setdefault(alias.casefold(), ("country", country.lower(), country))
        self.names = names
        alternatives = sorted(names, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w-])", re.IGNORECASE
        ) if alternatives else None
        self.city_names = {v[1]: v[2] for v in names.values() if v[0] == "city"}

    def find(self, text: str) -> list[Place]:
        if self._pattern is None:
            return []
        out = []
        for m in self._pattern.finditer(text):
            facet, value, name = self.names[m.group(1).casefold()]
            out.append(Place(facet, value, name, m.start(), m.end()))
        return out

    def city_name(self, slug: str | None) -> str | None:
        if not slug:
            return None
        return self.city_names.get(slug, slug.replace("-", " ").title())

    def generalise(self, text: str) -> str:
        """``text`` about any place. A place used as the subject of a verb becomes "cities" or "a city"
        ("How did Helsinki offer ..." -> "How did cities offer ..."; "What does the city of Milan do"
        -> "What does a city do"); "Spanish cities" becomes "cities"; other mentions are removed
        with their preposition ("... in Ghent?" -> "...?")."""
        if self._pattern is None:
            return text
        out, last = [], 0
        for m in self._pattern.finditer(text):
            head = text[:m.start()]
            lead = re.search(r"\bthe (?:city|region|municipality) of\s+$", head, re.IGNORECASE)
            before = (head[:lead.start()] if lead else head).rstrip().rsplit(" ", 1)[-1].lower()
            after = re.match(r"\s+([a-z][\w-]*)", text[m.end():])
            start = lead.start() if lead else m.start()
            if after and after.group(1) in _PLACE_NOUNS:
                out.append(text[last:start])  # "Spanish cities" -> "cities"
                last = m.end() + 1
                continue
            if before in _PREPOSITIONS or not after or after.group(1) in _NOUNS_AFTER_PLACE \
                    or text[m.end():m.end() + 2] in ("'s", "’s"):
                continue
            singular = before in ("does", "did", "has", "is", "was", "can", "could", "should", "would", "will") \
                and (lead or before in ("does", "has", "is", "was"))
            out.append(text[last:start] + ("a city" if singular else "cities"))
            last = m.end()
        return self.strip("".join(out) + text[last:])

    def strip(self, text: str) -> str:
        """``text`` without its place names (and the preposition before each)."""
        if self._pattern is None:
            return text
        out = re.sub(
            r"(?:\s*,)?\s*(?:\b(?:in|for|from|at|of|by)\s+)?(?:the\s+)?(?:city of\s+|region of\s+)?"
            + self._pattern.pattern
            + r"(?:\s*(?:'s|’s)\b)?(?:\s+(?:cities|city|region|regions|municipalities|councils))?",
            "",
            text,
            flags=re.IGNORECASE,
        )
        out = re.sub(r"\s+([?.!,])", r"\1", out)
        return re.sub(r"\s{2,}", " ", out).strip(" ,")


_PREPOSITIONS = frozenset("in for from at of by the about than like".split())
_PLACE_NOUNS = frozenset("cities city regions region municipalities councils towns".split())
_NOUNS_AFTER_PLACE = frozenset(
    """residents resident citizens citizen people city cities council region regions municipality officials
    families app apps website websites staff team teams government administration service services
    and or""".split()
)

# --- follow-up resolution -----------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+", re.UNICODE)
_CONNECTORS = frozenset(
    """and but so ok okay then now also too what how about same for in from at of the a an is are was were
    there any anything something someone anyone anybody similar like do does did doing done this that it they
    them those these their its with be been has have had by to on please thanks thank you"""
    .split()
)
_OTHERS = frozenset("else other others another elsewhere besides".split())
_OTHERS_FILLER = frozenset(
    """who which where whom city cities member members region regions municipality municipalities country countries
    peers peer places place examples example offer offers offering use uses using run runs running provide
    provides same similar thing things network one ones one's""".split()
)
_MEASURE = frozenset(
    """measure measured measuring measures measurement measurements result results impact impacts evaluate
    evaluated evaluation evidence figures figure numbers number outcome outcomes kpi kpis metrics metric
    success successful effect effects effective worked data indicators achieve achieved
    track tracked assess assessed""".split()
)
_MEASURE_FILLER = frozenset("how what were was did it the its their they know show shown any".split())
_MORE = frozenset("more tell detail details explain elaborate further go on expand".split())
_PRONOUNS = frozenset("it they them this that these those their its there he she his her".split())
_GENERIC = frozenset("cities city regions region members country countries too also then please".split())
FOLLOW_UP_MAX_WORDS = 12


@dataclass
class Resolution:
    question: str  # as understood, for display
    query: str  # the text to search
    subject: str  # the question without its place
    filters: dict
    kind: str = "new"  # new | place | measure | others | about
    exclude_cities: list[str] = field(default_factory=list)
    focus_doc_ids: list[str] = field(default_factory=list)
    place: Place | None = None
    topic_doc_ids: list[str] = field(default_factory=list)  # "who else?": what the others should resemble


def short_title(title: str) -> str:
    """The head of a title: "Proactive services: rights granted ..." -> "Proactive services".
    A one-word head ("Catalonia: a proactive one-stop shop") keeps the whole title, without a
    trailing parenthesis."""
    title = title.strip()
    head = re.split(r"\s*(?::|—|–| - |\()\s*", title, maxsplit=1)[0].strip()
    if len(head.split()) >= 2:
        return head
    return re.sub(r"\s*\([^)]*\)\s*$", "", title) or title


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in _CONNECTORS]


def _with_place(subject: str, place: Place) -> str:
    base = subject.rstrip(" ?.!")
    return f"{base} in {place.name}?"


# What puts a country's name to the place of what is asked about, in English and the members'
# languages: "in Spain", "ciudades de España", "Städte in Spanien", "città in Italia", "em Portugal".
_BEFORE_COUNTRY = re.compile(r"\b(?:in|from|across|de|del|en|di|nel|nella|da|em|no|na|aus|im|uit|dans|au|aux)\s+"
                             r"(?:the\s+)?$", re.IGNORECASE)


def country_filter(question: str, found: list[Place], filters: dict) -> dict:
    """The country a question keeps to ("How do Spanish cities run participatory budgets?", "...
    members in Italy"), as a filter, when it names no city and has no place filter already: the
    passages rarely say the country, so its name alone would not find them. Only the country's
    cities or what is done in it: "Which Slovenian minister spoke at the Summit?" is about a person."""
    if any(k in filters for k in ("city", "country", "cities", "countries")) or any(p.facet == "city" for p in found):
        return {}
    kept = [p for p in found if p.facet == "country" and (
        re.match(r"\s+(?:cities|city|members?|municipalities|regions?|councils|towns)\b", question[p.end:], re.I)
        or _BEFORE_COUNTRY.search(question[:p.start]))]
    countries = list(dict.fromkeys(p.value for p in kept))
    return {"country": countries[0]} if len(countries) == 1 else {}


def resolve(question: str, history: list[Turn], places: Places, filters: dict | None = None) -> Resolution:
    """The self-contained question behind ``question`` given the conversation so far: the first of
    the follow-up kinds (others, measure, place, about) that fits, else the question itself."""
    filters = dict(filters or {})
    found = places.find(question)
    subject = places.generalise(question) or question
    new = Resolution(question, question, subject, dict(filters, **country_filter(question, found, filters)))
    if not history:
        return new
    words = [w.lower() for w in _WORD.findall(question)]
    if not words or len(words) > FOLLOW_UP_MAX_WORDS:
        return new
    ctx = _FollowUp(question, history, places, filters, found[-1] if found else None)
    for kind in (_others, _measure, _place, _about):
        resolved = kind(ctx)
        if resolved is not None:
            return resolved
    return new


class _FollowUp:
    """What a short follow-up is read against: its words, the previous turn's subject and filters,
    and what the conversation was last about (the latest turn that cited something)."""

    def __init__(self, question: str, history: list[Turn], places: Places, filters: dict, place: Place | None):
        self.question, self.history, self.places, self.filters, self.place = question, history, places, filters, place
        prev = history[-1]
        self.rest = [w.lower() for w in _WORD.findall(places.strip(question))]
        self.content = _content(self.rest)
        self.prev_filters = dict(prev.filters or {})
        self.prev_subject = prev.subject or prev.resolved_question or prev.question
        self.cited = next((t for t in reversed(history) if t.doc_ids), None)
        cited = self.cited
        self.top_doc = cited.doc_ids[0] if cited else None
        self.top_city = cited.doc_cities[0] if cited and cited.doc_cities else None
        topic = cited.topics[0] if cited and cited.topics else None
        self.cited_cities = cited.cities if cited else []
        if topic and self.top_city:
            self.about = f"{topic} in {places.city_name(self.top_city)}"
        else:
            self.about = topic or self.prev_subject.rstrip(" ?.!")

    def place_filters(self, base: dict) -> dict:
        out = {k: v for k, v in base.items() if k not in ("city", "country", "cities", "countries")}
        if self.place is not None:
            out[self.place.facet] = self.place.value
        out.update(self.filters)
        return out

    def kept_filters(self, **extra) -> dict:
        out = dict(self.prev_filters)
        for k, v in extra.items():
            out.setdefault(k, v)
        out.update(self.filters)
        return out


def _others(c: _FollowUp) -> Resolution | None:
    """Others: "who else does that?", "which other cities do this?", "anyone else in Spain?"."""
    if not (set(c.content) & _OTHERS or ({"anyone", "anybody", "someone"} & set(c.rest) and not c.content)):
        return None
    if [w for w in c.content if w not in _OTHERS and w not in _OTHERS_FILLER]:
        return None
    history, prev_subject = c.history, c.prev_subject
    # What the subject was first answered with: the others should resemble it.
    origin = next((t for t in history if (t.subject or t.question) == prev_subject and t.doc_ids), c.cited)
    # Every city already cited on this subject ("who else?" asked twice goes further).
    on_subject = [city for t in history if (t.subject or t.question) == prev_subject for city in t.cities]
    own = [c.prev_filters["city"]] if isinstance(c.prev_filters.get("city"), str) else []
    exclude = list(dict.fromkeys(c.cited_cities + on_subject + own))
    names = ", ".join(c.places.city_name(city) for city in exclude) if exclude else ""
    shown = prev_subject.rstrip(" ?.!")
    if c.place is not None:
        shown = f"{shown} in {c.place.name}"
    shown += f" (other than {names})?" if names else " (other cities)?"
    query = prev_subject if c.place is None else _with_place(prev_subject, c.place)
    return Resolution(shown, query, prev_subject, c.place_filters(c.prev_filters), "others", exclude_cities=exclude,
                      topic_doc_ids=origin.doc_ids if origin else [])


def _measure(c: _FollowUp) -> Resolution | None:
    """Results: "how did they measure it?", "what were the results?", "did it work?"."""
    did_work = re.search(r"\b(?:did|does|has|have)\s+(?:it|this|that|they)\s+work", c.question, re.IGNORECASE)
    if not (set(c.content) & _MEASURE or did_work):
        return None
    residue = [w for w in c.content if w not in _MEASURE and w not in _MEASURE_FILLER and w not in _GENERIC
               and not (did_work and w == "work")]
    if residue or not c.top_doc:
        return None
    shown = f"What were the results of {c.about}, and how were they measured?"
    query = f"{c.about}: results, figures and how they were measured"
    flt = c.kept_filters(**({"city": c.top_city} if c.top_city else {}))
    return Resolution(shown, query, c.prev_subject, flt, "measure", focus_doc_ids=[c.top_doc])


def _place(c: _FollowUp) -> Resolution | None:
    """Another place: "and in Spain?", "what about Göteborg?", "same for Italian cities?"."""
    if c.place is None or [w for w in c.content if w not in _GENERIC]:
        return None
    shown = _with_place(c.prev_subject, c.place)
    return Resolution(shown, shown, c.prev_subject, c.place_filters(c.prev_filters), "place", place=c.place)


def _about(c: _FollowUp) -> Resolution | None:
    """More on the last cited item: "how much did it cost?", "tell me more", "who runs it?"."""
    pronoun = bool(set(c.rest) & _PRONOUNS)
    more = bool(set(c.rest) & _MORE) and len([w for w in c.content if w not in _MORE]) <= 1
    if not (c.top_doc and c.place is None and (more or (pronoun and len(c.content) <= 2))):
        return None
    ask = c.question.strip().rstrip("?.! ")
    shown = f"{c.about}: {ask[0].lower() + ask[1:] if ask else ask}?"
    return Resolution(shown, shown, c.prev_subject, c.kept_filters(), "about", focus_doc_ids=[c.top_doc])
