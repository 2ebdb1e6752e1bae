"""A UserCentriCafé session pack: examples, guides to read, members strong on the related
dashboard sub-indicators (self-assessment) and discussion prompts, for one topic.

Rendered by :mod:`app.network.examples.export` (Markdown, CSV) or as a dict for the JSON faces.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from indexer.errors import NotFound, UccError
from indexer.search import normalise_filters

from app.network.benchmark import Benchmark
from app.network.catalog import Catalog
from app.network.models import subindicator_key
from app.network.examples.export import examples_csv, examples_section, guides_section, md_cell, md_text, strong_section
from app.network.examples.finding import clean_topic, example_filters, examples, score_floor
from app.network.examples.hits import as_list, city_name
from app.network.examples.model import EXAMPLE_KINDS, GUIDE_KIND, Example, Guide, RelatedSubindicator, StrongCity
from app.network.examples.prompts import discussion_prompts
from app.network.scoring import colour, fraction

GUIDES = 3
RELATED_SUBINDICATORS = 3


@dataclass
class SessionPack:
    """Everything a moderator needs to prepare one UserCentriCafé session on a topic."""

    topic: str
    examples: list[Example]
    guides: list[Guide]
    subindicators: list[RelatedSubindicator]
    prompts: list[str]
    generated: dt.date
    revision: str | None = None
    benchmark_sources: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def benchmark_label(self) -> str:
        if self.revision is None:
            return "no dashboard scores are available"
        sources = ", ".join(self.benchmark_sources) or "the UserCentriCities benchmarking dashboard"
        return f"self-assessment, revision {self.revision}, source {sources}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "filters": self.filters,
            "generated": self.generated.isoformat(),
            "examples": [e.to_dict() for e in self.examples],
            "guides": [g.to_dict() for g in self.guides],
            "subindicators": [s.to_dict() for s in self.subindicators],
            "benchmark": {"revision": self.revision, "assessment": "self-assessment",
                          "sources": list(self.benchmark_sources), "label": self.benchmark_label},
            "prompts": list(self.prompts),
        }

    def to_csv(self) -> str:
        """One row per example; cells that a spreadsheet would run as a formula are defused."""
        return examples_csv(self.examples)

    def to_markdown(self) -> str:
        """The pack as a Markdown document: examples, guides, strong cities, prompts."""
        lines = [f"# UserCentriCafé session pack: {md_text(self.topic)}", ""]
        shown = {k: v for k, v in self.filters.items() if not (k == "kind" and sorted(v) == sorted(EXAMPLE_KINDS))}
        if shown:
            lines += ["Filters: " + "; ".join(f"{k} = {md_text(', '.join(v))}" for k, v in sorted(shown.items())), ""]
        lines += examples_section(self.examples, self.topic) + guides_section(self.guides)
        lines += strong_section(self.subindicators, self.benchmark_label, self.revision)
        lines += ["## Discussion prompts", ""]
        lines += [f"{i}. {md_cell(p)}" for i, p in enumerate(self.prompts, 1)]
        lines += [
            "",
            "---",
            "",
            f"*Generated on {self.generated.isoformat()} by the UserCentriCities assistant. Entries come from the "
            "UserCentriCities knowledge base, which paraphrases its sources; each entry lists them (follow the links "
            "or open the entry's file). Dashboard figures are self-assessment. The prompts are questions to explore, "
            "not findings.*",
            "",
        ]
        return "\n".join(lines)


def session_pack(
    searcher,
    catalog: Catalog,
    topic: str,
    n: int = 5,
    filters: dict | None = None,
    *,
    one_per_city: bool = True,
    min_score: float | None = None,
    today: dt.date | None = None,
) -> SessionPack:
    """A pack for one UserCentriCafé session on ``topic``: examples, guides to read, cities
    strong on the related sub-indicators (self-assessment), discussion prompts.

    :raise InvalidRequest: as :func:`examples`.
    """
    topic = clean_topic(topic)
    found = examples(searcher, catalog, topic, n=n, filters=filters, one_per_city=one_per_city, min_score=min_score)
    guides = related_guides(searcher, topic, filters, min_score=min_score)
    revision, sources = latest_revision(catalog)
    related = related_subindicators(catalog, found, guides, revision)
    return SessionPack(
        topic=topic,
        examples=found,
        guides=guides,
        subindicators=related,
        prompts=discussion_prompts(topic, found),
        generated=today or dt.date.today(),
        revision=revision,
        benchmark_sources=sources,
        filters=example_filters(catalog, filters),
    )


def related_guides(searcher, topic: str, filters: dict | None = None, *, k: int = GUIDES,
                   min_score: float | None = None) -> list[Guide]:
    """The toolkit guides closest to ``topic`` (above the same floor as the examples).

    Only the caller's principle, sub-indicator and tag filters apply: guides have no city,
    country or year.
    """
    flt = {key: v for key, v in normalise_filters(filters).items() if key in ("principle", "subindicator", "tag")}
    flt["kind"] = [GUIDE_KIND]
    result = searcher.search(topic, k=max(k * 3, 10), mode="hybrid", filters=flt)
    floor = score_floor(min_score, getattr(result, "encoder", ""))
    guides = []
    for hit in result.hits:
        if hit.dense_score is None or hit.dense_score < floor:
            continue
        sections = list(dict.fromkeys(p.section for p in hit.passages if p.section))
        guides.append(Guide(hit.title, hit.source, hit.doc_id, float(hit.dense_score), sections,
                            [str(s) for s in as_list(hit.metadata.get("subindicators"))]))
        if len(guides) >= k:
            break
    return guides


def latest_revision(catalog: Catalog) -> tuple[str | None, list[str]]:
    """The newest dashboard revision that has score rows, and the sources of its rows."""
    try:
        revision = Benchmark(catalog).latest_revision()
    except NotFound:
        return None, []
    return revision, sorted({r.source for r in catalog.rows(revision)})


def related_subindicators(catalog: Catalog, found: Iterable[Example], guides: Iterable[Guide],
                          revision: str | None, k: int = RELATED_SUBINDICATORS) -> list[RelatedSubindicator]:
    """The ``k`` sub-indicators most often tagged on the examples and guides, with the members
    green on each in ``revision`` (fraction of Yes answers shown as 0.67 or more)."""
    counts: Counter[str] = Counter()
    for entry in [*found, *guides]:
        counts.update(dict.fromkeys(entry.subindicators, 1))
    if not counts:
        return []
    rows = catalog.rows(revision) if revision else []
    framework = catalog.framework
    out = []
    for sub_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], subindicator_key(kv[0])))[:k]:
        name, present = _subindicator_name(framework, sub_id, revision)
        strong = []
        for row in rows:
            score = row.scores.get(sub_id)
            if score is not None and colour(score) == "green":
                strong.append(StrongCity(row.city, city_name(catalog, row.city) or row.city, str(score),
                                         float(fraction(score))))
        strong.sort(key=lambda s: (-s.fraction, s.name))
        out.append(RelatedSubindicator(sub_id, name, count, revision, strong, present))
    return out


def _subindicator_name(framework, sub_id: str, revision: str | None) -> tuple[str, bool]:
    if revision is not None:
        try:
            return framework.revision(revision).subindicator(sub_id).name, True
        except UccError:
            pass
    for rev in framework.revisions:
        for s in rev.subindicators:
            if s.id == sub_id:
                return s.name, False
    return "(not in the dashboard framework)", False

