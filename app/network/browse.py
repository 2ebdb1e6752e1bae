"""The data behind the pages that browse the network: a member's dashboard scores beside its peers
(``GET /api/v1/benchmark/<slug>``), a member's page in the console (scores, peers, similar members,
whom to learn from) and the values each examples filter can take.

The assistant exposes each as a method (:meth:`~app.assistant.Assistant.city_benchmark`,
:meth:`~app.assistant.Assistant.city_page`, :meth:`~app.assistant.Assistant.filter_values`); the
faces only lay them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from indexer.errors import NotFound, UccError

from app.network.benchmark import Benchmark
from app.network.catalog import Catalog
from app.network.models import City, subindicator_key
from app.network.cities import CityDirectory, population_band

PEER_KEYS = ("peers", "subindicators", "above", "below")


def city_benchmark(benchmark: Benchmark, slug: str, revision: str | None = None) -> dict[str, Any]:
    """A member's dashboard scores with how it stands against the other named members
    (``versus_peers``: the peers, each sub-indicator against their median, above and below)."""
    data = benchmark.city_scores(slug, revision)
    peers = benchmark.versus_peers(slug, revision)
    data["versus_peers"] = {k: peers[k] for k in PEER_KEYS}
    return data


@dataclass
class CityPage:
    """Everything a member's page shows; a part that cannot be had carries the reason instead
    (``*_note``), so the rest of the page still shows."""

    member: City
    population: str | None  # a band ("250,000 to 500,000"), not the exact figure
    scores: dict[str, Any] | None  # Benchmark.city_scores
    versus: dict[str, Any] | None  # Benchmark.versus_peers, same revision
    scores_note: str | None
    similar: dict[str, Any] | None
    similar_note: str | None
    learn: dict[str, Any] | None
    learn_note: str | None
    revisions: list[str]  # revisions with scores, latest first


def city_page(member: City, benchmark: Benchmark, similar: Callable[[], dict], learn: Callable[[], dict],
              revision: str | None = None) -> CityPage:
    """``member``'s page for dashboard ``revision`` (default: the latest)."""
    scores = versus = scores_note = None
    try:
        scores = benchmark.city_scores(member.slug, revision)
        versus = benchmark.versus_peers(member.slug, scores["revision"])
    except NotFound as exc:  # NoScores, no score files, or an unknown revision
        scores_note = exc.message
    similar_data, similar_note = _section(similar)
    learn_data, learn_note = _section(learn)
    try:
        revisions = list(benchmark.revisions)
    except UccError:
        revisions = []
    return CityPage(member=member, population=population_band(member.population_approx), scores=scores,
                    versus=versus, scores_note=scores_note, similar=similar_data, similar_note=similar_note,
                    learn=learn_data, learn_note=learn_note, revisions=revisions)


def _section(call: Callable[[], dict]) -> tuple[dict | None, str | None]:
    try:
        return call(), None
    except UccError as exc:
        return None, exc.message


def filter_values(catalog: Catalog, directory: CityDirectory) -> dict[str, list[tuple[str, str]]]:
    """The values each examples filter can take, as (value, label), from the catalog (and the
    index for years): city, country, principle, subindicator, year."""
    cities = sorted(catalog.cities, key=lambda c: c.name)
    subs: dict[str, str] = {}
    for rev in catalog.framework.revisions:  # the newest revision's names first
        for s in rev.subindicators:
            subs.setdefault(s.id, s.name)
    try:
        principles = [(p.id, p.name) for p in sorted(catalog.principles, key=lambda p: p.number)]
    except UccError:
        principles = []
    years: set[int] = set()
    try:
        for docs in directory.documents().values():
            years.update(int(d["year"]) for d in docs if d.get("year"))
    except UccError:
        pass
    return {
        "city": [(c.slug, c.name) for c in cities],
        "country": [(x, x) for x in sorted({c.country for c in cities})],
        "principle": principles,
        "subindicator": [(i, f"{i} {subs[i]}") for i in sorted(subs, key=subindicator_key)],
        "year": [(str(y), str(y)) for y in sorted(years, reverse=True)],
    }

