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
``CITYX`` placeholder and sub-indicator phrases by ``SUBX``; hand-written cue patterns
then look for each intent, in this order: learn_from, similar, "how is it calculated"
vetoes, ranking and scores, examples. A city mention alone, a sub-indicator alone or a
year alone never routes anywhere: when no cue fires, or a veto does, the intent is
``answer`` (a wrong structured answer costs the user more than a cited general one).

Entities
--------
- ``city``: the first member mentioned (``cities`` has all, in order), by English
  name, slug, local name or known misspelling (``cities.yaml``), any case, with or
  without accents ("Göteborg", "Gothenberg", "Bruxelles", "Kiev", "Gent", "Lisboa",
  "milano"). Other misspellings are matched with rapidfuzz on single words of 5+
  letters: ``fuzz.ratio`` >= 83 against one-word names of 5+ letters, same first
  letter, and never for the English words in :data:`NOT_CITIES` (words that came that
  close to a member's name in a 20,000-word English vocabulary: parish, portion,
  midland ...). "Tallinn Declaration" and "Paris Agreement" are not cities.
- ``subindicator``: the first sub-indicator named, by id ("2.3"), its name in the
  framework (any revision) or a synonym in :data:`SUBINDICATOR_SYNONYMS`.
- ``revision``: "2022" or "2023" when mentioned. ``topic``: the question without
  the routing words and member names ("proactive services").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from indexer.text import fold

__all__ = ["INTENTS", "Route", "route", "find_cities", "find_subindicators", "find_revision", "SUBINDICATOR_SYNONYMS"]

INTENTS = ("scores", "ranking", "similar", "learn_from", "examples", "answer")

FUZZY_CUTOFF = 83
FUZZY_MIN_LEN = 5
ANSWER_BELOW = 0.6  # a cue weaker than this routes to "answer"


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


# --- folding and tokens -------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(text)))


@dataclass
class _Token:
    text: str  # as written
    norm: str  # folded
    start: int  # in the question
    end: int


def _tokens(question: str) -> list[_Token]:
    return [_Token(m.group(0), fold(m.group(0)), m.start(), m.end()) for m in _TOKEN.finditer(question)]


# --- cities -------------------------------------------------------------------

# English words within the fuzzy cutoff of a member's name (checked against the
# all-MiniLM-L6-v2 vocabulary), and given names that look like one.
NOT_CITIES = frozenset(
    "parish parishes portion portico parties midland catalina marcia reveal reveals revival removal tallying maried "
    "".split()
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


def _blocked_tokens(question: str, tokens: list[_Token]) -> set[int]:
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


def _city_mentions(question: str, tokens: list[_Token], catalog: Any) -> list[CityMention]:
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


def _fuzzy_city(token: _Token, i: int, index: _CityIndex) -> CityMention | None:
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
    for m in _city_mentions(question, _tokens(question), catalog):
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


def _subindicator_spans(text: str, catalog: Any) -> list[tuple[int, int, str]]:
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
    return list(dict.fromkeys(sub for _, _, sub in _subindicator_spans(text, catalog)))


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


# --- the template the cues read ------------------------------------------------


@dataclass
class _Template:
    text: str  # folded, CITYX / SUBX placeholders, punctuation spaced out
    token_spans: list[tuple[int, int]] = field(default_factory=list)  # per question token, its span in text


def _template(question: str, tokens: list[_Token], mentions: list[CityMention]) -> _Template:
    by_first = {m.first: m for m in mentions}
    parts: list[str] = []
    spans: list[tuple[int, int]] = [(0, 0)] * len(tokens)
    pos = 0

    def emit(s: str) -> None:
        nonlocal pos
        if s.startswith(" ") and parts and parts[-1].endswith(" "):
            s = s[1:]
        parts.append(s)
        pos += len(s)

    i = 0
    prev_end = 0
    while i < len(tokens):
        sep = question[prev_end : tokens[i].start]
        prev_digit = i > 0 and tokens[i - 1].norm.isdigit()
        if sep.strip() == "." and prev_digit and tokens[i].norm.isdigit() and not sep.startswith(" "):
            emit(".")  # 2.3
        elif sep.strip() in {"'", "’"} and not sep.startswith(" "):
            emit("'")  # don't
        else:
            punct = "".join(ch for ch in sep if ch in "?!.,;:%")
            emit(f" {' '.join(punct)} " if punct else " ")
            if "&" in sep:
                emit(" and ")
        m = by_first.get(i)
        if m:
            start = pos
            emit("CITYX")
            last = m.last
            after = question[tokens[last - 1].end :]
            # possessive: Ghent's, Porto’s, Bruxelles'
            if last < len(tokens) and tokens[last].norm == "s" and re.match(r"^['’]s\b", after):
                emit("'s")
                last += 1
            elif re.match(r"^['’](?:\s|$)", after) and tokens[last - 1].norm.endswith("s"):
                emit("'s")
            for k in range(m.first, last):
                spans[k] = (start, pos)
            prev_end = tokens[last - 1].end
            i = last
            continue
        start = pos
        emit(tokens[i].norm)
        spans[i] = (start, pos)
        prev_end = tokens[i].end
        i += 1
    punct = "".join(ch for ch in question[prev_end:] if ch in "?!.,;:%")
    emit(f" {' '.join(punct)} " if punct else " ")
    return _Template("".join(parts), spans)


# --- cues ---------------------------------------------------------------------

C = "CITYX"
_NOT_POSS = r"(?!'s)"
_GROUP = r"(?:cities|city|members?|regions?|peers?|ones?|municipalit(?:y|ies)|partners?|places?|administrations?)"
_WHO = rf"(?:\bwho\b|\bwhom\b|\b(?:which|what)\s+(?:\w+\s+){{0,2}}?{_GROUP}\b)"

_LEARN = [
    # who should Porto learn from (on usability)?  which cities could we learn from?
    (re.compile(rf"{_WHO}[^?.!]{{0,70}}?\blearn(?:s|ed|ing)?\b[^?.!]{{0,25}}?\bfrom\b(?!\s+{C})"), "who … learn from"),
    # peers / cities / someone to learn from
    (re.compile(rf"\b(?:peers?|cities|members|regions|someone|partners?|role models?|places)\b[^?.!]{{0,30}}?"
                rf"\blearn(?:s|ed|ing)?\s+from\b(?!\s+{C})"), "… to learn from"),
    # learn from others / the best / peers
    (re.compile(r"\blearn(?:s|ed|ing)?\s+from\s+(?:others|other\s+(?:cities|members|regions)|peers|the\s+best|"
                r"the\s+(?:leaders|top\s+performers|best\s+performers))\b"), "learn from others"),
    # role models / mentors / good peers for Porto
    (re.compile(rf"\b(?:role\s+models?|mentors?|peers?\s+to\s+follow|best\s+peers?|good\s+peers?|peer\s+cities)\s+"
                rf"(?:for|to)\s+{C}"), "role model for a city"),
]
_LEARN_NEEDS_ENTITY = [
    # who can help Milan (improve co-creation)?  which city could mentor Kyiv on eID?
    (re.compile(rf"{_WHO}[^?.!]{{0,40}}?\b(?:help|mentor|coach|advise|support|inspire|twin\s+with|pair\s+with|"
                rf"partner\s+with)\s+(?:{C}|us|me|our\s+(?:city|region|team|administration))\b"), "who … could help"),
    # who should we talk to / ask / visit
    (re.compile(rf"{_WHO}\s+(?:should|could|can|might|would|do|does)\s+{C}\s+(?:\w+\s+){{0,2}}?"
                rf"(?:ask|talk\s+to|speak\s+to|contact|call|visit|turn\s+to|look\s+to|reach\s+out\s+to|copy|follow)\b"),
     "who should … ask"),
]

_SIMILAR = [
    (re.compile(rf"\b(?:similar|comparable|closest|close|alike|analogous|equivalent|most\s+like)\s+(?:to\s+|with\s+)?"
                rf"{C}{_NOT_POSS}"), "similar to a city"),
    (re.compile(rf"(?<!would )(?<!'d )\b(?:like|resembl(?:e|es|ing))\s+{C}{_NOT_POSS}"
                rf"(?=\s*(?:[?!.,;]|$|\b(?:in|on|by|for|regarding|with|when|and|at|size|overall)\b))"), "like a city"),
    (re.compile(rf"\bsimilar\s+(?:\w+\s+){{1,2}}(?:to|as|with)\s+{C}{_NOT_POSS}"), "similar profile to a city"),
    (re.compile(rf"\b{C}'s\s+(?:closest\s+|nearest\s+|most\s+similar\s+)?(?:peers?|twins?|counterparts?|look\s?alikes?|"
                rf"equivalents|peer\s+group)\b"), "a city's peers"),
    (re.compile(rf"\b(?:peers|twins|counterparts|look\s?alikes|peer\s+group)\s+(?:of|for|to)\s+{C}{_NOT_POSS}"), "peers of a city"),
    (re.compile(rf"\b(?:similar|comparable)\s+(?:cities|members|regions|municipalities|places)\b[^?.!]{{0,20}}?\b(?:to|as|with)\s+"
                rf"{C}{_NOT_POSS}"), "similar cities to a city"),
    (re.compile(rf"\b{C}{_NOT_POSS}\b[^?.!]{{0,30}}?\b(?:to|with|against|among)\s+(?:other\s+|the\s+)?(?:most\s+)?"
                r"(?:similar|comparable)\s+(?:cities|members|regions|municipalities|places|peers)\b"), "a city against similar cities"),
]
_SIMILAR_NEEDS_WH = re.compile(
    rf"\b(?:which|what|who|whom|find|list|show|name|give|suggest|any|are there|cities|members|regions|others?|peers)\b")

# "How is it calculated?": explanations of the benchmark go to answer.
_METHOD = [
    re.compile(r"\bhow\s+(?:is|are|was|were|do|does|did)\b[^?]{0,60}?\b(?:calculated|computed|weighted|determined|decided|"
               r"defined|aggregated|averaged|normali[sz]ed)\b"),
    re.compile(r"\bhow\s+(?:do|does|did)\s+(?:the\s+)?(?:ranking|rankings|scoring|scores?|benchmark|dashboard|index)\s+work"),
    re.compile(r"\bmethodolog(?:y|ies|ical)\b|\bformula\b|\bbased\s+on\s+what\b|\bwhat\s+(?:is|are)\s+(?:the\s+)?"
               r"(?:ranking|scores?)\s+based\s+on\b"),
    re.compile(r"^\s*why\b"),
    # how did Ghent improve its usability score? (the how, not the score)
    re.compile(rf"\bhow\s+(?:did|does|do|can|could|should|has|have)\s+(?:{C}|we|i|they|a\s+city)\s+(?:\w+\s+){{0,2}}?"
               r"(?:improve|improved|raise|raised|increase|increased|boost|boosted|achieve|achieved|reach|reached|get\s+to)\b"),
    re.compile(r"\bhow\s+(?:are|were|is)\s+(?:the\s+)?(?:cities|members|regions|scores?)\s+(?:ranked|scored|rated|compared)\b"),
]

_RANK_SUPERLATIVE = r"(?:best|highest|lowest|worst|strongest|weakest|top|first|last|leading)"
_RANKING = [
    (re.compile(r"\b(?:ranking|rankings|league\s+table|leaderboard|leader\s+board|standings|ranked\s+list)\b"), "ranking"),
    (re.compile(r"\btop\s+(?:\d+\s+|ten\s+|five\s+|three\s+|performing\s+|scoring\s+|rated\s+)*"
                rf"(?:{_GROUP}|performers|scorers)\b"), "top cities"),
    (re.compile(r"\btop\s+(?:\d+|ten|five|three)\s+(?:on|in|for|at)\s+(?:the\s+)?(?:SUBX|benchmark|dashboard|ranking|20\d\d)\b"),
     "top n on"),
    (re.compile(r"\btop\s+(?:\d+|ten|five|three)\b"), "top n"),
    (re.compile(rf"\b{_RANK_SUPERLATIVE}\s+(?:performing\s+|scoring\s+|ranked\s+|rated\s+)?"
                rf"(?:{_GROUP}|performers?|scorers?)\b"), "best cities"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,40}}?\b(?:scores?|scored|scoring|ranks?|ranked|performs?|performed|"
                rf"performing|does|did|do|is|are|was|were|comes?|came)\s+(?:the\s+)?(?:{_RANK_SUPERLATIVE}|most\s+highly|"
                rf"highest|better)\b"), "who scores best"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,40}}?\b(?:{_RANK_SUPERLATIVE}|most)\s+(?:at|on|in|for)\s+SUBX"), "best at"),
    (re.compile(rf"\b(?:{_GROUP})\b[^?.!]{{0,20}}?\b(?:is|are|was|were)\s+(?:the\s+)?(?:most|least)\s+SUBX"
                r"(?!\s+(?:services?|apps?|portals?|projects?|practices?|examples?|tools?|platforms?|initiatives?|cases?))"),
     "the most proactive"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,40}}?\b(?:has|have|had|with|gets?|got)\s+(?:the\s+)?"
                rf"(?:{_RANK_SUPERLATIVE}|most)\s+(?:scores?\s+(?:on|in|for)\s+)?SUBX"
                r"(?!\s+(?:services?|apps?|portals?|projects?|practices?|examples?|tools?|platforms?|initiatives?|cases?))"),
     "highest on"),
    (re.compile(rf"\b(?:{_GROUP}|who)\b[^?.!]{{0,30}}?\bleads?\b\s*(?:the\s+way\s+)?(?:on|in|at|for)\b"), "who leads"),
    (re.compile(rf"\b(?:order|sort|rank|list)(?:ed)?\s+(?:all\s+)?(?:the\s+)?(?:{_GROUP})\s+by\b|\bcompare\s+all\s+(?:the\s+)?"
                rf"(?:{_GROUP})\b|\b(?:{_GROUP})\s+(?:ordered|sorted|ranked)\s+by\b"), "order by score"),
    (re.compile(r"\bwho\s+(?:is|was|are)\s+(?:the\s+)?(?:best|top|leader|leaders|number\s+one|winner)\b"), "who is best"),
    (re.compile(rf"\bmost\s+(?:user\s+centric|user\s+centred|user\s+centered|digital|digitally\s+advanced|advanced|mature)\s+"
                rf"(?:{_GROUP})\b"), "most user-centric city"),
    (re.compile(rf"\bhow\s+(?:do|did)\s+(?:the\s+|all\s+(?:the\s+)?)?(?:{_GROUP}|SUBX)\s+(?:rank|compare|score|perform|fare|stack\s+up)\b"
                r"(?=\s*(?:[?!.,;]|$|\b(?:on|in|at|for|overall|against|across|when|with|regarding)\b))"),
     "how do the cities rank"),
    (re.compile(rf"\b(?:has|have|had|gets?|got)\s+(?:the\s+)?(?:best|highest|lowest|worst|top|strongest|weakest)\s+"
                r"(?:overall\s+)?(?:scores?|results?|ratings?|percentages?|marks)\b"), "has the best scores"),
]
# Cues that name a ranking outright; the others need a subject among the members.
_RANKING_NOUNS = frozenset({"ranking", "top cities", "top n on", "best cities", "order by score"})
# Cues that a ranking question is about the members: without one of these, "best" is advice.
_RANKING_SUBJECT = re.compile(rf"{_WHO}|\bwho\b|\b{_GROUP}\b|\bCITYX\b|\brank")

_SCORES = [
    (re.compile(r"\bscor(?:e|es|ed|ing)\b|\bscorecards?\b"), "score"),
    (re.compile(r"\brat(?:ed|ing|ings)\b"), "rating"),
    (re.compile(r"\bperformance\b|\bperform(?:s|ed|ing)?\b(?=\s*(?:[?!.,;]|$|\b(?:on|in|at|for|regarding|overall|well|"
                r"badly|poorly|better|worse|compared|against|across|when\s+it\s+comes)\b))"), "performance"),
    (re.compile(rf"\bhow\s+(?:well|good|strong|weak|mature|advanced|far\s+along)\s+(?:is|are|was|does|did|do|has)\s+{C}{_NOT_POSS}"),
     "how good is"),
    (re.compile(rf"\bhow\s+(?:is|was|does|did|has|do)\s+{C}{_NOT_POSS}\s+(?:do|doing|done|fare|fares|faring|fared|"
                r"stack\s+up|stacks\s+up|compare|measure\s+up|rank|ranked|look|looking)"
                r"(?=\s*(?:[?!.,;]|$|\b(?:on|in|at|for|against|with|regarding|overall|across|compared|to|when)\b))"),
     "how is a city doing"),
    (re.compile(rf"\bwhere\s+(?:does|did|do|is|was)\s+{C}{_NOT_POSS}\s+(?:stand|rank|sit|place|come|fall|land|stand\s+out)\b"),
     "where does a city stand"),
    (re.compile(rf"\b{C}(?:'s)?\s+(?:20\d\d\s+)?(?:rank|ranking|position|place|standing|percentage|percent|benchmark|dashboard|"
                r"self\s+assessment|results?|numbers|figures|stats|statistics|marks|grades?|strengths?|weakness(?:es)?|weakest|strongest|weak\s+spots?|strong\s+points?|"
                r"weak\s+points?|best\s+and\s+worst)\b"), "a city's results"),
    (re.compile(r"\b(?:benchmark|dashboard|self\s+assessment|assessment)\s+(?:results?|scores?|figures|numbers|data|"
                r"performance|position|profile)\b"), "benchmark results"),
    (re.compile(r"\bresults?\s+(?:on|in|for)\s+(?:the\s+)?(?:SUBX|benchmark|dashboard|20\d\d)\b"), "results on"),
    (re.compile(r"%|\bpercent(?:age)?\b"), "percentage"),
    (re.compile(rf"\bhow\s+(?:is|are|was|were|does|do|did)\s+(?:they|it|{C})\s+(?:doing|faring|performing|scoring|ranked|rated)\b"),
     "how are they doing"),
    (re.compile(r"\bSUBX\s+(?:results?|scores?|ratings?|performance|rank(?:ing)?)\b"), "sub-indicator results"),
    (re.compile(rf"\bwhat\s+(?:rank|ranking|position|place|score|percentage|result)\s+(?:did|does|do|is|was|has)\s+{C}"),
     "what rank did a city get"),
    (re.compile(rf"\bwhat\s+(?:did|does|do|has)\s+{C}{_NOT_POSS}\s+(?:get|got|achieve|achieved|obtain|receive|reach|score)\b"),
     "what did a city get"),
    (re.compile(r"\b(?:above|below)\s+(?:the\s+)?(?:network\s+)?average\b|\b(?:better|worse)\s+than\s+(?:the\s+)?average\b"),
     "above average"),
    (re.compile(r"\b(?:strengths?|weakness(?:es)?|weakest|strongest)\b"), "strengths"),
    (re.compile(rf"\bis\s+{C}{_NOT_POSS}\s+(?:good|strong|weak|bad|mature|advanced|among\s+the\s+(?:best|top|leaders))\b"),
     "is a city good at"),
]
# A city with only "benchmark" or "dashboard" and no doing-verb: weakly scores.
_SCORES_WEAK = re.compile(r"\b(?:benchmark|dashboard)\b")
_DOING = re.compile(r"\b(?:use|uses|used|using|fill|filled|filling|improve|improved|improving|implement\w*|introduc\w*|"
                    r"launch\w*|design\w*|build|built|make|made|set\s+up|start\w*|prepare\w*|join\w*|contribut\w*|"
                    r"present\w*|respond\w*|react\w*|decid\w*)\b")

_EXAMPLES = [
    (re.compile(r"(?<!for )(?<!for an )\bexamples?\b(?!\s+(?:question|sentence)s?\b)"), "examples"),
    (re.compile(r"\b(?:show|give|find|list|share|suggest|recommend|need|want|looking\s+for|look\s+for|search\s+for|"
                r"point\s+me\s+to|send|collect|gather)\s+(?:me\s+|us\s+)?(?:some\s+|a\s+few\s+|good\s+|concrete\s+|more\s+|"
                r"relevant\s+|any\s+|the\s+|nice\s+|best\s+|several\s+|CITYX(?:'s)?\s+|\w+\s+){0,2}(?:examples?|services|cases|case\s+stud(?:y|ies)|"
                r"practices?|good\s+practices?|best\s+practices?|stories|success\s+stories|inspiration|projects|initiatives|"
                r"apps|solutions)\b"), "show me services"),
    (re.compile(r"\b(?:good|inspiring|concrete|real|real\s+world|successful|interesting|notable|innovative)\s+"
                r"(?:practices?|examples?|cases?|case\s+stud(?:y|ies)|stories|services)\b"), "good practices"),
    (re.compile(r"\bcase\s+stud(?:y|ies)\b|\bsuccess\s+stor(?:y|ies)\b|\bshowcases?\b|\binspiration\b"), "case studies"),
    (re.compile(r"\b(?:what|which|any)\s+(?:\w+\s+){0,2}?(?:services|apps|projects|initiatives|tools|solutions)\b"),
     "which services"),
    (re.compile(r"\bservices?\s+(?:like|such\s+as)\b"), "services like"),
]
_EXAMPLES_VETO = re.compile(r"\b(?:benchmark|dashboard|indicators?|sub\s?indicators?|questions?|framework|count(?:s|ed)?)\b")

# Words removed from the topic, besides cue phrases and member names.
_TOPIC_FILLER = [
    re.compile(r"\b(?:can|could|would|will)\s+you\b|\bplease\b|\b(?:show|give|find|list|share|send|tell)\s+(?:me|us)\b"),
    re.compile(r"\b(?:i|we)\s+(?:need|want|would\s+like|'d\s+like|am\s+looking\s+for|are\s+looking\s+for)\b|\blooking\s+for\b"),
    re.compile(r"^\s*(?:(?:can|could|would|will)\s+you\s+|please\s+)?(?:show|give|find|list|share|suggest|recommend|collect|"
               r"gather)\b"),
    re.compile(r"\b(?:case\s+stud(?:y|ies)|success\s+stor(?:y|ies)|good\s+practices?|best\s+practices?|examples?|cases?|"
               r"inspiring|inspiration|showcases?)\s*(?:of|for|from|on|about|in|with|where|that|showing)?\b"),
    re.compile(r"\bfor\s+(?:a|an|our|the|my|this|next)\s+(?:\w+\s+){0,2}?(?:caf[eé]\s+session|caf[eé]|workshop|presentation|"
               r"talk|meeting|slides?|deck|webinar|session|training|council|newsletter|conference|seminar)\b"),
    re.compile(r"\b(?:what|which)\s+(?:are|is)\s+(?:some|the)?\b|\bare\s+there\b|\bis\s+there\b|\bdo\s+you\s+have\b"),
    re.compile(r"\bhow\s+(?:does|did|do|is|was|has|have|well|good)\b|\bwhat\s+(?:is|are|was|were)\b"),
    re.compile(r"\b(?:some|a\s+few|any|more|good|concrete|relevant|nice|several|real\s+world|inspiring|interesting|"
               r"successful)\b(?=\s+\w)"),
    re.compile(r"\b(?:in|from|of|for|at|by|to|like|with|about|on)\s+(?:the\s+)?CITYX(?:'s)?|CITYX(?:'s)?"),
    re.compile(r"\bin\s+(?:the\s+)?(?:network|usercentricities(?:\s+network)?)\b"),
    re.compile(r"\b(?:to|with|for)\s+(?:our|my|the)\s+(?:council|board|team|colleagues|management|mayor|staff|city\s+council)\b"),
    re.compile(r"^\s*(?:what|which|any)\b|\b(?:wants?|needs?|would\s+like|hopes?|plans?)\s+to\b|\bget\s+better\s+at\b"),
    re.compile(r"[?!.,;:%]"),
]
_EDGE_WORDS = frozenset("the a an of for on in about from with and or to that which some any me us our my by at as".split())


def _cue(patterns, text: str) -> tuple[str, re.Match] | None:
    for pat, label in patterns:
        m = pat.search(text)
        if m:
            return label, m
    return None


def _spans(patterns, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for pat, _ in patterns for m in pat.finditer(text)]


def route(question: str, catalog: Any) -> Route:
    """Route ``question`` to one of :data:`INTENTS`, with the entities it names; see the module docstring."""
    question = (question or "").strip()
    tokens = _tokens(question)
    mentions = _city_mentions(question, tokens, catalog)
    cities = tuple(dict.fromkeys(m.slug for m in mentions))
    tpl = _template(question, tokens, mentions)
    raw = tpl.text  # single-spaced by construction
    subs = _subindicator_spans(raw, catalog)
    # the text the cues read: sub-indicator phrases replaced by SUBX; pos[i] is the raw offset of text[i]
    pieces: list[str] = []
    pos: list[int] = []
    prev = 0
    for s, e, _ in subs:
        pieces += [raw[prev:s], "SUBX"]
        pos += [*range(prev, s), s, s, e - 1, e - 1]
        prev = e
    pieces.append(raw[prev:])
    pos += range(prev, len(raw))
    text = "".join(pieces)

    def spans(patterns) -> list[tuple[int, int]]:
        return [(pos[s], pos[e - 1] + 1) for s, e in _spans(patterns, text) if e > s]
    subindicators = tuple(dict.fromkeys(sub for _, _, sub in subs))
    city = cities[0] if cities else None
    sub = subindicators[0] if subindicators else None
    revision = find_revision(question, catalog)

    why: list[str] = []
    if mentions:
        why.append("cities " + ", ".join(f"{m.slug} ({'~' if m.fuzzy else ''}{m.text!r})" for m in mentions))
    if subindicators:
        why.append("sub-indicators " + ", ".join(subindicators))
    if revision:
        why.append(f"revision {revision}")

    def done(intent: str, confidence: float, cue: str, used: list[tuple[int, int]] | None = None) -> Route:
        topic = _topic(question, tokens, tpl, used or [])
        reason = f"{intent}: {cue}" + (f"; {'; '.join(why)}" if why else "")
        return Route(intent, city, sub, topic, revision, confidence, reason, cities, subindicators)

    has_entity = bool(cities or subindicators)

    # 1. learn_from: the city (if any) is the learner
    hit = _cue(_LEARN, text) or (_cue(_LEARN_NEEDS_ENTITY, text) if has_entity else None)
    if hit:
        label, m = hit
        return done("learn_from", 0.9 if has_entity else 0.75, f"{label!r} cue ({m.group(0)!r})",
                    spans(_LEARN + _LEARN_NEEDS_ENTITY))

    # 2. similar: needs the city to compare with
    hit = _cue(_SIMILAR, text)
    if hit and cities and _SIMILAR_NEEDS_WH.search(text):
        label, m = hit
        return done("similar", 0.9, f"{label!r} cue ({m.group(0)!r})", spans(_SIMILAR))

    # 3. explanations of the benchmark are answers
    veto = next((p for p in _METHOD if p.search(text)), None)
    rank_hit = _cue(_RANKING, text)
    score_hit = _cue(_SCORES, text)
    if veto is not None and (rank_hit or score_hit or _SCORES_WEAK.search(text)):
        return done("answer", 0.8, f"explains the method ({veto.search(text).group(0)!r}), not a lookup")

    # 4. ranking and scores
    if rank_hit and (rank_hit[0] in _RANKING_NOUNS or _RANKING_SUBJECT.search(text)):
        label, m = rank_hit
        used = spans(_RANKING + _SCORES)
        if not cities:
            return done("ranking", 0.9, f"{label!r} cue ({m.group(0)!r}), no city", used)
        if len(cities) >= 2 and label not in {"ranking"} and not score_hit:
            return done("ranking", 0.75, f"{label!r} cue ({m.group(0)!r}) among {len(cities)} cities", used)
        return done("scores", 0.85, f"{label!r} cue ({m.group(0)!r}) about one city", used)
    if score_hit and cities:
        label, m = score_hit
        return done("scores", 0.9, f"{label!r} cue ({m.group(0)!r}) with a city", spans(_SCORES))
    if cities and _SCORES_WEAK.search(text) and not _DOING.search(text) and not _cue(_EXAMPLES, text):
        return done("scores", 0.65, "a city with 'benchmark'/'dashboard' and no doing-verb")

    # 5. examples
    hit = _cue(_EXAMPLES, text)
    if hit and not (hit[0] == "which services" and _EXAMPLES_VETO.search(text)):
        label, m = hit
        return done("examples", 0.8, f"{label!r} cue ({m.group(0)!r})")  # fillers only: cues hold topic words

    # 6. the rest
    if score_hit:
        return done("answer", 0.7, f"{score_hit[0]!r} cue but no city named")
    if hit:
        return done("answer", 0.7, f"{hit[0]!r} cue about the benchmark itself")
    return done("answer", 0.9 if not (cities or subindicators) else 0.8, "no routing cue")


def _topic(question: str, tokens: list[_Token], tpl: _Template, used: list[tuple[int, int]]) -> str:
    """The question without routing phrases, member names and edge filler words, as written."""
    text = tpl.text
    remove = list(used)
    for pat in _TOPIC_FILLER:
        remove.extend((m.start(), m.end()) for m in pat.finditer(text))
    keep = [not any(s < te and ts < e for s, e in remove) for ts, te in tpl.token_spans]
    idx = [i for i, k in enumerate(keep) if k]
    while idx and tokens[idx[0]].norm in _EDGE_WORDS:
        idx.pop(0)
    while idx and tokens[idx[-1]].norm in _EDGE_WORDS:
        idx.pop()
    if not idx:
        return ""
    out = tokens[idx[0]].text
    for a, b in zip(idx, idx[1:]):
        sep = question[tokens[a].end : tokens[b].start] if b == a + 1 else " "
        if not (sep in {"-", "'", "’", "‑"} or (sep == "." and tokens[a].norm.isdigit() and tokens[b].norm.isdigit())):
            sep = " "
        out += sep + tokens[b].text
    return out.strip()


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
