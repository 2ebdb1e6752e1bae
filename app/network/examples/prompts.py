"""Discussion prompts for a UserCentriCafé session: questions built from fixed templates, never claims.

An opening question names the examples' cities; specific questions are asked only of examples
whose own metadata makes their premise true; a general question always closes the list.
"""

from __future__ import annotations

from typing import Callable

from app.network.examples.finding import clean_topic
from app.network.examples.model import Example
from app.network.wording import join_names

# Each template is a question. A specific one is used only when the example's own metadata
# makes its premise true: a proactive benefit (tagged proactive services and social rights,
# families …) is granted or offered without an application; a once-only service reuses data
# that already exists; an entry with recorded outcomes reports figures.
_ELIGIBILITY_TAGS = {"social rights", "non-take-up", "families", "early childhood", "benefits"}
_ONCE_ONLY_TAGS = {"once-only", "interoperability"}
_INCLUSION_TAGS = {"assisted digital", "digital inclusion", "digital skills", "proximity services"}
_CODESIGN_TAGS = {"co-design", "service design", "co-creation", "user research"}
_REPORTING_TAGS = {"reporting issues"}
_STATUS_WORDS = {"pilot": "a pilot", "planned": "a plan", "in-design": "design"}


def _tagged(e: Example, wanted: set[str]) -> bool:
    return bool(wanted & set(e.tags))


_RULES: list[tuple[Callable[[Example], bool], str]] = [
    (lambda e: "proactive services" in e.tags and _tagged(e, _ELIGIBILITY_TAGS),
     "How did {city} decide who is eligible without an application ({short}), and what happens to people "
     "the data misses?"),
    (lambda e: _tagged(e, _ONCE_ONLY_TAGS),
     "Which existing data does {city} reuse for {short}, and what legal basis or agreement allows it?"),
    (lambda e: _tagged(e, _INCLUSION_TAGS),
     "What does {short} in {city} offer residents who cannot or will not use online services on their own?"),
    (lambda e: _tagged(e, _REPORTING_TAGS),
     "How do residents learn what happened after reporting a problem through {short} in {city}?"),
    (lambda e: _tagged(e, _CODESIGN_TAGS),
     "At which stages were residents or staff involved in shaping {short} in {city}, and what changed "
     "because of it?"),
    (lambda e: e.has_outcomes,
     "Which figures does {city} report for {short}, how were they collected, and what would you measure in "
     "your own city?"),
    (lambda e: e.status in _STATUS_WORDS,
     "What would {city} need to take {short} from {status} to an everyday service?"),
]


def discussion_prompts(topic: str, found: list[Example], most: int = 5) -> list[str]:
    """Three to five questions for the discussion, from templates filled with the topic and
    the examples. Specific questions are asked only of examples whose metadata fits them."""
    topic = clean_topic(topic)
    prompts = [_opening(topic, found), *_specific(found, max(most - 2, 0))]
    generic = [
        f"What is a first step on {topic} that a city could take within six months, and who would need "
        "to be in the room?",
        f"Which dashboard sub-indicator would progress on {topic} move in your city, and how would you show it?",
        f"What would you ask residents before starting work on {topic}?",
    ]
    prompts.append(generic[0])  # always close on a general question
    for g in generic[1:]:  # at least three prompts
        if len(prompts) >= 3:
            break
        prompts.append(g)
    return prompts[:most]


def _opening(topic: str, found: list[Example]) -> str:
    if not found:
        return f"Which member city could present its work on {topic} at a future session?"
    names = join_names(list(dict.fromkeys(e.city_name for e in found if e.city_name))[:3])
    if names:
        return (f"Looking at {names}: which approach to {topic} would work in your own city, and what "
                "would have to change first?")
    return (f"Which of these approaches to {topic} would work in your own city, and what would have "
            "to change first?")


def _specific(found: list[Example], limit: int) -> list[str]:
    """Up to ``limit`` specific questions, each about a different example, in the order of :data:`_RULES`."""
    specific: list[str] = []
    used: set[str] = set()
    for test, template in _RULES:
        if len(specific) >= limit:
            break
        e = next((e for e in found if e.doc_id not in used and e.city_name and test(e)), None)
        if e is not None:
            used.add(e.doc_id)
            specific.append(template.format(city=e.city_name, short=_quote(entry_name(e)),
                                            status=_STATUS_WORDS.get(e.status or "", e.status)))
    return specific


def entry_name(e: Example, limit: int = 40) -> str:
    """The name an entry goes by, to quote beside its city: "MeldR" for "Rotterdam: MeldR,
    co-designing one reporting app…", "DansMaRue" for "DansMaRue: reporting problems in Paris's
    public space". Not :func:`app.answering.conversations.short_title`, which keeps a topic readable on its
    own ("FUE: the business one-stop shop", "Reality Lab") and knows no city."""
    title = " ".join(e.title.split())
    head, sep, rest = title.partition(": ")
    if sep:
        names = {n.casefold() for n in (e.city_name, e.city) if n}
        if head.casefold() not in names:
            if len(head) <= limit:
                return head
        else:
            first = rest.split(", ")[0]
            if len(first) <= limit:
                return first
    return title


def _quote(title: str) -> str:
    return f"“{title}”"

