"""What a question asks for beyond its kind of answer, and whether the quoted units hold it.

The reader (app/answering/reader.py) tells the kind of answer a question expects (a number, a date,
a name...). Here, what exactly it must say:

- :func:`counted`: what a "how many" question counts ("cards" in "How many Porto citizen cards were
  issued?"), and :func:`next_to`: whether a figure stands next to it ("45,431 reports"), or a date
  next to what a "when" question asks happened ("It opened on 1 May 2021"), ages aside
  (:func:`without_ages`: "residents over 65" counts nothing);
- :func:`asks_money` / :func:`holds_money`: a question asking for a sum ("What's the yearly running
  cost of ...?") is answered by an amount ("€5.2 million", "1,500 euros"), not by any figure;
- :func:`role`: the role a "who is the ... of" question asks about ("mayor"), which the answer must name;
- :func:`asks_time` / :func:`holds_time`: a question asking for a time of day or opening hours
  ("When does Ghent city hall open?") is answered by a time ("9:00", "8 am"), not by a date;
- :func:`missing`: of the quoted units, what they lack for the question (a note to show), or None.
"""

from __future__ import annotations

import re
from typing import Protocol, Sequence

from app.answering import reader
from app.answering import sentences as sn

NO_FIGURE = "The knowledge base has material on this but no figure that answers it; the nearest matches are listed."
NO_ROLE = "The knowledge base has material on this but does not say who that is; the nearest matches are listed."
NO_TIME = "The knowledge base has material on this but gives no times or opening hours; the nearest matches are listed."

# Not figures: the word "one" ("One aim is ..."), a number in a name within a sentence ("Mobility 360")
# or in a document's slug ("madrid-mobility-360").
NOT_FIGURES = re.compile(r"\b[Oo]ne\b|\b\w+-\d+\b|(?<=[a-z,;:'’] )([A-Z][\w-]*) \d+(?:\.\d+)?\b")


def plain_figures(text: str) -> str:
    """``text`` without what only looks like a figure (:data:`NOT_FIGURES`)."""
    return NOT_FIGURES.sub(r"\1", text)


# Questions asking for a sum of money: their answer holds an amount (:func:`holds_money`), not any figure.
_MONEY_Q = re.compile(r"\bhow much\b(?!\s+(?:time|of|longer|more|less|faster|data|energy|waste|paper|co2|traffic))|"
                      r"\b(?:cost|costs|price|budget|fee|fees|funding|spend|spent|spending|invest\w*)\s+(?:of|for|to|in)"
                      r"\b|\bhow (?:large|big) (?:was|is) (?:the |\w+'s )?(?:\w+ ){0,2}budget\b|\bwhat fee\b|"
                      r"\brunning cost", re.IGNORECASE)
_MONEY = re.compile(r"[€$£]\s?\d|\d[\d,.]*\s?(?:euros?|eur|pounds?|gbp|dollars?|usd|sek|kr|dkk)\b|"
                    r"\b(?:euros?|pounds?|dollars?)\b|\bfree of charge\b|\bfree\b", re.IGNORECASE)


def asks_money(question: str) -> bool:
    """Whether an English question asks for a sum of money ("How much did Glasgow commit...?",
    "What's the yearly running cost of ...?", "What fee do ... charge?")."""
    return bool(_MONEY_Q.search(question))


def holds_money(text: str) -> bool:
    """Whether ``text`` states a sum of money ("€5.2 million", "1,500 euros", "£1 million") or that
    something is free."""
    return bool(_MONEY.search(text))


# Words between a date or a figure and what a "when" or "how many" question asks about (:func:`next_to`).
WINDOWS = {"date": 4, "number": 3}
_VALUE_WORD = {
    "date": re.compile(r"^(?:(?:19|20)\d\d|January|February|March|April|May|June|July|August|September|October|"
                       r"November|December)$"),
    # a figure that is not a year; "one" is a pronoun as often as a count ("each served by one point")
    "number": re.compile(r"^(?!(?:19|20)\d\d$)\d[\d,.]*$|^(?:two|three|four|five|six|seven|eight|nine|ten|eleven|"
                         r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half)$",
                         re.IGNORECASE),
}
# What "how many" counts: the words after it up to the verb ("How many Porto citizen cards | were
# issued ...?"); "how many times" counts what the rest of the question does ("downloaded").
_HOW_MANY = re.compile(r"\bhow many\s+(.*?)(?=\s+(?:did|do|does|were|was|are|is|have|has|had|will|would|can|could|"
                       r"took|take|made|make|came|come|got|get)\b|[?,;]|$)(.*)", re.IGNORECASE)
_NOT_COUNTED = frozenset({"a", "an", "the", "of", "in", "on", "for", "and", "or", "to", "with", "its", "their", "by",
                          "at", "from", "each", "every", "per", "year", "first", "last", "been", "be"})
# "How many people" is answered by a count under any of these names ("5,000 users"); a question
# counting visitors or users asks for those.
_PEOPLE = frozenset({"people", "persons", "person", "residents", "citizens", "users", "inhabitants", "individuals",
                     "participants", "voters", "visitors"})
_ANYONE = frozenset({"people", "persons", "individuals", "residents", "citizens", "inhabitants"})


def counted(question: str) -> set[str]:
    """The stems of what an English "how many" question counts ("cards", "porto"... of "How many
    Porto citizen cards were issued?"), without its names; empty for other questions."""
    m = _HOW_MANY.search(question)
    if not m:
        return set()
    head, rest = m.group(1), m.group(2)
    words = [w for w in sn.words(head, lower=False) if not w[0].isupper() and w.lower() not in _NOT_COUNTED]
    if words in (["times"], ["more", "times"]):  # what is done: the rest's last plain word ("downloaded")
        words = [w for w in sn.words(rest, lower=False) if not w[0].isupper() and w.lower() not in _NOT_COUNTED
                 and not w[0].isdigit()][-1:]
    return counted_stems(words)


def counted_stems(words: list[str]) -> set[str]:
    """The stems of ``words``, with every name of people when one of them is "people" (:data:`_ANYONE`)."""
    if _ANYONE & {w.lower() for w in words}:
        words = [*words, *_PEOPLE]
    return {sn.stem(w) for w in words}


# Ages are figures that count nothing: "residents over 65", "aged 16 or over", "13-to-18-year-olds".
_AGE = re.compile(r"\b(?:aged|ages?)\s+\d+|\b(?:residents|people|persons|citizens|children|adults|users|those|"
                  r"anyone|women|men)\s+(?:over|under|above|below)\s+\d+|\d+\s*(?:\+|or (?:over|older|more)\b|"
                  r"and (?:over|older)\b|-year-olds?\b|years? old\b)", re.IGNORECASE)


def without_ages(text: str) -> str:
    """``text`` with its ages (:data:`_AGE`) blanked out."""
    return _AGE.sub(" ", text)


def next_to(text: str, stems: set[str], atype: str | None) -> bool:
    """Whether a date (``atype`` "date") or a figure ("number") in ``text`` stands within
    :data:`WINDOWS` words of a word whose stem is among ``stems``: "It opened on 1 May 2021" says
    when "open" happened, "45,431 reports in 2025" how many reports came in; "58 neighbourhoods"
    does not count visitors, nor an age (:data:`_AGE`) people."""
    if atype not in WINDOWS:
        return False
    tokens = sn.words(without_ages(text) if atype == "number" else text, lower=False)
    values = [i for i, t in enumerate(tokens) if _VALUE_WORD[atype].match(t)]
    events = [i for i, t in enumerate(tokens) if sn.stem(t) in stems]
    return any(abs(i - j) <= WINDOWS[atype] for i in values for j in events)


# "Who is the current mayor of Espoo?", "Who was Kyiv's Chief Information Officer in 2022?": the role asked about.
_ROLE_Q = re.compile(r"^\s*who (?:is|was|are|were)\s+(?:the\s+)?(.+?)(?:\s+(?:of|at|in|for|behind|on|from)\b|\s*[?.!]|$)",
                     re.IGNORECASE)
_NOT_ROLE = frozenset({"current", "new", "former", "present", "today", "now", "main", "person", "people", "one", "ones",
                       "responsible", "in", "charge", "a", "an", "the"})
# A time of day: "9:00", "8.30", "8 am", "5 p.m.", "noon", "24/7"; opening hours.
_TIME_Q = re.compile(r"\bwhat time\b|\bopening (?:hours|times)\b|\bopen(?:ing)? hours\b|\bwhen (?:does|do|is|are) "
                     r"[^?]*\b(?:open|close|opened|closed)\b(?![^?]*\b(?:in|since) (?:19|20)\d\d)", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b(?!\d)|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|\bnoon\b|\bmidnight\b|\b24/7\b|"
                   r"\baround the clock\b|\b24 hours\b", re.IGNORECASE)


def role(question: str) -> set[str]:
    """The stems of the role an English "who is the ... of ...?" question asks about ("mayor",
    "chief", "inform", "officer"), names and possessives aside; empty for other questions."""
    m = _ROLE_Q.search(question)
    if not m:
        return set()
    words = sn.words(m.group(1))
    return {sn.stem(w) for w in words if w not in _NOT_ROLE and not w.endswith(("'s", "’s"))}


def asks_time(question: str) -> bool:
    """Whether an English question asks for a time of day or opening hours."""
    return bool(_TIME_Q.search(question))


def holds_time(text: str) -> bool:
    return bool(_TIME.search(text))

# A list one can count: "Espoo, Helsinki, Vantaa and Kauniainen", "in Estonian, Russian or English".
_LIST = re.compile(r"\w[^,;:.]{0,40},\s[^,;:.]{1,40},?\s(?:and|or)\s\w")


class Unit(Protocol):
    """A quoted unit as :mod:`app.answering.compose` picks it."""

    @property
    def text(self) -> str: ...

    off_subject: bool


def missing(units: Sequence[Unit], query: str, language: str | None) -> str | None:
    """What ``units`` (the quoted units: ``.text`` and ``.off_subject``) lack for ``query``, as the
    note to show with a refusal, or None when they hold what it asks: a figure for a number
    question ("One aim is ..." and "Madrid's Mobility 360" hold none), a sum of money about what
    it names for a question asking one ("What's the yearly running cost of MeldR?" is not answered
    by its launch date), for an English "how many" a figure next to what it counts or a list naming
    it ("58 neighbourhoods" does not count visitors; "the web library shared by Espoo, Helsinki,
    Vantaa and Kauniainen" lists the municipalities another unit names); the role a "who is the
    ... of" asks about; a time for a question asking the hours."""
    english = not language
    asked_role = role(query) if english else set()
    if asked_role and not any(asked_role & sn.stems(u.text) for u in units):
        return NO_ROLE
    if english and asks_time(query) and not any(holds_time(u.text) for u in units):
        return NO_TIME
    if reader.expected_type(query, language) != "number":
        return None
    if not any(reader.holds_type(plain_figures(u.text), "number", query) for u in units):
        return NO_FIGURE
    if english and asks_money(query) and not any(holds_money(u.text) and not u.off_subject for u in units):
        return NO_FIGURE
    counts = counted(query) if english else set()
    if counts and not any(next_to(u.text, counts, "number") for u in units) and not (
            any(_LIST.search(u.text) for u in units) and any(counts & sn.stems(u.text) for u in units)):
        return NO_FIGURE
    return None
