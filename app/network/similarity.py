"""How alike two members are, on one basis, with the reasons a person would give.

Each basis gives every pair of members (both orders) a similarity and a list of reasons:

- :func:`benchmark_pairs`: the dashboard profiles, 1 minus the mean absolute gap between
  sub-indicator fractions; only members with scores. Reasons name shared strengths and
  weaknesses (:data:`app.network.scoring.STRONG`, :data:`~app.network.scoring.WEAK`).
- :func:`context_pairs`: city or region, population (on a log scale), country, official
  language and capital status. Populations are approximate.
- :func:`services_pairs`: overlap of the tags, principles and sub-indicators of the members'
  indexed services and cases (IDF-weighted cosine). Reasons name the shared topics.

:func:`percentiles` turns a basis's similarities into percentile ranks so that bases on
different scales can be mixed (:data:`WEIGHTS`; :meth:`app.network.cities.CityDirectory.similar`).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable

from indexer.errors import NotFound

from app.network.benchmark import Benchmark
from app.network.models import City
from app.network.scoring import STRONG, WEAK
from app.network.wording import join_names, language_name

Pairs = dict[tuple[str, str], tuple[float, list[str]]]

WEIGHTS = {"benchmark": 0.4, "context": 0.3, "services": 0.3}
NEUTRAL = 0.5  # in the mix, a basis a pair lacks counts as an average match
NO_CONTEXT = "little in common in type, size, country or language"
NO_TOPICS = "no shared topics"
NEGATIVE = (NO_CONTEXT, NO_TOPICS)
_TAG_STOPLIST = frozenset({"award finalist", "award winner", "non-member", "founding member", "region"})


def percentiles(pairs: dict[tuple[str, str], tuple[float, Any]]) -> dict[tuple[str, str], float]:
    """Each pair's similarity as its percentile rank (0 to 1, ties averaged) among all pairs of
    that basis, so that bases on different scales can be mixed."""
    values = sorted(v[0] for (a, b), v in pairs.items() if a < b)
    if len(values) < 2:
        return {key: 1.0 for key in pairs}
    first: dict[float, int] = {}
    last: dict[float, int] = {}
    for i, v in enumerate(values):
        first.setdefault(v, i)
        last[v] = i
    top = len(values) - 1
    return {key: (first[v[0]] + last[v[0]]) / 2 / top for key, v in pairs.items()}


def about(population: int) -> str:
    """A population in round words: "1.3 million", "254,000"."""
    if population >= 1_000_000:
        return f"{population / 1_000_000:.1f}".rstrip("0").rstrip(".") + " million"
    return f"{round(population, -3):,}"


# --- the dashboard -------------------------------------------------------------------


def benchmark_pairs(benchmark: Benchmark, label: Callable[[str], str]) -> Pairs:
    """(slug, other) -> (similarity, reasons) for every pair of members with scores in the
    latest revision; ``label`` names a sub-indicator in the reasons."""
    try:
        rev = benchmark.latest_revision()
    except NotFound:
        return {}
    fr = benchmark.fractions(rev)
    median = benchmark.network_median(rev)
    out: Pairs = {}
    for a in sorted(fr):
        for b in sorted(fr):
            if a >= b:
                continue
            ids = [i for i in fr[a] if i in fr[b]]
            if not ids:
                continue
            gap = sum(abs(fr[a][i] - fr[b][i]) for i in ids) / len(ids)
            strong = sorted((i for i in ids if fr[a][i] >= STRONG and fr[b][i] >= STRONG),
                            key=lambda i: (median.get(i, 1), i))[:2]
            weak = sorted((i for i in ids if fr[a][i] < WEAK and fr[b][i] < WEAK),
                          key=lambda i: (-median.get(i, 0), i))[:2]
            parts = []
            if strong:
                parts.append("both strong on " + join_names([label(i) for i in strong]))
            if weak:
                parts.append("both weak on " + join_names([label(i) for i in weak]))
            parts.append(f"close dashboard scores (average gap {gap:.2f} per sub-indicator, {rev})")
            out[(a, b)] = out[(b, a)] = (1 - gap, parts)
    return out


# --- context ---------------------------------------------------------------------------


def context_pairs(cities: list[City]) -> Pairs:
    """(slug, other) -> (similarity, reasons) on type, size, country, language and capital status."""
    out: Pairs = {}
    for a in cities:
        for b in cities:
            if a.slug < b.slug:
                out[(a.slug, b.slug)] = out[(b.slug, a.slug)] = _context_pair(a, b)
    return out


def _context_pair(a: City, b: City) -> tuple[float, list[str]]:
    score, parts = 0.0, []
    if a.type == b.type:
        score += 0.3
        parts.append("both cities" if a.type == "city" else "both regions")
    if a.population_approx and b.population_approx:
        ratio = abs(math.log10(a.population_approx / b.population_approx))
        score += 0.35 * max(0.0, 1 - ratio)
        if ratio <= 0.2:
            parts.append(f"comparable size (about {about(a.population_approx)} and {about(b.population_approx)})")
    if a.country_code == b.country_code:
        score += 0.15
        parts.append(f"both in {a.country}")
    shared = [code for code in a.languages if code in b.languages]
    if shared:
        score += 0.1
        if a.country_code != b.country_code:
            parts.append("shared official language: " + join_names([language_name(x) for x in shared]))
    if a.capital and b.capital:
        score += 0.1
        parts.append("both national capitals")
    return score, parts or [NO_CONTEXT]


# --- services and cases -------------------------------------------------------------------


def services_pairs(docs: dict[str, list[dict[str, Any]]], label: Callable[[str], str],
                   principle_names: dict[str, str]) -> dict[str, Any]:
    """Feature vectors and pair similarities of members' services and cases (``docs`` by member):
    ``{"cities": members with features, "pairs": Pairs, "pct": percentiles}``."""
    vecs = _vectors(docs)
    norms = {slug: math.sqrt(sum(v * v for v in vec.values())) for slug, vec in vecs.items()}
    pairs: Pairs = {}
    for a in sorted(vecs):
        for b in sorted(vecs):
            if a >= b:
                continue
            shared = {f: vecs[a][f] * vecs[b][f] for f in vecs[a] if f in vecs[b]}
            if not shared:
                pairs[(a, b)] = pairs[(b, a)] = (0.0, [NO_TOPICS])
                continue
            sim = sum(shared.values()) / (norms[a] * norms[b])
            pairs[(a, b)] = pairs[(b, a)] = (sim, _shared_topics(shared, label, principle_names))
    return {"cities": set(vecs), "pairs": pairs, "pct": percentiles(pairs)}


def _vectors(docs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[tuple[str, str], float]]:
    """Per member, IDF-weighted features: tags (1.0 each), principles and sub-indicators (0.5)."""
    bags: dict[str, Counter] = {}
    for slug, items in docs.items():
        bag: Counter = Counter()
        for d in items:
            for t in d["tags"]:
                t = t.strip().lower()
                if t and t not in _TAG_STOPLIST:
                    bag[("tag", t)] += 1.0
            for p in d["principles"]:
                bag[("principle", p)] += 0.5
            for s in d["subindicators"]:
                bag[("subindicator", s)] += 0.5
        if bag:
            bags[slug] = bag
    n = len(bags)
    df = Counter(f for bag in bags.values() for f in bag)
    return {slug: {f: w * math.log(1 + n / df[f]) for f, w in bag.items()} for slug, bag in bags.items()}


def _shared_topics(shared: dict[tuple[str, str], float], label: Callable[[str], str],
                   principle_names: dict[str, str]) -> list[str]:
    tags = [f[1] for f in sorted(shared, key=lambda f: (-shared[f], f)) if f[0] == "tag"][:3]
    subs = sorted(f[1] for f in shared if f[0] == "subindicator")[:2]
    principles = sorted(f[1] for f in shared if f[0] == "principle")[:2]
    parts = []
    if tags:
        parts.append("shared topics: " + ", ".join(tags))
    if subs:
        parts.append("services on " + join_names([label(s) for s in subs]))
    if principles and not (tags or subs):
        parts.append("services on the same principles: " + join_names([principle_names.get(p, p) for p in principles]))
    return parts
