"""Member profiles, fuzzy name resolution and similar members.

A profile joins three things about one member: its context (``cities.yaml``:
country, type, approximate size, languages), its dashboard scores (if it has a
named published row, via :class:`app.network.benchmark.Benchmark`) and its services and
cases (documents of the live index, via :meth:`indexer.search.Searcher.list_documents`)::

    directory = CityDirectory(catalog, searcher)
    directory.resolve("Göteborg").slug                  # "gothenburg"
    directory.profile("Gent")
    directory.similar("Milano", k=3, basis="benchmark")

``similar`` compares members on one basis:

- ``benchmark``: the dashboard profiles (1 minus the mean absolute gap between
  sub-indicator fractions); only members with scores. Reasons name shared
  strengths and weaknesses.
- ``context``: city or region, population (on a log scale), country, official
  language and capital status. Populations are approximate.
- ``services``: overlap of the tags, principles and sub-indicators of the
  members' indexed services and cases (IDF-weighted cosine). Reasons name the
  shared topics.
- ``all``: a weighted mix (benchmark 0.4, context 0.3, services 0.3) of each
  basis's similarity expressed as a percentile among all pairs, so that bases on
  different scales can be mixed. A basis a pair lacks (no scores, no services)
  counts as an average match rather than being dropped, so that pairs known on
  more bases are not outranked by pairs known on context alone. The reason
  names the bases used.

Everything derived from the catalog is computed once and kept on the object;
what comes from the index is kept per live generation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cached_property
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from indexer.errors import IndexNotBuilt, InvalidRequest, NotFound, UccError
from indexer.text import fold

from app.network.benchmark import LABEL, Benchmark
from app.network.catalog import Catalog, City
from app.errors import NoScores, UnknownCity

BASES = ("benchmark", "context", "services", "all")
WEIGHTS = {"benchmark": 0.4, "context": 0.3, "services": 0.3}
NEUTRAL = 0.5  # in the mix, a basis a pair lacks counts as an average match
MAX_K = 25
# The dashboard colours the fraction rounded (half up) to 2 decimals: above 0.66 is green,
# up to 0.33 red. On exact fractions that is >= 0.665 (2/3 is green) and < 0.335 (1/3 is red).
STRONG = 0.665
WEAK = 0.335
DOC_KINDS = ("service", "case")

_GENERIC = frozenset(
    """city of the town region regione municipality municipio comune di ajuntament ayuntamiento de del la le
    stad gemeente ville ciudad citta kommun kaupunki capital""".split()
)
_TAG_STOPLIST = frozenset({"award finalist", "award winner", "non-member", "founding member", "region"})
_LANGUAGES = {
    "ca": "Catalan", "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish", "fr": "French",
    "it": "Italian", "lv": "Latvian", "nl": "Dutch", "oc": "Occitan", "pt": "Portuguese", "sl": "Slovenian",
    "sv": "Swedish", "uk": "Ukrainian",
}
_NO_CONTEXT = "little in common in type, size, country or language"
_NO_TOPICS = "no shared topics"
_NEGATIVE = (_NO_CONTEXT, _NO_TOPICS)
POPULATION_NOTE = "approximate: background knowledge, not a cited figure"


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(str(text))).split())


def _strip_generic(norm: str) -> str:
    return " ".join(w for w in norm.split() if w not in _GENERIC)


def _allowed_edits(length: int) -> int:
    if length < 5:
        return 0
    if length == 5:
        return 1
    if length < 10:
        return 2
    return 3


def population_band(population: int | None) -> str | None:
    if population is None:
        return None
    for limit, label in ((100_000, "under 100,000"), (300_000, "100,000 to 300,000"),
                         (700_000, "300,000 to 700,000"), (2_000_000, "700,000 to 2 million")):
        if population < limit:
            return label
    return "over 2 million"


def _about(population: int) -> str:
    if population >= 1_000_000:
        return f"{population / 1_000_000:.1f}".rstrip("0").rstrip(".") + " million"
    return f"{round(population, -3):,}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _percentiles(pairs: dict[tuple[str, str], tuple[float, Any]]) -> dict[tuple[str, str], float]:
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


def _doc_cities(meta: dict[str, Any], fallback: str | None) -> list[str]:
    out: list[str] = []
    for key in ("city", "cities"):
        value = meta.get(key)
        values = value if isinstance(value, (list, tuple)) else [value]
        out += [str(v).strip().lower() for v in values if v]
    if not out and fallback:
        out = [fallback]
    return list(dict.fromkeys(out))


class CityDirectory:
    """The members of one catalog; ``searcher`` (optional) supplies their services and cases."""

    def __init__(self, catalog: Catalog, searcher: Any = None, benchmark: Benchmark | None = None):
        self.catalog = catalog
        self.searcher = searcher
        self.benchmark = benchmark or Benchmark(catalog)
        self._docs_cache: tuple[int, dict[str, list[dict[str, Any]]]] | None = None
        self._services_cache: dict[int, dict[str, Any]] = {}
        self.services_note: str | None = None

    # -- names ------------------------------------------------------------------
    @cached_property
    def _by_slug(self) -> dict[str, City]:
        return {c.slug: c for c in self.catalog.cities}

    @cached_property
    def _aliases(self) -> dict[str, set[str]]:
        """Normalised name -> slugs (a name can only be ambiguous in the stripped form)."""
        index: dict[str, set[str]] = {}
        for c in self.catalog.cities:
            for n in c.known_names:  # how they match here: see City.known_names
                norm = normalise(n)
                if norm:
                    index.setdefault(norm, set()).add(c.slug)
        return index

    @cached_property
    def _stripped(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for norm, slugs in self._aliases.items():
            s = _strip_generic(norm)
            if s:
                index.setdefault(s, set()).update(slugs)
        return index

    @cached_property
    def _alias_list(self) -> list[tuple[str, str]]:
        return sorted((norm, slug) for norm, slugs in self._aliases.items() for slug in slugs)

    def resolve(self, name: str) -> City:
        """The member called ``name``: slug, English or local name, known spelling, or a close typo.

        :raise UnknownCity: nothing matches closely enough (with the 3 closest names).
        """
        raw = (name or "").strip()
        if not raw:
            raise InvalidRequest("Give a member city or region name.")
        if len(raw) > 200:
            raise UnknownCity(raw[:60] + "…", [])
        q = normalise(raw)
        for index, key in ((self._aliases, q), (self._stripped, _strip_generic(q))):
            slugs = index.get(key)
            if slugs and len(slugs) == 1:
                return self._by_slug[next(iter(slugs))]
        key = _strip_generic(q) or q
        found = self._prefix_match(key) or self._typo_match(key)
        if found:
            return self._by_slug[found]
        raise UnknownCity(raw, self.suggestions(raw))

    def _prefix_match(self, key: str) -> str | None:
        """A query of 4+ letters that starts one member's name, or is a whole word of it."""
        if len(key) < 4:
            return None
        hits = {slug for norm, slug in self._alias_list
                if norm.startswith(key) or key in [w for w in norm.split() if w not in _GENERIC]}
        return next(iter(hits)) if len(hits) == 1 else None

    def _typo_match(self, key: str) -> str | None:
        allowed = _allowed_edits(len(key))
        if not allowed:
            return None
        best: dict[str, int] = {}
        for norm, slug in self._alias_list:
            d = OSA.distance(key, norm, score_cutoff=allowed)
            if d <= allowed and d < best.get(slug, allowed + 1):
                best[slug] = d
        if not best:
            return None
        low = min(best.values())
        winners = [s for s, d in best.items() if d == low]
        return winners[0] if len(winners) == 1 else None

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The English names of the ``n`` members closest to ``name``."""
        q = normalise(name)
        best: dict[str, float] = {}
        for norm, slug in self._alias_list:
            words = [w for w in norm.split() if w not in _GENERIC]
            s = max([fuzz.ratio(q, norm)] + [0.95 * fuzz.ratio(q, w) for w in words if len(norm.split()) > 1])
            if s > best.get(slug, -1):
                best[slug] = s
        ranked = sorted(best, key=lambda slug: (-best[slug], self._by_slug[slug].name))
        return [self._by_slug[s].name for s in ranked[:n]]

    # -- services and cases from the index -------------------------------------
    def documents(self) -> dict[str, list[dict[str, Any]]]:
        """Members' services and cases in the live index, by member slug (empty without an index)."""
        if self.searcher is None:
            self.services_note = "No search index was given, so services and cases are not included."
            return {}
        try:
            gen = self.searcher.live().id
        except IndexNotBuilt:
            self.services_note = "The search index is not built yet (run `ucc index`), so services are not included."
            return {}
        cached = self._docs_cache
        if cached is not None and cached[0] == gen:
            return cached[1]
        by_city: dict[str, list[dict[str, Any]]] = {}
        for hit in self.searcher.list_documents({"kind": list(DOC_KINDS)}, limit=10000):
            meta = hit.metadata or {}
            if meta.get("member") is False:
                continue
            doc = {
                "title": hit.title,
                "doc_id": hit.doc_id,
                "kind": hit.kind,
                "status": meta.get("status"),
                "year": hit.year,
                "url": hit.url,
                "subindicators": [str(s) for s in meta.get("subindicators") or []],
                "principles": [str(p) for p in meta.get("principles") or []],
                "tags": [str(t) for t in meta.get("tags") or []],
                "award": meta.get("award"),
            }
            for slug in _doc_cities(meta, hit.city):
                if slug in self._by_slug:
                    by_city.setdefault(slug, []).append(doc)
        for docs in by_city.values():
            docs.sort(key=lambda d: (d["kind"] != "case", d["title"], d["doc_id"]))
        self.services_note = None
        self._docs_cache = (gen, by_city)
        self._services_cache = {}
        return by_city

    # -- profile ------------------------------------------------------------------
    def profile(self, name: str) -> dict[str, Any]:
        """Context, a dashboard summary (if the member has scores) and its services and cases."""
        c = self.resolve(name)
        docs = self.documents().get(c.slug, [])
        out: dict[str, Any] = {
            "city": c.slug,
            "name": c.name,
            "local_names": list(c.local_names),
            "country": c.country,
            "country_code": c.country_code,
            "type": c.type,
            "type_note": c.type_note,
            "capital": c.capital,
            "role": c.role,
            "joined": c.joined,
            "population_approx": c.population_approx,
            "population_band": population_band(c.population_approx),
            "population_note": (f"found: {c.population_source}" if c.population_confidence == "found"
                                else POPULATION_NOTE),
            "population_detail": c.population_detail,
            "languages": [_LANGUAGES.get(code, code) for code in c.languages],
            "context": [f.model_dump() for f in c.context],
            "sources": list(c.sources),
            "scores": None,
            "scores_note": None,
            "services": [d for d in docs if d["kind"] == "service"],
            "cases": [d for d in docs if d["kind"] == "case"],
            "services_note": self.services_note,
        }
        try:
            out["scores"] = self._score_summary(c.slug)
        except NoScores as exc:
            out["scores_note"] = exc.message
        except NotFound as exc:  # no score files at all
            out["scores_note"] = exc.message
        return out

    def _score_summary(self, slug: str) -> dict[str, Any]:
        cs = self.benchmark.city_scores(slug)
        median = self.benchmark.network_median(cs["revision"])
        subs = cs["subindicators"]
        weakest = sorted(subs, key=lambda s: (s["fraction"], s["fraction"] - median.get(s["id"], 0), s["id"]))[:3]
        above = [s for s in subs if s["fraction"] > median.get(s["id"], 1) + 1e-9]
        strongest = sorted(above, key=lambda s: (median.get(s["id"], 1) - s["fraction"], s["id"]))[:3]
        brief = lambda s: {"id": s["id"], "name": s["name"], "yes": s["yes"], "total": s["total"],  # noqa: E731
                           "fraction": s["fraction"], "colour": s["colour"]}
        return {
            "label": LABEL,
            "revision": cs["revision"],
            "source": cs["source"],
            "percent": cs["percent"],
            "rank": cs["rank"],
            "of": cs["of"],
            "published_rank": cs["published_rank"],
            "published_percent": cs["published_percent"],
            "pillars": cs["pillars"],
            "strongest": [brief(s) for s in strongest],
            "weakest": [brief(s) for s in weakest],
        }

    # -- similarity --------------------------------------------------------------
    @cached_property
    def _sub_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for rev in self.catalog.framework.revisions:
            for s in rev.subindicators:
                names.setdefault(s.id, s.name)
        return names

    @cached_property
    def _principle_names(self) -> dict[str, str]:
        try:
            return {p.id: p.name.lower() for p in self.catalog.principles}
        except UccError:  # principles.yaml is optional here
            return {}

    def _label(self, sub_id: str) -> str:
        return f"{sub_id} {self._sub_names.get(sub_id, '')}".strip()

    @cached_property
    def _benchmark_pairs(self) -> dict[tuple[str, str], tuple[float, list[str]]]:
        """(slug, other) -> (similarity, reasons) for every pair of members with scores."""
        try:
            rev = self.benchmark.latest_revision()
        except NotFound:
            return {}
        fr = self.benchmark.fractions(rev)
        median = self.benchmark.network_median(rev)
        out: dict[tuple[str, str], tuple[float, str]] = {}
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
                    parts.append("both strong on " + _join([self._label(i) for i in strong]))
                if weak:
                    parts.append("both weak on " + _join([self._label(i) for i in weak]))
                parts.append(f"close dashboard scores (average gap {gap:.2f} per sub-indicator, {rev})")
                out[(a, b)] = out[(b, a)] = (1 - gap, parts)
        return out

    @cached_property
    def _context_pairs(self) -> dict[tuple[str, str], tuple[float, list[str]]]:
        out: dict[tuple[str, str], tuple[float, list[str]]] = {}
        cities = self.catalog.cities
        for a in cities:
            for b in cities:
                if a.slug >= b.slug:
                    continue
                score, parts = 0.0, []
                if a.type == b.type:
                    score += 0.3
                    parts.append("both cities" if a.type == "city" else "both regions")
                if a.population_approx and b.population_approx:
                    ratio = abs(math.log10(a.population_approx / b.population_approx))
                    score += 0.35 * max(0.0, 1 - ratio)
                    if ratio <= 0.2:
                        parts.append(f"comparable size (about {_about(a.population_approx)} and "
                                     f"{_about(b.population_approx)})")
                if a.country_code == b.country_code:
                    score += 0.15
                    parts.append(f"both in {a.country}")
                shared = [code for code in a.languages if code in b.languages]
                if shared:
                    score += 0.1
                    if a.country_code != b.country_code:
                        parts.append("shared official language: " + _join([_LANGUAGES.get(x, x) for x in shared]))
                if a.capital and b.capital:
                    score += 0.1
                    parts.append("both national capitals")
                parts = parts or [_NO_CONTEXT]
                out[(a.slug, b.slug)] = out[(b.slug, a.slug)] = (score, parts)
        return out

    @cached_property
    def _benchmark_pct(self) -> dict[tuple[str, str], float]:
        return _percentiles(self._benchmark_pairs)

    @cached_property
    def _context_pct(self) -> dict[tuple[str, str], float]:
        return _percentiles(self._context_pairs)

    def _services_pairs(self) -> dict[str, Any]:
        """Per live generation: feature vectors and pair similarities of members' services and cases."""
        docs = self.documents()
        key = self._docs_cache[0] if self._docs_cache else -1
        cached = self._services_cache.get(key)
        if cached is not None:
            return cached
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
        vecs = {slug: {f: w * math.log(1 + n / df[f]) for f, w in bag.items()} for slug, bag in bags.items()}
        norms = {slug: math.sqrt(sum(v * v for v in vec.values())) for slug, vec in vecs.items()}
        pairs: dict[tuple[str, str], tuple[float, list[str]]] = {}
        for a in sorted(vecs):
            for b in sorted(vecs):
                if a >= b:
                    continue
                shared = {f: vecs[a][f] * vecs[b][f] for f in vecs[a] if f in vecs[b]}
                if not shared:
                    pairs[(a, b)] = pairs[(b, a)] = (0.0, [_NO_TOPICS])
                    continue
                sim = sum(shared.values()) / (norms[a] * norms[b])
                tags = [f[1] for f in sorted(shared, key=lambda f: (-shared[f], f)) if f[0] == "tag"][:3]
                subs = sorted(f[1] for f in shared if f[0] == "subindicator")[:2]
                principles = sorted(f[1] for f in shared if f[0] == "principle")[:2]
                parts = []
                if tags:
                    parts.append("shared topics: " + ", ".join(tags))
                if subs:
                    parts.append("services on " + _join([self._label(s) for s in subs]))
                if principles and not (tags or subs):
                    parts.append("services on the same principles: "
                                 + _join([self._principle_names.get(p, p) for p in principles]))
                pairs[(a, b)] = pairs[(b, a)] = (sim, parts)
        result = {"cities": set(vecs), "pairs": pairs, "pct": _percentiles(pairs)}
        self._services_cache = {key: result}
        return result

    def similar(self, name: str, k: int = 5, basis: str = "all") -> dict[str, Any]:
        """The ``k`` members most like ``name`` on ``basis``, each with a short reason.

        :raise InvalidRequest: unknown basis or k out of range.
        :raise NoScores: basis ``benchmark`` for a member without published scores.
        :raise NotFound: basis ``services`` for a member without indexed services or cases.
        """
        basis = (basis or "all").strip().lower()
        if basis not in BASES:
            raise InvalidRequest(f"Unknown basis {basis!r}; use one of: {', '.join(BASES)}.")
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise InvalidRequest("k must be a whole number.") from None
        if not 1 <= k <= MAX_K:
            raise InvalidRequest(f"k must be between 1 and {MAX_K}.")
        city = self.resolve(name)
        slug = city.slug
        note = None
        others = [c.slug for c in self.catalog.cities if c.slug != slug]
        bench = self._benchmark_pairs
        services = self._services_pairs() if basis in ("services", "all") else {"cities": set(), "pairs": {}}
        has_scores = any(p[0] == slug for p in bench)
        has_services = slug in services["cities"]

        if basis == "benchmark" and not has_scores:
            rev = self.benchmark.latest_revision()
            raise NoScores(city.name, rev, [self._by_slug[s].name for s in sorted(self.benchmark.rows(rev))
                                            if s in self._by_slug])
        if basis == "services" and not has_services:
            raise NotFound(
                f"{city.name} has no services or cases in the index yet, so there is nothing to compare; "
                "try the context basis." + (f" {self.services_note}" if self.services_note else "")
            )

        scored: list[dict[str, Any]] = []
        sources = {
            "benchmark": (bench, self._benchmark_pct),
            "context": (self._context_pairs, self._context_pct),
            "services": (services["pairs"], services.get("pct", {})),
        }
        wanted = ("benchmark", "context", "services") if basis == "all" else (basis,)
        for other in others:
            used = [b for b in wanted if (slug, other) in sources[b][0]]
            if not used or (basis == "services" and sources["services"][0][(slug, other)][0] <= 0):
                continue
            raw = {b: sources[b][0][(slug, other)] for b in used}
            if basis == "all":
                pct = {b: sources[b][1][(slug, other)] for b in used}
                score = sum(WEIGHTS[b] * pct.get(b, NEUTRAL) for b in WEIGHTS)
                order = sorted(used, key=lambda b: (-WEIGHTS[b] * pct[b], b))
                short = [part for b in order for part in raw[b][1][: 2 if b == "context" else 1]
                         if part not in _NEGATIVE]
                why = "; ".join(short)  # the bases are a field of their own, not part of the reason
            else:
                score = raw[basis][0]
                why = "; ".join(raw[basis][1])
            scored.append({
                "city": other,
                "name": self._by_slug[other].name,
                "score": round(score, 3),
                "why": why,
                "bases": used,
                "by_basis": {b: round(raw[b][0], 3) for b in used},
            })
        scored.sort(key=lambda m: (-m["score"], m["city"]))
        if basis in ("benchmark", "all") and (has_scores or basis == "benchmark"):
            rev = self.benchmark.latest_revision()
            note = (f"Dashboard figures are self-assessment (revision {rev}); only members with a named "
                    "published row are compared on them.")
        if basis == "all" and not has_scores:
            note = f"{city.name} has no published dashboard row, so matches use context and services only."
        if basis == "all" and not has_services and self.services_note:
            note = ((note + " ") if note else "") + self.services_note
        return {"city": slug, "name": city.name, "basis": basis, "matches": scored[:k], "note": note}
