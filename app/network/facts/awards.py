"""Answers about the network's award ("Best user-centric service in European cities and regions"):
one year's (or every year's) finalists, winner and submissions, with how sure each is, from
``network/awards.yaml`` read as plain data by :attr:`app.network.catalog.Catalog.awards`."""

from __future__ import annotations

from typing import Any

from app.network.catalog import AWARDS_FILE
from app.network.facts.model import NetworkAnswer
from app.network.facts.questions import NetworkQuestion
from app.network.wording import join_names


def awards(q: NetworkQuestion, catalog: Any) -> NetworkAnswer:
    """The award of one year (or every year): finalists, winner, submissions, with how sure each is."""
    names = {c.slug: c.name for c in catalog.cities}
    found = [a for a in catalog.awards if q.year is None or str(a.get("year")) == q.year]
    if q.cities:
        found = [a for a in found if any(f.get("city") in q.cities for f in a.get("finalists") or [])]
        if not found:
            who_ = join_names([names.get(c, c) for c in q.cities])
            years = ", ".join(str(a.get("year")) for a in catalog.awards)
            return NetworkAnswer(f"{who_} was not among the finalists of the UserCentriCities awards on record "
                                 f"({years}).", {"awards": []}, [], [{"title": "UserCentriCities awards",
                                                                      "url": None, "source": AWARDS_FILE}])
    if not found:
        years = ", ".join(str(a.get("year")) for a in catalog.awards) or "none"
        return NetworkAnswer(f"The knowledge base records no UserCentriCities award in {q.year} (awards on record: "
                             f"{years}).", {"awards": []}, [], [])
    sentences, items, sources = [], [], []
    for a in found:
        sentences.append(_award_sentence(a, names, catalog))
        items += _finalist_items(a, names, catalog)
        sources += [{"title": f"UserCentriCities award {a.get('year')}", "url": url, "source": AWARDS_FILE}
                    for url in a.get("sources") or []]
    if q.cities:  # "Did Ghent win?": say so first
        sentences = _lead(q.cities, found, names) + sentences
    elif q.naming:  # "What is the award called?": its name first
        called = join_names([f"“{n}”" for n in dict.fromkeys(str(a.get("name")) for a in found if a.get("name"))])
        if called:
            years = join_names([str(a.get("year")) for a in found])
            sentences.insert(0, f"The network's award is called {called} (editions on record: {years}).")
    for c in (c for a in found for c in a.get("conflicts") or []):
        other = (c.get("others") or [{}])[0]
        sentences.append(f"Sources disagree on the {c.get('about')}: this follows {c['followed'].get('value')}; "
                         f"another source says {other.get('value')}.")
    return NetworkAnswer(" ".join(sentences), {"awards": found},
                         [{"type": "cities", "title": "Award finalists and winners", "items": items}], sources[:4])


def _who(entry: dict, names: dict[str, str], catalog: Any) -> str:
    city = names.get(entry.get("city"), str(entry.get("city", "")).replace("-", " ").title())
    title = catalog.service_title(entry.get("service"))
    return f"{city} ({title})" if title else city


def _award_sentence(a: dict[str, Any], names: dict[str, str], catalog: Any) -> str:
    """One year's award in a sentence: its finalists, its winner (and how sure), the submissions."""
    finalists = a.get("finalists") or []
    winner = a.get("winner") or {}
    text = f"The {a.get('year')} UserCentriCities award (“{a.get('name', 'Best user-centric service')}”)"
    if finalists:
        text += f" had {len(finalists)} finalists: " + join_names([_who(f, names, catalog) for f in finalists])
    if winner:
        sure = "" if winner.get("confidence") == "found" else " (reported by a secondary source only)"
        text += f"; the winner was {_who(winner, names, catalog)}{sure}"
    sub = a.get("submissions") or {}
    if sub.get("count"):
        text += f"; {sub['count']} services were submitted"
    return text + "."


def _finalist_items(a: dict[str, Any], names: dict[str, str], catalog: Any) -> list[dict[str, Any]]:
    year = a.get("year")
    winner = a.get("winner") or {}
    items = []
    for f in a.get("finalists") or []:
        slug = f.get("city")
        won = bool(winner) and winner.get("city") == slug
        items.append({"slug": slug, "name": names.get(slug, str(slug).title()), "year": year,
                      "why": f"{year} {'winner' if won else 'finalist'}" + (
                          f": {catalog.service_title(f.get('service'))}" if f.get("service") else ""),
                      "url": f"/api/v1/cities/{slug}" if slug in names else None})
    return items


def _lead(cities: list[str], found: list[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """For a question about given members: whether each won or was a finalist, first."""
    lead = []
    for slug in cities:
        for a in found:
            winner = (a.get("winner") or {}).get("city") == slug
            if any(f.get("city") == slug for f in a.get("finalists") or []):
                sure = "" if not winner or (a.get("winner") or {}).get("confidence") == "found" else \
                    " (as reported by a secondary source)"
                lead.append(f"{names.get(slug, slug)} {'won' if winner else 'was a finalist of'} the "
                            f"{a.get('year')} UserCentriCities award{sure}.")
    return lead
