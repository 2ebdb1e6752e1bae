"""Other names of countries: adjectives and names in the countries' own languages, by the country
name the knowledge base uses (``cities.yaml``'s ``country``). One list for every reader of a
question: the network's facts ("Which Spanish members...?", app/network/facts/questions.py) and
follow-ups ("and in Italia?", app/answering/conversations.py). Members' countries and those of
the non-members the knowledge base cites; "catalan" counts as Spain, as Catalonia's members are.
"""

from __future__ import annotations

from functools import cache

from indexer.text import fold

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
def country_aliases() -> dict[str, str]:
    """Each other name, folded (lower case, no accents), -> the country it names."""
    return {fold(alias): country for country, aliases in COUNTRY_NAMES.items() for alias in aliases}
