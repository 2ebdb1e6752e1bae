"""Entities: what a question names — members, sub-indicators of the dashboard, a revision.

- :func:`find_cities` (and :func:`city_mentions`, with where each is in the question): the members
  mentioned, by English name, slug, local name or known misspelling (``cities.yaml``), any case,
  with or without accents ("Göteborg", "Gothenberg", "Bruxelles", "Kiev", "Gent", "Lisboa",
  "milano"). Other misspellings are matched with rapidfuzz on single words of 5+ letters:
  ``fuzz.ratio`` >= 83 against one-word names of 5+ letters, same first letter, and never for the
  English words in :data:`NOT_CITIES` (words that came that close to a member's name in a
  20,000-word English vocabulary: parish, portion, midland ...) nor the routing vocabulary.
  "Tallinn Declaration" and "Paris Agreement" are not cities.
- :func:`find_subindicators` (and :func:`subindicator_spans`): the sub-indicators named, by id
  ("2.3"), their name in the framework (any revision) or a synonym in :data:`SUBINDICATOR_SYNONYMS`.
- :func:`find_revision`: "2022" or "2023" when mentioned.

The router (:mod:`app.answering.router`) reads these; :func:`tokens` are the question's words with
their places, which the router's template (:mod:`app.answering.template`) is built from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from indexer.text import fold

FUZZY_CUTOFF = 83
FUZZY_MIN_LEN = 5

# --- tokens -----------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(text)))


@dataclass
class Token:
    """A word of the question."""

    text: str  # as written
    norm: str  # folded
    start: int  # in the question
    end: int


def tokens(question: str) -> list[Token]:
    """The question's words, folded, with where each stands."""
    return [Token(m.group(0), fold(m.group(0)), m.start(), m.end()) for m in _TOKEN.finditer(question)]


# --- cities -------------------------------------------------------------------

# English words within the fuzzy cutoff of a member's name (checked against the
# all-MiniLM-L6-v2 vocabulary), and given names that look like one.
NOT_CITIES = frozenset(
    "parish parishes portion portico parties midland catalina marcia reveal reveals revival removal tallying maried "
    "".split()
)
# Words that are never a misspelt member name (routing vocabulary and frequent words).
_VOCABULARY = frozenset(
    """about above after again against among around because before being below between could doing during
    examples example further having other others should their there these those through under until where
    which while would score scores scored scoring ranking ranked ranks rating rated perform performs
    performance compare compared similar learn learned learning peers cities members regions region
    services service online digital proactive usability useability accessibility security privacy
    redress complaints feedback interoperability adoption burden satisfaction skills strategy strategies
    ecosystem procurement session workshop presentation benchmark dashboard network people users citizens
    residents public government council municipality mayor officials portal parking permit permits
    families family school schools children older design designers research researchers practice practices
    standard standards guidelines principles principle declaration tallinn toolkit guide guides cases study
    studies stories example better worse highest lowest strongest weakest leading leader leaders overall
    platform platforms project projects chatbot chatbots payment payments identity reports report
    europe european countries country parishes portion portions patrons parties partner partners midlands
    morning meeting meetings media model models""".split()
)
# Names that are not the member: "the Tallinn Declaration" is an EU text.
_NOT_A_CITY_PHRASES = re.compile(
    r"\btallinn\s+(?:ministerial\s+)?declaration\b|\bdeclaration\s+of\s+tallinn\b|\bparis\s+(?:agreement|accord)\b"
)
# Historic or short names of cities.yaml used for exact matches only, never as fuzzy targets (the
# exonyms and short names of app.network.catalog never are: see City.known_names).
_EXACT_ONLY = frozenset({"reval", "gand", "gent", "esbo", "olesa", "oporto"})


@dataclass(frozen=True)
class _CityIndex:
    exact: dict[tuple[str, ...], str]
    longest: int
    fuzzy_targets: dict[str, str]


@lru_cache(maxsize=8)
def _city_index_cached(key: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> _CityIndex:
    exact: dict[tuple[str, ...], str] = {}
    for slug, names, _ in key:
        for name in names:
            words = _words(name)
            if words:
                exact.setdefault(words, slug)
    fuzzy_targets: dict[str, str] = {}
    for _, _, own in key:
        for name in own:
            w = _words(name)
            if len(w) == 1 and len(w[0]) >= FUZZY_MIN_LEN and w[0].isalpha() and w[0] not in _EXACT_ONLY:
                fuzzy_targets.setdefault(w[0], exact[w])
    return _CityIndex(exact, max(len(w) for w in exact), fuzzy_targets)


def _city_index(catalog: Any) -> _CityIndex:
    """Every known name of the members (City.known_names); typos only of cities.yaml's own names."""
    key = tuple((c.slug, tuple(c.known_names), tuple(c.all_names)) for c in catalog.cities)
    return _city_index_cached(key)


@dataclass(frozen=True)
class CityMention:
    slug: str
    first: int  # token indexes [first, last)
    last: int
    text: str  # as written
    fuzzy: bool = False


def _blocked_tokens(question: str, tokens: list[Token]) -> set[int]:
    folded = fold(question)
    if len(folded) != len(question):  # offsets would not line up; fall back to token text
        folded = " ".join(t.norm for t in tokens)
        spans, pos = [], 0
        for t in tokens:
            spans.append((pos, pos + len(t.norm)))
            pos += len(t.norm) + 1
    else:
        spans = [(t.start, t.end) for t in tokens]
    blocked: set[int] = set()
    for m in _NOT_A_CITY_PHRASES.finditer(folded):
        blocked.update(i for i, (s, e) in enumerate(spans) if s < m.end() and e > m.start())
    return blocked


def city_mentions(question: str, tokens: list[Token], catalog: Any) -> list[CityMention]:
    if not getattr(catalog, "has_cities", True):  # a plain folder of documents names no members
        return []
    index = _city_index(catalog)
    blocked = _blocked_tokens(question, tokens)
    norms = [t.norm for t in tokens]
    out: list[CityMention] = []
    i = 0
    while i < len(tokens):
        if i in blocked:
            i += 1
            continue
        found = None
        for n in range(min(index.longest, len(tokens) - i), 0, -1):
            slug = index.exact.get(tuple(norms[i : i + n]))
            if slug:
                found = CityMention(slug, i, i + n, question[tokens[i].start : tokens[i + n - 1].end])
                break
        if found is None:
            found = _fuzzy_city(tokens[i], i, index)
        if found:
            out.append(found)
            i = found.last
        else:
            i += 1
    return out


def _fuzzy_city(token: Token, i: int, index: _CityIndex) -> CityMention | None:
    word = token.norm
    if len(word) < FUZZY_MIN_LEN or not word.isalpha() or word in NOT_CITIES or word in _VOCABULARY:
        return None
    candidates = [t for t in index.fuzzy_targets if t[0] == word[0]]
    if not candidates:
        return None
    best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if best is None:
        return None
    return CityMention(index.fuzzy_targets[best[0]], i, i + 1, token.text, fuzzy=True)


def find_cities(question: str, catalog: Any) -> list[str]:
    """Slugs of the members named in ``question``, in order, each once."""
    out: list[str] = []
    for m in city_mentions(question, tokens(question), catalog):
        if m.slug not in out:
            out.append(m.slug)
    return out


# --- sub-indicators -----------------------------------------------------------

# Patterns on the folded question (hyphens read as spaces). Sub-indicator names from
# the framework are added to these.
SUBINDICATOR_SYNONYMS: dict[str, list[str]] = {
    "1.1": [r"skills?", r"training", r"competenc(?:e|es|ies|y)", r"service designers?", r"ux (?:specialists?|designers?)",
            r"digital literacy"],
    "1.2": [r"strateg(?:y|ies|ic)", r"cdos?", r"chief digital officers?", r"service standards?", r"design guidelines?",
            r"digital strateg(?:y|ies)"],
    "1.3": [r"ecosystems?", r"apis?", r"open apis?", r"procurement", r"procure", r"start ?ups?", r"hackathons?",
            r"building blocks?", r"govtech"],
    "2.1": [r"co ?creat(?:ion|e|ed|ing)", r"co ?design(?:ed|ing|s)?", r"co ?produc(?:tion|e|ed)", r"user research(?:ers?)?",
            r"user involvement", r"involv(?:e|es|ed|ing) (?:the )?(?:users|residents|citizens)", r"participatory design",
            r"web analytics"],
    "2.2": [r"supply of online services", r"online services?", r"digital services? (?:supply|availability|offer)",
            r"services? (?:available )?online", r"proactive(?:ly|ness)?", r"single digital gateway", r"sdg",
            r"city apps?"],
    "2.3": [r"usability", r"useability", r"usable", r"user friendl(?:y|iness)", r"ease of use", r"easy to use",
            r"accessib(?:le|ility)", r"wcag", r"system usability scale", r"look and feel", r"sus"],
    "2.4": [r"security and privacy", r"security", r"privacy", r"e ?ids?", r"electronic id(?:entity|entification)?",
            r"digital identit(?:y|ies)", r"data protection", r"gdpr", r"cyber ?security"],
    "2.5": [r"citizens redress and feedback mechanisms", r"redress", r"complaints?", r"complain(?:s|ing)?",
            r"feedback(?: mechanisms?)?", r"appeals?", r"contest(?:ing)? (?:a )?decisions?"],
    "2.6": [r"interoperab(?:ility|le)", r"once only(?: principle)?", r"open source", r"open standards?"],
    "3.1": [r"adoption", r"usage", r"take ?up", r"uptake"],
    "3.2": [r"reduction of (?:the )?(?:administrative )?burden", r"reduc(?:e|ed|es|ing) (?:the )?(?:administrative )?burdens?",
            r"(?:administrative )?burdens?", r"time sav(?:ed|ings?|ing)", r"sav(?:e|es|ed|ing) (?:\w+ ){0,2}?time", r"red tape",
            r"(?:cost|financial) savings?"],
    "3.3": [r"satisf(?:action|ied|y)", r"net promoter(?: score)?", r"nps"],
    "3.4": [r"environmental impact", r"co2", r"carbon (?:footprint|emissions?)"],
}

_ID = re.compile(r"\b([1-3])\s*\.\s*([1-6])\b")
# Words of the synonyms that say nothing about one sub-indicator in particular.
_GENERIC_WORDS = frozenset("online services service citizens mechanisms digital design designers users residents "
                           "source standards standard principle decisions building blocks create created creating system single impact "
                           "financial administrative officers".split())


def _spell(pattern: str) -> list[str]:
    """The plain texts a synonym pattern matches, one per alternative ("accessib(?:le|ility)" ->
    accessible, accessibility; an optional letter is kept, ``\\w+`` and repeats are dropped)."""
    m = re.search(r"\(\?:([^()]*)\)(\??)", pattern)
    if m is None:
        return [re.sub(r"\\w\+|\{[^}]*\}\??|[?+*]", "", pattern)]
    alternatives = m.group(1).split("|") + ([""] if m.group(2) else [])
    return [text for alt in alternatives for text in _spell(pattern[:m.start()] + alt + pattern[m.end():])]


@lru_cache(maxsize=32)
def subindicator_words(sub_id: str, name: str = "", min_len: int = 6) -> tuple[str, ...]:
    """The English words that stand for one sub-indicator: its ``name``'s and its synonyms'
    (:data:`SUBINDICATOR_SYNONYMS`), of ``min_len`` letters or more, generic ones left out."""
    texts = [name] + [t for p in SUBINDICATOR_SYNONYMS.get(sub_id, []) for t in _spell(p)]
    words = (w for t in texts for w in _words(t) if len(w) >= min_len and w not in _GENERIC_WORDS)
    return tuple(dict.fromkeys(words))


@lru_cache(maxsize=8)
def _subindicator_patterns_cached(names: tuple[tuple[str, str], ...], ids: frozenset[str]) -> tuple[tuple[re.Pattern, str], ...]:
    pats: list[tuple[str, str]] = []
    for sub_id, name in names:
        pats.append((r"\s+".join(map(re.escape, _words(name))), sub_id))
    for sub_id, syns in SUBINDICATOR_SYNONYMS.items():
        if sub_id in ids:
            pats.extend((s, sub_id) for s in syns)
    return tuple((re.compile(rf"\b(?:{p})\b"), sub_id) for p, sub_id in pats)


def _subindicator_patterns(catalog: Any) -> tuple[tuple[re.Pattern, str], ...]:
    names: list[tuple[str, str]] = []
    ids: set[str] = set()
    try:
        for rev in catalog.framework.revisions:
            for s in rev.subindicators:
                ids.add(s.id)
                names.append((s.id, s.name))
                if s.source_spelling:
                    names.append((s.id, s.source_spelling))
    except Exception:  # noqa: BLE001 - a broken framework file must not break routing
        ids = set(SUBINDICATOR_SYNONYMS)
    return _subindicator_patterns_cached(tuple(dict.fromkeys(names)), frozenset(ids))


def subindicator_spans(text: str, catalog: Any) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, id) in ``text`` (folded), longest first, then in order."""
    ids = {p[1] for p in _subindicator_patterns(catalog)}
    found = [(m.start(), m.end(), sub) for pat, sub in _subindicator_patterns(catalog) for m in pat.finditer(text)]
    found += [(m.start(), m.end(), f"{m.group(1)}.{m.group(2)}") for m in _ID.finditer(text)
              if f"{m.group(1)}.{m.group(2)}" in ids]
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    kept: list[tuple[int, int, str]] = []
    for s, e, sub in found:
        if all(e <= ks or s >= ke for ks, ke, _ in kept):
            kept.append((s, e, sub))
    return sorted(kept)


def find_subindicators(question: str, catalog: Any) -> list[str]:
    """Ids of the sub-indicators named in ``question``, in order, each once."""
    text = _fold_plain(question)
    return list(dict.fromkeys(sub for _, _, sub in subindicator_spans(text, catalog)))


def _fold_plain(question: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[-‐‑–—_/]", " ", fold(question)))


_YEAR = re.compile(r"\b(20\d\d)\b")


def find_revision(question: str, catalog: Any = None) -> str | None:
    """The benchmark revision named in ``question`` ("2022", "2023"), if any."""
    known = ("2022", "2023")
    if catalog is not None:
        try:
            known = tuple(catalog.framework.revision_ids)
        except Exception:  # noqa: BLE001
            pass
    for m in _YEAR.finditer(question):
        if m.group(1) in known:
            return m.group(1)
    return None

