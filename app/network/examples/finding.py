"""Examples on a topic: the services and cases of the knowledge base closest to it, best first.

The searcher ranks candidates in hybrid mode; an entry counts when its best passage's raw cosine
reaches a floor (:data:`DEFAULT_MIN_SCORE`), one entry per city by default, and never a case
next to the service it describes.
"""

from __future__ import annotations

from typing import Any

from indexer import crosslingual as xlm
from indexer.errors import InvalidRequest, UccError
from indexer.search import Hit, MAX_QUERY_CHARS, normalise_filters

from app.network.catalog import Catalog
from app.network.examples.hits import as_list, city_name, hit_city, same_project
from app.network.examples.model import EXAMPLE_KINDS, Example
from app.network.examples.summaries import summarise, summary_passages

MAX_N = 20
CANDIDATES = 50  # hits asked from the searcher before the one-per-city rule and the floor

# Least raw cosine similarity (the entry's best passage against the topic) for an entry to
# count as an example. Conservative on purpose: a moderator is better served by three real
# examples than by five with two unrelated ones, so the floor sits above what unrelated topics
# reach, at the price of some weakly worded genuine matches. Measured with the default model
# (all-MiniLM-L6-v2) in hybrid search over knowledge/ (services and cases), November 2026:
#   - 25 off-topic queries ("chocolate cake recipe", "stock market tips", "hello", …):
#     best cosine of any entry 0.27 at most (median about 0.19);
#   - 27 municipal topics the knowledge base does not cover ("parking permits", "building
#     permits", "tourist information", …): at most 0.43, and only one of them reaches 0.40
#     ("elections and voting registration": Tallinn's free transport, 0.43, a known leak);
#   - 32 covered topics ("proactive services", "participatory budgeting", "digital inclusion",
#     …): the intended entry scores 0.41 to 0.78 in 28; the 4 misses are abstract or odd
#     wordings ("once-only principle" 0.27, "paying taxes online" 0.26, "measuring satisfaction"
#     0.33, "interoperability" 0.38), where no example is better than a guessed one.
# Below 0.40, entries only loosely related to the topic start to appear next to the intended
# ones (Kyiv Digital for "digital inclusion" at 0.33, Emilia-Romagna's health record for
# "assisted digital" at 0.37). Another embedding model needs its own floor (``min_score``).
DEFAULT_MIN_SCORE = 0.40
# The same floor for a topic in another language, on the multilingual encoder's cosines (lower
# than MiniLM's): bench/calibrate_examples_xl.py, 39 covered and 34 uncovered topics in
# es/it/de/fr/nl read by that encoder, December 2026: uncovered ones reach 0.245 at most
# ("registrazione dei cani" -> Tallinn's free transport for registered residents), covered ones
# 0.14-0.49 (median 0.35); at 0.25, 25 of 39 covered topics keep an example and none of the
# uncovered ones gets one.
XL_MIN_SCORE = 0.25


def score_floor(min_score: float | None, encoder: str = "") -> float:
    """The least raw cosine for an entry to count: ``min_score``, or the default of the encoder
    that matched the topic (:data:`XL_MIN_SCORE` for the multilingual one, else
    :data:`DEFAULT_MIN_SCORE`)."""
    if min_score is not None:
        return float(min_score)
    return XL_MIN_SCORE if encoder == xlm.ENCODER_NAME else DEFAULT_MIN_SCORE


def clean_topic(topic: str | None) -> str:
    """The topic on one line; :class:`InvalidRequest` if it is empty or too long."""
    text = " ".join((topic or "").split())
    if not text:
        raise InvalidRequest("Give a topic, for example: proactive services.")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"The topic is too long ({len(text)} characters; at most {MAX_QUERY_CHARS}).")
    return text


def _check_n(n: Any) -> int:
    message = f"n must be a whole number between 1 and {MAX_N}."
    if isinstance(n, bool):
        raise InvalidRequest(message)
    try:
        value = int(n)
    except (TypeError, ValueError):
        raise InvalidRequest(message) from None
    if (isinstance(n, float) and n != value) or not 1 <= value <= MAX_N:
        raise InvalidRequest(message)
    return value


def example_filters(catalog: Catalog | None, filters: dict | None) -> dict[str, list[str]]:
    """The caller's filters, normalised, limited to services and cases.

    City names are turned into slugs when the catalog knows them ("Göteborg" → gothenburg).
    A ``kind`` filter can narrow the kinds to service or case only.
    """
    flt = normalise_filters(filters)
    kinds = flt.get("kind")
    if kinds is None:
        flt["kind"] = list(EXAMPLE_KINDS)
    else:
        keep = [k for k in kinds if k in EXAMPLE_KINDS]
        if not keep:
            raise InvalidRequest("Examples are services or cases: use --kind service or --kind case.")
        flt["kind"] = keep
    if catalog is not None and "city" in flt:
        flt["city"] = [_city_slug(catalog, c) for c in flt["city"]]
    return flt


def _city_slug(catalog: Catalog, name: str) -> str:
    try:
        return catalog.find_city(name).slug
    except UccError:
        return name  # not a member (or no catalog data): filter on the value as given


def examples(
    searcher,
    catalog: Catalog | None,
    topic: str,
    n: int = 5,
    filters: dict | None = None,
    one_per_city: bool = True,
    *,
    min_score: float | None = None,
    language: str | None = None,
) -> list[Example]:
    """Up to ``n`` services and cases on ``topic``, best first.

    :param filters: search filters (city, country, kind, principle, subindicator, year, tag),
        merged with the kinds service and case.
    :param one_per_city: keep only the best entry of each city (and never a case next to the
        service it describes); False lifts the city rule.
    :param min_score: least raw cosine of an entry's best passage (default: :func:`score_floor`);
        weaker matches are dropped even if fewer than ``n`` remain.
    :param language: the topic's language when known (a topic cut out of a question is too short
        to tell); else it is detected.
    :raise InvalidRequest: empty topic, ``n`` outside 1–20, a bad filter.
    """
    topic = clean_topic(topic)
    n = _check_n(n)
    flt = example_filters(catalog, filters)
    # Hybrid mode ranks best on the dev set and scores every candidate's raw cosine, which
    # the floor needs (BM25 mode has none).
    result = searcher.search(topic, k=CANDIDATES, mode="hybrid", filters=flt, language=language)
    floor = score_floor(min_score, getattr(result, "encoder", ""))
    chosen: list[Hit] = []
    seen_cities: set[str] = set()
    # The multilingual cosine tells a match less surely than the fused ranking does: for a topic in
    # another language, the examples stop at the first candidate below the floor rather than reach
    # past it for a weaker-ranked one ("servicios proactivos" -> a property-tax review).
    stop_below = getattr(result, "encoder", "") == xlm.ENCODER_NAME and min_score is None
    for hit in result.hits:
        cosine = hit.dense_score
        if cosine is None or cosine < floor:
            if stop_below:
                break
            continue
        city = hit_city(hit)
        if one_per_city and city is not None and city in seen_cities:
            continue
        if any(same_project(hit, other) for other in chosen):
            continue  # a case next to the service it describes: one example, not two
        chosen.append(hit)
        if city is not None:
            seen_cities.add(city)
        if len(chosen) >= n:
            break
    summaries = summary_passages(searcher, chosen)
    return [_example(hit, catalog, summaries.get(hit.doc_id)) for hit in chosen]


def _example(hit: Hit, catalog: Catalog | None, summary_text: str | None) -> Example:
    meta = hit.metadata
    city = hit_city(hit)
    name, country = city_name(catalog, city), hit.country
    if country is None and catalog is not None and city is not None:
        try:
            country = catalog.city(city).country
        except UccError:
            pass
    award = meta.get("award")
    return Example(
        title=hit.title,
        city=city,
        city_name=name,
        country=country,
        year=hit.year,
        kind=hit.kind,
        summary=summarise(summary_text or ""),
        url=hit.url or next((str(s) for s in as_list(meta.get("sources")) if s), None),
        doc_id=hit.doc_id,
        source=hit.source,
        score=float(hit.dense_score or 0.0),
        award=dict(award) if isinstance(award, dict) else None,
        subindicators=[str(s) for s in as_list(meta.get("subindicators"))],
        principles=[str(p) for p in as_list(meta.get("principles"))],
        member=meta.get("member") is not False,
        tags=[str(t).lower() for t in as_list(meta.get("tags"))],
        status=str(meta["status"]) if meta.get("status") else None,
        has_outcomes=bool(meta.get("outcomes")),
        services=[str(s) for s in as_list(meta.get("services"))],
    )

