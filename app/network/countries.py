"""Other names of countries, by the country name the knowledge base uses (``cities.yaml``'s
``country``). One home for every reader of a question: the network's facts ("Which Spanish
members...?", app/network/facts/questions.py), follow-ups ("and in Italia?",
app/answering/conversations.py) and questions in other languages (app/answering/crossroute.py).

- :data:`COUNTRY_NAMES`: English adjectives and a few names in the countries' own languages, for
  the members' countries and those of the non-members the knowledge base cites; "catalan" counts
  as Spain, as Catalonia's members are.
- the country's name in the members' languages, from the Unicode CLDR (Babel's locale data:
  "Finnland", "Spagna", "Pays-Bas"): :func:`other_names`.
- the name of the country's language in those languages with its common endings, as adjectives
  ("spanischen", "spagnoli", "finlandais"): :func:`country_adjectives`, for questions in other
  languages only (some are English words: Dutch "Pools" is Polish).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from indexer.text import fold

# The languages of the members and their neighbours whose names of countries are recognised.
LOCALES = ("es", "it", "de", "fr", "nl", "pt", "pl", "fi", "sv", "et", "ca", "uk", "sk", "sl", "lv", "lt", "da",
           "ro", "hr", "cs", "hu")
# Endings an adjective takes in those languages (German -en/-e, Italian -i/-e, Spanish -es/-as, ...).
_ENDINGS = ("", "s", "e", "en", "es", "er", "i", "a", "as", "n")
# Endings of a name ("in den Niederlanden") and of adjectives made from it ("finlandais", "finlandese").
_NAME_ENDINGS = ("n", "s", "en")
_GERMAN_ENDINGS = ("isch", "ische", "ischen", "ischer", "isches")
_DEMONYM_ENDINGS = ("ais", "aise", "aises", "ese", "esi", "es", "esa", "esas", "eses")

COUNTRY_NAMES: dict[str, list[str]] = {
    "Austria": ["austrian"],
    "Belgium": ["belgian"],
    "Bulgaria": ["bulgarian"],
    "Croatia": ["croatian"],
    "Czechia": ["czech"],
    "Denmark": ["danish"],
    "Estonia": ["estonian"],
    "Finland": ["finnish", "suomi"],
    "France": ["french"],
    "Germany": ["german"],
    "Greece": ["greek"],
    "Hungary": ["hungarian"],
    "Ireland": ["irish"],
    "Italy": ["italian", "italia"],
    "Latvia": ["latvian"],
    "Lithuania": ["lithuanian"],
    "Netherlands": ["the netherlands", "holland", "dutch", "nederland"],
    "Norway": ["norwegian"],
    "Poland": ["polish"],
    "Portugal": ["portuguese"],
    "Romania": ["romanian"],
    "Slovakia": ["slovak", "slovensko"],
    "Slovenia": ["slovenian", "slovene", "slovenija"],
    "Spain": ["spanish", "españa", "espana", "catalan"],
    "Sweden": ["swedish", "sverige"],
    "Ukraine": ["ukrainian", "the ukraine"],
    "United Kingdom": ["uk", "the uk", "britain", "great britain", "british", "the united kingdom", "scotland", "scottish", "england"],
}


@cache
def _codes() -> dict[str, str]:
    """English CLDR country name -> ISO 3166 code, for the countries of :data:`COUNTRY_NAMES`."""
    from babel import Locale

    english = {name: code for code, name in Locale("en").territories.items() if code.isalpha()}
    return {country: english[country] for country in COUNTRY_NAMES if country in english}


@cache
def other_names(country: str) -> tuple[str, ...]:
    """The other names of ``country`` (English adjectives, then its name in :data:`LOCALES`)."""
    from babel import Locale

    names = list(COUNTRY_NAMES.get(country, []))
    code = _codes().get(country)
    if code:
        for loc in LOCALES:
            name = Locale(loc).territories.get(code)
            if name and len(name) > 3 and fold(name) != fold(country):
                names.append(name)
    return tuple(dict.fromkeys(names))


@cache
def country_aliases() -> dict[str, str]:
    """Each other name, folded (lower case, no accents), -> the country it names."""
    return {fold(alias): country for country in COUNTRY_NAMES for alias in other_names(country)}


@cache
def country_adjectives() -> dict[str, str]:
    """Folded adjectives and inflected names -> country: the country's name in :data:`LOCALES` with
    the endings of a name ("niederlanden") and of adjectives made from it ("finlandais"), and the
    name of its first official language with common endings ("spanisch" -> "spanischen"), for a
    language that is first in no other country of :data:`COUNTRY_NAMES` (Dutch names the
    Netherlands, not Belgium)."""
    from babel import Locale
    from babel.languages import get_official_languages

    first = {country: (get_official_languages(code) or ("",))[0] for country, code in _codes().items()}
    owners: dict[str, list[str]] = {}
    for country, lang in first.items():
        owners.setdefault(lang, []).append(country)
    found: dict[str, str] = {}
    for country in first:
        for name in map(fold, other_names(country)[len(COUNTRY_NAMES.get(country, [])):]):
            if " " not in name and len(name) > 4:
                found.update((name + end, country) for end in _NAME_ENDINGS)
                stem = name[:-1] if name[-1] in "aeio" else name
                found.update((stem + end, country) for end in _DEMONYM_ENDINGS)
                if name.endswith("ien"):  # German: Belgien -> belgisch, Spanien -> spanischen
                    found.update((name[:-3] + end, country) for end in _GERMAN_ENDINGS)
    for country, lang in first.items():
        if not lang or lang == "en" or len(owners[lang]) > 1:
            continue
        for loc in LOCALES:
            name = fold(Locale(loc).languages.get(lang, ""))
            if len(name) < 5 or " " in name:
                continue
            stems = {name, name[:-1]} if name[-1] in "aeio" else {name}
            found.update((stem + end, country) for stem in stems for end in _ENDINGS if len(stem + end) >= 5)
    return found


def countries_named(text: str, known: Iterable[str], adjectives: bool = False) -> list[str]:
    """The countries of ``known`` that the folded ``text`` names (by name or other name; with
    ``adjectives``, also by :func:`country_adjectives`), in the order of ``known``."""
    known = list(dict.fromkeys(known))
    words = set(re.findall(r"\w+", text))
    tables = [{fold(c): c for c in known}, country_aliases()] + ([country_adjectives()] if adjectives else [])
    named = {c for table in tables for w in words if (c := table.get(w))}
    named |= {c for table in tables[:2] for n, c in table.items() if " " in n and re.search(rf"\b{re.escape(n)}\b", text)}
    return [c for c in known if c in named]
