"""Member profiles and similar members: the directory of the network's members.

A profile joins three things about one member: its context (``cities.yaml``:
country, type, approximate size, languages), its dashboard scores (if it has a
named published row, via :class:`app.network.benchmark.Benchmark`) and its services and
cases (documents of the live index, via :meth:`indexer.search.Searcher.list_documents`)::

    directory = CityDirectory(catalog, searcher)
    directory.resolve("Göteborg").slug                  # "gothenburg"
    directory.profile("Gent")
    directory.similar("Milano", k=3, basis="benchmark")

Names are resolved by :class:`app.network.names.MemberNames`. ``similar`` compares members on
one basis (:mod:`app.network.similarity` computes each):

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

from functools import cached_property
from typing import Any

from indexer.errors import IndexNotBuilt, InvalidRequest, NotFound, UccError

from app.errors import NoScores
from app.network import similarity
from app.network.benchmark import LABEL, Benchmark
from app.network.catalog import Catalog
from app.network.models import City
from app.network.names import MemberNames
from app.network.wording import language_name

BASES = ("benchmark", "context", "services", "all")
MAX_K = 25
DOC_KINDS = ("service", "case")
POPULATION_NOTE = "approximate: background knowledge, not a cited figure"


def population_band(population: int | None) -> str | None:
    if population is None:
        return None
    for limit, label in ((100_000, "under 100,000"), (300_000, "100,000 to 300,000"),
                         (700_000, "300,000 to 700,000"), (2_000_000, "700,000 to 2 million")):
        if population < limit:
            return label
    return "over 2 million"


def _doc_cities(meta: dict[str, Any], fallback: str | None) -> list[str]:
    out: list[str] = []
    for key in ("city", "cities"):
        value = meta.get(key)
        values = value if isinstance(value, (list, tuple)) else [value]
        out += [str(v).strip().lower() for v in values if v]
    if not out and fallback:
        out = [fallback]
    return list(dict.fromkeys(out))


def _check_k(k: Any) -> int:
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise InvalidRequest("k must be a whole number.") from None
    if not 1 <= k <= MAX_K:
        raise InvalidRequest(f"k must be between 1 and {MAX_K}.")
    return k


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
    def names(self) -> MemberNames:
        return MemberNames(self.catalog.cities)

    @property
    def _by_slug(self) -> dict[str, City]:
        return self.names.by_slug

    def resolve(self, name: str) -> City:
        """The member called ``name``: slug, English or local name, known spelling, or a close typo.

        :raise UnknownCity: nothing matches closely enough (with the 3 closest names).
        """
        return self.names.resolve(name)

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The English names of the ``n`` members closest to ``name``."""
        return self.names.suggestions(name, n)

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
            "languages": [language_name(code) for code in c.languages],
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
    def _benchmark_pairs(self) -> similarity.Pairs:
        return similarity.benchmark_pairs(self.benchmark, self._label)

    @cached_property
    def _context_pairs(self) -> similarity.Pairs:
        return similarity.context_pairs(self.catalog.cities)

    @cached_property
    def _benchmark_pct(self) -> dict[tuple[str, str], float]:
        return similarity.percentiles(self._benchmark_pairs)

    @cached_property
    def _context_pct(self) -> dict[tuple[str, str], float]:
        return similarity.percentiles(self._context_pairs)

    def _services_pairs(self) -> dict[str, Any]:
        """Per live generation: feature vectors and pair similarities of members' services and cases."""
        docs = self.documents()
        key = self._docs_cache[0] if self._docs_cache else -1
        cached = self._services_cache.get(key)
        if cached is not None:
            return cached
        result = similarity.services_pairs(docs, self._label, self._principle_names)
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
        k = _check_k(k)
        city = self.resolve(name)
        slug = city.slug
        bench = self._benchmark_pairs
        services = self._services_pairs() if basis in ("services", "all") else {"cities": set(), "pairs": {}}
        has_scores = any(p[0] == slug for p in bench)
        has_services = slug in services["cities"]
        self._check_basis(city, basis, has_scores, has_services)
        sources = {
            "benchmark": (bench, self._benchmark_pct),
            "context": (self._context_pairs, self._context_pct),
            "services": (services["pairs"], services.get("pct", {})),
        }
        others = [c.slug for c in self.catalog.cities if c.slug != slug]
        scored = [m for m in (self._match(slug, other, basis, sources) for other in others) if m is not None]
        scored.sort(key=lambda m: (-m["score"], m["city"]))
        note = self._similar_note(city, basis, has_scores, has_services)
        return {"city": slug, "name": city.name, "basis": basis, "matches": scored[:k], "note": note}

    def _check_basis(self, city: City, basis: str, has_scores: bool, has_services: bool) -> None:
        """:class:`NoScores` or :class:`NotFound` when ``city`` cannot be compared on ``basis`` alone."""
        if basis == "benchmark" and not has_scores:
            rev = self.benchmark.latest_revision()
            raise NoScores(city.name, rev, [self._by_slug[s].name for s in sorted(self.benchmark.rows(rev))
                                            if s in self._by_slug])
        if basis == "services" and not has_services:
            raise NotFound(
                f"{city.name} has no services or cases in the index yet, so there is nothing to compare; "
                "try the context basis." + (f" {self.services_note}" if self.services_note else "")
            )

    def _match(self, slug: str, other: str, basis: str, sources: dict[str, tuple[dict, dict]]) -> dict[str, Any] | None:
        """How much ``other`` is like ``slug`` on ``basis``, and why; None when it is not comparable."""
        wanted = ("benchmark", "context", "services") if basis == "all" else (basis,)
        used = [b for b in wanted if (slug, other) in sources[b][0]]
        if not used or (basis == "services" and sources["services"][0][(slug, other)][0] <= 0):
            return None
        raw = {b: sources[b][0][(slug, other)] for b in used}
        if basis == "all":
            pct = {b: sources[b][1][(slug, other)] for b in used}
            score = sum(w * pct.get(b, similarity.NEUTRAL) for b, w in similarity.WEIGHTS.items())
            order = sorted(used, key=lambda b: (-similarity.WEIGHTS[b] * pct[b], b))
            short = [part for b in order for part in raw[b][1][: 2 if b == "context" else 1]
                     if part not in similarity.NEGATIVE]
            why = "; ".join(short)  # the bases are a field of their own, not part of the reason
        else:
            score = raw[basis][0]
            why = "; ".join(raw[basis][1])
        return {
            "city": other,
            "name": self._by_slug[other].name,
            "score": round(score, 3),
            "why": why,
            "bases": used,
            "by_basis": {b: round(raw[b][0], 3) for b in used},
        }

    def _similar_note(self, city: City, basis: str, has_scores: bool, has_services: bool) -> str | None:
        note = None
        if basis in ("benchmark", "all") and (has_scores or basis == "benchmark"):
            rev = self.benchmark.latest_revision()
            note = (f"Dashboard figures are self-assessment (revision {rev}); only members with a named "
                    "published row are compared on them.")
        if basis == "all" and not has_scores:
            note = f"{city.name} has no published dashboard row, so matches use context and services only."
        if basis == "all" and not has_services and self.services_note:
            note = ((note + " ") if note else "") + self.services_note
        return note
