"""Answers about the members: who matches a question's filters, how many there are, and which
of the last answer's members is biggest or scores best."""

from __future__ import annotations

import re
from typing import Any

from app.network.facts.model import NetworkAnswer, member_item, members_source, month_text, scores_source
from app.network.facts.questions import NetworkQuestion
from app.network.wording import country_phrase, join_names

LIST_SOURCE = " Source: the network's member list (about page, 2023)."


def _list_source(membership: dict[str, Any]) -> dict[str, Any]:
    """The member list as the source of an answer (its first URL)."""
    return members_source((membership.get("sources") or [None])[0])


def members(q: NetworkQuestion, catalog: Any, membership: dict[str, Any]) -> NetworkAnswer:
    """The members that match ``q``'s filters, or how many there are."""
    source = _list_source(membership)
    if q.kind == "member_count":
        return _member_count(list(catalog.cities), membership, source)
    chosen, described = _filtered(q, list(catalog.cities))
    what = " ".join(described + ([] if q.member_type else ["members"]))
    where = f" in {join_names([country_phrase(c) for c in q.countries])}" if q.countries else ""
    when = f" that joined in {q.joined_year}" if q.joined_year else (" with a known joining date" if q.joined else "")
    items = [member_item(c) for c in chosen]
    if not items:
        text = f"The UserCentriCities network has no {what}{where}{when}."
    else:
        listed = join_names([f"{i['name']} ({i['why']})" for i in items])
        if len(items) == 1:
            what = what[:-1] if what.endswith("s") else what
        text = f"The UserCentriCities network has {len(items)} {what}{where}{when}: {listed}."
    text += LIST_SOURCE
    return NetworkAnswer(text, {"members": items, "filters": {"countries": q.countries, "type": q.member_type,
                                                            "founding": q.founding, "joined": q.joined_year}},
                         [{"type": "cities", "title": "Members", "items": items}], [source])


def member(q: NetworkQuestion, catalog: Any, membership: dict[str, Any]) -> NetworkAnswer:
    """Whether, since when and in which role each member ``q`` names belongs to the network, with
    the member list's own note on it where there is one (a press release, a conflict of dates)."""
    chosen = [c for c in catalog.cities if c.slug in q.cities]
    sentences, sources = [], [_list_source(membership)]
    for c in chosen:
        if c.role == "founding":
            said = f"{c.name} ({c.country}) is a founding member of UserCentriCities"
            said += f" (since {month_text(c.joined)})." if c.joined else "."
        elif c.joined:
            said = f"{c.name} ({c.country}) joined UserCentriCities in {month_text(c.joined)}."
        else:
            said = f"{c.name} ({c.country}) is a member of UserCentriCities; the member list gives no joining date."
        if q.founding and c.role != "founding":  # "Is Helsinki a founding member?"
            said = f"No: {c.name} is not one of the founding members. " + said
        note = next((f for f in c.context if _ABOUT_JOINING.search(f.text)), None)
        if note is not None:
            said += f" {note.text}"
            if note.source and all(s.get("url") != note.source for s in sources):
                sources.append({"title": f"{c.name}: membership", "url": note.source, "source": "cities.yaml"})
        sentences.append(said)
    items = [member_item(c) for c in chosen]
    text = " ".join(sentences) + LIST_SOURCE
    return NetworkAnswer(text, {"members": items}, [{"type": "cities", "title": "Members", "items": items}], sources)


_ABOUT_JOINING = re.compile(r"\b(?:join\w*|found\w*|member since|became a member)\b", re.IGNORECASE)


def _member_count(everyone: list[Any], membership: dict[str, Any], source: dict[str, Any]) -> NetworkAnswer:
    count = membership.get("count") or len(everyone)
    as_of = membership.get("as_of")
    text = f"The UserCentriCities network has {count} members" + (f" (about page, {as_of})" if as_of else "") + "."
    note = membership.get("count_note")
    if note:
        text += " " + note
    regions = sum(1 for c in everyone if c.type == "region")
    founding = [c.name for c in everyone if c.role == "founding"]
    text += (f" Of the {len(everyone)} listed, {regions} are regions and {len(everyone) - regions} cities; "
             f"the founding members are {join_names(founding)}.")
    items = [member_item(c) for c in everyone]
    return NetworkAnswer(text, {"count": count, "as_of": as_of, "members": items},
                         [{"type": "cities", "title": "Members", "items": items}], [source])


def _filtered(q: NetworkQuestion, chosen: list[Any]) -> tuple[list[Any], list[str]]:
    """The members that pass ``q``'s filters, and the words that describe them ("founding", "regions")."""
    described = []
    if q.countries:
        chosen = [c for c in chosen if c.country in q.countries]
    if q.member_type:
        chosen = [c for c in chosen if c.type == q.member_type]
        described.append(q.member_type + "s")
    if q.founding:
        chosen = [c for c in chosen if c.role == "founding"]
        described.insert(0, "founding")
    if q.capital:
        chosen = [c for c in chosen if c.capital]
        described.insert(0, "capital")
    if q.joined_year:
        chosen = [c for c in chosen if (c.joined or "").startswith(q.joined_year)]
    elif q.joined:
        chosen = [c for c in chosen if c.joined]  # "who joined?": the members with a known date
    return chosen, described


def pick(slugs: list[str], criterion: str, catalog: Any, benchmark: Any) -> NetworkAnswer:
    """The members of the last answer ordered by size or by dashboard score, the first named."""
    members = [c for c in catalog.cities if c.slug in slugs]
    if criterion.startswith("population"):
        sized = [c for c in members if c.population_approx]
        sized.sort(key=lambda c: c.population_approx, reverse=not criterion.endswith("asc"))
        items = [member_item(c) | {"why": f"about {c.population_approx:,} people ({c.type})"} for c in sized]
        word = "smallest" if criterion.endswith("asc") else "biggest"
        text = (f"Of {join_names([c.name for c in members])}, the {word} is {sized[0].name} (about "
                f"{sized[0].population_approx:,} people, a rounded figure)." if sized else
                "The member list gives no population for these members.")
        return NetworkAnswer(text, {"criterion": criterion, "members": items},
                             [{"type": "cities", "title": "By population (approximate)", "items": items}],
                             [members_source(None)])
    rev = benchmark.latest_revision()
    rows = benchmark.rows(rev)
    scored = [(benchmark.city_scores(c.slug, rev), c) for c in members if c.slug in rows]
    scored.sort(key=lambda t: t[0]["percentage"], reverse=criterion == "score")
    items = [member_item(c) | {"why": f"{d['percent']}% on the dashboard"} for d, c in scored]
    word = "lowest" if criterion.endswith("asc") else "highest"
    text = (f"Of {join_names([c.name for c in members])}, {scored[0][1].name} scores {word} on the dashboard "
            f"({scored[0][0]['percent']}%, self-assessment, revision {rev})." if scored else
            "None of these members has published dashboard scores.")
    unscored = [c.name for c in members if c.slug not in rows]
    if scored and unscored:
        text += f" No scores are published for {join_names(unscored)}."
    return NetworkAnswer(text, {"criterion": criterion, "members": items},
                         [{"type": "cities", "title": f"By dashboard score, revision {rev} (self-assessment)",
                           "items": items}],
                         [scores_source(benchmark.source(rev))])


