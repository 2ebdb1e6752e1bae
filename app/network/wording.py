"""Plain-English wording shared by the network's answers: lists of names, names from slugs, languages.

``join_names(["Ghent", "Milan", "Tallinn"])`` gives "Ghent, Milan and Tallinn";
``slug_title("emilia-romagna")`` gives "Emilia Romagna", the name shown for a city the member
list does not hold; ``country_phrase("Netherlands")`` gives "the Netherlands".
"""

from __future__ import annotations


def join_names(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; empty for no names."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# Country names read with "the" in running English ("members in the Netherlands").
_WITH_THE = frozenset({"Netherlands", "United Kingdom", "Czech Republic", "United States", "Philippines"})


def country_phrase(name: str) -> str:
    """``name`` as it reads after "in": "the Netherlands", "Spain"."""
    return f"the {name}" if name in _WITH_THE else name


def slug_title(slug: str) -> str:
    """A slug as a name: each hyphen-separated word capitalised."""
    return " ".join(w.capitalize() for w in slug.split("-"))


# The official languages of the members (cities.yaml's ``languages`` codes), by name.
LANGUAGES = {
    "ca": "Catalan", "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish", "fr": "French",
    "it": "Italian", "lv": "Latvian", "nl": "Dutch", "oc": "Occitan", "pt": "Portuguese", "sl": "Slovenian",
    "sv": "Swedish", "uk": "Ukrainian",
}


def language_name(code: str) -> str:
    """The English name of a language code of cities.yaml (the code itself when unknown)."""
    return LANGUAGES.get(code, code)
