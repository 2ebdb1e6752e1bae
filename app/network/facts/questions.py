"""Reading a question about the network as data: which one it is, and with what filters.

:func:`read` decides whether a question is a :class:`NetworkQuestion`: it must ask for nothing
but membership attributes (or the dashboard's parts, or the awards) once the words that name
them are taken out (:func:`_only_filler`), so that "Which Spanish cities run participatory
budgets?" still goes to a cited answer. :func:`pick_criterion` reads a follow-up that picks
among the members of the last answer ("which of them is biggest?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from indexer.text import fold

from app.network.countries import countries_named, country_aliases

# Country adjectives as officials write them (the nouns come from cities.yaml). English, plus the
# forms of the members' own languages that an English question may carry ("Suomi" is left out).
_MEMBER_WORDS = re.compile(r"\b(?:members?|membership|cities|city|regions?|municipalit(?:y|ies)|partners?|"
                           r"participants?|network|usercentricities|ucc)\b")
_ASK = re.compile(r"\b(?:which|what|who|list|name|names|how many|number of|count|show|tell|are there|give)\b")
_COUNT = re.compile(r"\b(?:how many|number of|count)\b")
_DASHBOARD = re.compile(r"\b(?:dashboard|benchmark(?:ing)?|framework|self[- ]assessment|indicators?)\b")
_PARTS = re.compile(r"\b(?:questions?|pillars?|sub[- ]?indicators?|indicators?|parts?|structure|dimensions?|areas?)\b")
_COMPARE = re.compile(r"\b(?:compare[sd]?|comparing|comparison|versus|vs|against|side by side|differ(?:ence|ences|s)?|"
                      r"better|worse)\b")
_SCORE_WORDS = re.compile(r"\b(?:dashboard|benchmark(?:ing)?|scores?|scored|ranks?|ranking|results?|percent|"
                          r"self[- ]assessment)\b")
_FOUNDING = re.compile(r"\b(?:found(?:ing|ed|ers?)|original|first members?)\b")
_JOINED = re.compile(r"\b(?:join(?:ed|ing|s)?|became members?|new members?|admitted|entered)\b")
_TYPE_REGION = re.compile(r"\bregions?\b")
_TYPE_CITY = re.compile(r"\b(?:cities|city|municipalit(?:y|ies))\b")
_CAPITALS = re.compile(r"\bcapitals?\b")
_YEAR = re.compile(r"\b(20\d\d)\b")
# Words that carry nothing beyond what the patterns above read: what is left must be empty.
_FILLER = frozenset("""
a an the of in on at to from for by with and or is are was were be been do does did which what who whom list name
names how many number count show tell me us please are there give all every current currently now part belong
belongs belonging europe european eu country countries based located come comes which's whose that this these
those any our its their it they them has have had network's members' usercentricities' s there's so far yet
today nation nations state states since when year years as still also altogether total overall in
rather than instead not opposed made up consist consists does do its make makes up under inside within
""".split())


@dataclass
class NetworkQuestion:
    kind: str  # members | member_count | member | dashboard | compare | awards
    countries: list[str] = field(default_factory=list)
    member_type: str | None = None  # city | region
    founding: bool | None = None
    joined_year: str | None = None
    capital: bool = False
    cities: list[str] = field(default_factory=list)
    pillar: str | None = None  # a dashboard question about one pillar
    joined: bool = False  # asks when members joined
    year: str | None = None  # an awards question about one year
    naming: bool = False  # asks what the award is called


def read(question: str, catalog: Any, cities: tuple[str, ...] = ()) -> NetworkQuestion | None:
    """The network question ``question`` asks, or None when it asks something else."""
    text = fold(question)
    if _AWARD.search(text) and (_ASK.search(text) or _YES_NO.search(text)):
        named = [fold(n) for c in catalog.cities if c.slug in cities for n in c.all_names]
        names = _words(named) if named else _AWARD
        if _only_filler(text, [_AWARD, _AWARD_FILLER, _MEMBER_WORDS, _ASK, _YES_NO, _YEAR, names]):
            year = _YEAR.search(text)
            return NetworkQuestion("awards", year=year.group(1) if year else None, cities=list(cities),
                                   naming=bool(_NAMING.search(text)))
    if len(cities) >= 2 and (_COMPARE.search(text) or (_SCORE_WORDS.search(text) and not _ASKS_HOW.search(text))):
        return NetworkQuestion("compare", cities=list(cities))
    if cities:
        return _member_question(text, catalog, cities)
    if not _ASK.search(text):
        # a bare request names members and a country: "members in Spain", "Dutch members"
        return _members_question(text, catalog) if _MEMBER_WORDS.search(text) and _countries(text, catalog) else None
    pillars = _pillar_names(catalog)
    named = [name for key, name in pillars.items() if re.search(rf"\b{re.escape(key)}\b", text)]
    if (_DASHBOARD.search(text) or named) and _PARTS.search(text):
        pillar_words = _words(pillars) if pillars else _PARTS
        if _only_filler(text, [_PARTS, _DASHBOARD, _ASK, pillar_words]):
            return NetworkQuestion("dashboard", pillar=named[0] if named else None)
    return _members_question(text, catalog)


def _member_question(text: str, catalog: Any, cities: tuple[str, ...]) -> NetworkQuestion | None:
    """A question about named members' membership ("When did Paris join UserCentriCities?", "Is
    Helsinki a founding member?", "Since when is Kyiv a member?"); None if it asks more."""
    joined, founding = bool(_JOINED.search(text)), bool(_FOUNDING.search(text))
    if not (joined or founding or _MEMBER_OF.search(text)):
        return None
    named = [fold(n) for c in catalog.cities if c.slug in cities for n in c.known_names]
    if not _only_filler(text, [_MEMBER_WORDS, _ASK, _JOINED, _FOUNDING, _YES_NO, _SINCE, _words(named)]):
        return None
    return NetworkQuestion("member", cities=list(cities), joined=joined, founding=True if founding else None)


def only_members(words: str, catalog: Any) -> bool:
    """Whether ``words`` (a question in another language carried over to English words: "city
    network portugal") ask for the members and nothing else: "cities españa budgets participation"
    asks which of them run a participatory budget."""
    return _members_question(fold(words), catalog) is not None


def _members_question(text: str, catalog: Any) -> NetworkQuestion | None:
    """A question about the members (folded ``text``): who, filtered how, or how many; None if it asks more."""
    countries = _countries(text, catalog)
    if not (_MEMBER_WORDS.search(text) or countries):
        return None
    q = NetworkQuestion("members", countries=countries)
    region, city = _TYPE_REGION.search(text), _TYPE_CITY.search(text)
    if region and (not city or (_RATHER.search(text) and region.start() < city.start())):
        q.member_type = "region"  # "regions", "regions rather than cities"
    elif city and region and _RATHER.search(text):
        q.member_type = "city"
    if _FOUNDING.search(text):
        q.founding = True
    if _JOINED.search(text):
        q.joined = True
        year = _YEAR.search(text)
        q.joined_year = year.group(1) if year else None
    q.capital = bool(_CAPITALS.search(text))
    country_words = [fold(n) for n in countries] + [d for d, c in country_aliases().items() if c in countries]
    patterns = [_MEMBER_WORDS, _ASK, _FOUNDING, _JOINED, _CAPITALS, _YEAR, _words(country_words) if country_words else None]
    if not _only_filler(text, [p for p in patterns if p is not None]):
        return None
    if _COUNT.search(text) and not (countries or q.member_type or q.founding or q.joined_year or q.capital
                                    or _JOINED.search(text)):
        q.kind = "member_count"
    elif not (countries or q.member_type or q.founding or _JOINED.search(text) or q.capital):
        q.kind = "member_count" if _COUNT.search(text) else "members"
    return q


_ASKS_HOW = re.compile(r"\b(?:how (?:do|does|did|can|could|should)|why)\b")
_AWARD = re.compile(r"\b(?:awards?|prizes?|winners?|won|wins?|winning|finalists?|shortlist(?:ed)?|nominees?|"
                    r"nominated|laureates?)\b")
_AWARD_FILLER = re.compile(r"\b(?:best|user[- ]centric|services?|european|edition|first|second|latest|last|yearly|annual|"
                           r"called|title|titled|"
                           r"recent|most|jury|announced|named|given|received|got|ones?|projects?|entries|"
                           r"submitted|submissions?|many|who|for|of|the)\b")
_NAMING = re.compile(r"\b(?:called|name of|title of|titled)\b")
_YES_NO = re.compile(r"^\s*(?:did|has|have|was|were|is|are)\b")
_MEMBER_OF = re.compile(r"\b(?:members?|membership|part of|belongs?)\b")
_SINCE = re.compile(r"\b(?:since when|when|since|how long|long|ago)\b")
_RATHER = re.compile(r"\b(?:rather than|instead of|not|as opposed to)\b")


def _pillar_names(catalog: Any) -> dict[str, str]:
    """Folded pillar names of every revision -> the name ("user-centricity performance")."""
    names = {}
    for rev in catalog.framework.revisions:
        for p in rev.pillars:
            names[fold(p.name)] = p.name
            last = fold(p.name).split()[-1]
            names.setdefault(last, p.name)  # "the performance pillar"
    return names


def _countries(text: str, catalog: Any) -> list[str]:
    return countries_named(text, [c.country for c in catalog.cities])


def _only_filler(text: str, patterns: list[re.Pattern]) -> bool:
    rest = text
    for p in patterns:
        rest = p.sub(" ", rest)
    words = re.findall(r"[^\W\d_]+", rest)
    return all(w in _FILLER for w in words)



def _words(alternatives: Any) -> re.Pattern:
    """A pattern for any of ``alternatives`` as whole words."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b")


# --- picking among the members of the last answer ------------------------------------------------

_OF_THEM = re.compile(r"\b(?:which|who|what)(?: one| city| member| region)? (?:of|among) (?:them|these|those|the(?:se|m)? "
                      r"(?:cities|members|regions))\b|\bthe (?:biggest|largest|smallest|best|strongest|weakest) "
                      r"(?:one|of them)\b", re.IGNORECASE)
_BIG = re.compile(r"\b(?:biggest|largest|most populous|most people|most residents)\b", re.IGNORECASE)
_SMALL = re.compile(r"\b(?:smallest|least populous|fewest people)\b", re.IGNORECASE)
_BEST = re.compile(r"\b(?:best|highest|strongest|top|scores? (?:the )?(?:most|highest))\b", re.IGNORECASE)
_WORST = re.compile(r"\b(?:worst|lowest|weakest)\b", re.IGNORECASE)


def pick_criterion(question: str) -> str | None:
    """"which of them is biggest?" -> ``population``; "... scores best?" -> ``score``; else None."""
    if not _OF_THEM.search(question):
        return None
    if _BIG.search(question):
        return "population"
    if _SMALL.search(question):
        return "population-asc"
    if _WORST.search(question):
        return "score-asc"
    if _BEST.search(question):
        return "score"
    return None

