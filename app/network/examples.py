"""Examples for UserCentriCafé moderators: services and cases on a topic, and a session pack.

Each month one member presents a service at the UserCentriCafé and peers discuss it.
A moderator preparing a session needs a few comparable examples from other members,
the toolkit guides worth reading beforehand, the members that rate themselves strong
on the related dashboard sub-indicators, and some questions to open the discussion::

    found = examples(searcher, catalog, "proactive services", n=5)
    pack = session_pack(searcher, catalog, "proactive services")
    pack.to_markdown(); pack.to_csv(); pack.to_dict()

Everything comes from the knowledge base: summaries are the entries' own first
sentences, dashboard figures are the cities' self-assessment, and the discussion
prompts are questions built from fixed templates, never claims.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from indexer.errors import InvalidRequest, UccError
from indexer.search import Hit, MAX_QUERY_CHARS, normalise_filters

from app.network.catalog import Catalog
from app.links import http_url
from app.network.scoring import colour, fraction
from app.answering.sentences import split_sentences

EXAMPLE_KINDS = ("service", "case")
GUIDE_KIND = "guide"
MAX_N = 20
CANDIDATES = 50  # hits asked from the searcher before the one-per-city rule and the floor
GUIDES = 3
RELATED_SUBINDICATORS = 3
SUMMARY_CHARS = 240
SUMMARY_SECTIONS = ("in a nutshell", "problem")

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
CSV_COLUMNS = ("title", "city", "country", "year", "kind", "summary", "url", "source_file")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- data ---------------------------------------------------------------------


@dataclass
class Example:
    """One service or case that illustrates a topic."""

    title: str
    city: str | None  # slug
    city_name: str | None
    country: str | None
    year: int | None
    kind: str | None
    summary: str
    url: str | None
    doc_id: str
    source: str
    score: float  # raw cosine similarity of the entry's best passage to the topic
    award: dict[str, Any] | None = None
    subindicators: list[str] = field(default_factory=list)
    principles: list[str] = field(default_factory=list)
    member: bool = True
    tags: list[str] = field(default_factory=list)
    status: str | None = None
    has_outcomes: bool = False
    services: list[str] = field(default_factory=list)  # services a case is about (slugs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "city": self.city,
            "city_name": self.city_name,
            "country": self.country,
            "year": self.year,
            "kind": self.kind,
            "summary": self.summary,
            "url": self.url,
            "doc_id": self.doc_id,
            "source": self.source,
            "score": round(self.score, 4),
            "award": self.award,
            "subindicators": list(self.subindicators),
            "principles": list(self.principles),
            "member": self.member,
        }


@dataclass
class Guide:
    """A toolkit guide worth reading before the session."""

    title: str
    source: str
    doc_id: str
    score: float
    sections: list[str] = field(default_factory=list)  # the sections that matched the topic
    subindicators: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "source": self.source,
            "doc_id": self.doc_id,
            "score": round(self.score, 4),
            "sections": list(self.sections),
            "subindicators": list(self.subindicators),
        }


@dataclass
class StrongCity:
    city: str  # slug
    name: str
    score: str  # "yes/n"
    fraction: float

    def to_dict(self) -> dict[str, Any]:
        return {"city": self.city, "name": self.name, "score": self.score, "fraction": round(self.fraction, 4)}


@dataclass
class RelatedSubindicator:
    """A dashboard sub-indicator the examples and guides are tagged with, and who is green on it."""

    id: str
    name: str
    entries: int  # examples and guides tagged with it
    revision: str | None
    strong: list[StrongCity] = field(default_factory=list)
    in_revision: bool = True  # False: the latest revision has no such sub-indicator

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "entries": self.entries,
            "revision": self.revision,
            "in_revision": self.in_revision,
            "strong_cities": [s.to_dict() for s in self.strong],
        }


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
        return _markdown(self)


# --- examples -----------------------------------------------------------------


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
) -> list[Example]:
    """Up to ``n`` services and cases on ``topic``, best first.

    :param filters: search filters (city, country, kind, principle, subindicator, year, tag),
        merged with the kinds service and case.
    :param one_per_city: keep only the best entry of each city (and never a case next to the
        service it describes); False lifts the city rule.
    :param min_score: least raw cosine of an entry's best passage (default
        :data:`DEFAULT_MIN_SCORE`); weaker matches are dropped even if fewer than ``n`` remain.
    :raise InvalidRequest: empty topic, ``n`` outside 1–20, a bad filter.
    """
    topic = clean_topic(topic)
    n = _check_n(n)
    flt = example_filters(catalog, filters)
    floor = DEFAULT_MIN_SCORE if min_score is None else float(min_score)
    # Hybrid mode ranks best on the dev set and scores every candidate's raw cosine, which
    # the floor needs (BM25 mode has none).
    result = searcher.search(topic, k=CANDIDATES, mode="hybrid", filters=flt)
    chosen: list[Hit] = []
    seen_cities: set[str] = set()
    for hit in result.hits:
        cosine = hit.dense_score
        if cosine is None or cosine < floor:
            continue
        city = _hit_city(hit)
        if one_per_city and city is not None and city in seen_cities:
            continue
        if any(same_project(hit, other) for other in chosen):
            continue  # a case next to the service it describes: one example, not two
        chosen.append(hit)
        if city is not None:
            seen_cities.add(city)
        if len(chosen) >= n:
            break
    summaries = _summary_passages(searcher, chosen)
    return [_example(hit, catalog, summaries.get(hit.doc_id)) for hit in chosen]


def same_project(a: Hit, b: Hit) -> bool:
    """Whether two entries describe the same project: a case and the service it is mainly
    about (the first of its ``services``), or two entries with the same link."""
    if a.url and a.url == b.url:
        return True
    for case, other in ((a, b), (b, a)):
        linked = _as_list(case.metadata.get("services"))
        if linked and str(linked[0]) == _slug(other.source) and other.kind == "service":
            return True
    return False


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _slug(source: str) -> str:
    return source.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _hit_city(hit: Hit) -> str | None:
    if hit.city:
        return hit.city
    cities = _as_list(hit.metadata.get("cities"))
    return str(cities[0]) if cities else None


def _is_summary_section(section: str | None) -> bool:
    top = (section or "").split(" > ")[0].strip().lower()
    return top in SUMMARY_SECTIONS


def _summary_passages(searcher, hits: list[Hit]) -> dict[str, str]:
    """doc_id -> the text of its "In a nutshell" (service) or "Problem" (case) passage."""
    out: dict[str, str] = {}
    wanted = {h.doc_id for h in hits}
    if not wanted:
        return out
    cities = {_hit_city(h) for h in hits}
    flt: dict[str, Any] = {"kind": sorted({h.kind for h in hits if h.kind} or set(EXAMPLE_KINDS))}
    if None not in cities and all(h.city for h in hits):
        flt["city"] = sorted(cities)
    try:
        firsts = {d.doc_id: d for d in searcher.list_documents(flt, limit=5000) if d.doc_id in wanted}
    except UccError:
        firsts = {}
    for hit in hits:
        doc = firsts.get(hit.doc_id)
        first = doc.passages[0] if doc is not None and doc.passages else None
        if first is not None and _is_summary_section(first.section):
            out[hit.doc_id] = first.text
            continue
        matched = [p for p in hit.passages if _is_summary_section(p.section)]
        if matched:  # a best passage from the summary section (maybe not its start)
            out[hit.doc_id] = matched[0].text
        elif first is not None:
            out[hit.doc_id] = first.text
        elif hit.passages:
            out[hit.doc_id] = hit.passages[0].text
    return out


def _example(hit: Hit, catalog: Catalog | None, summary_text: str | None) -> Example:
    meta = hit.metadata
    city = _hit_city(hit)
    city_name, country = _city_name(catalog, city), hit.country
    if country is None and catalog is not None and city is not None:
        try:
            country = catalog.city(city).country
        except UccError:
            pass
    award = meta.get("award")
    return Example(
        title=hit.title,
        city=city,
        city_name=city_name,
        country=country,
        year=hit.year,
        kind=hit.kind,
        summary=summarise(summary_text or ""),
        url=hit.url or next((str(s) for s in _as_list(meta.get("sources")) if s), None),
        doc_id=hit.doc_id,
        source=hit.source,
        score=float(hit.dense_score or 0.0),
        award=dict(award) if isinstance(award, dict) else None,
        subindicators=[str(s) for s in _as_list(meta.get("subindicators"))],
        principles=[str(p) for p in _as_list(meta.get("principles"))],
        member=meta.get("member") is not False,
        tags=[str(t).lower() for t in _as_list(meta.get("tags"))],
        status=str(meta["status"]) if meta.get("status") else None,
        has_outcomes=bool(meta.get("outcomes")),
        services=[str(s) for s in _as_list(meta.get("services"))],
    )


def _city_name(catalog: Catalog | None, slug: str | None) -> str | None:
    if slug is None:
        return None
    if catalog is not None:
        try:
            return catalog.city(slug).name
        except UccError:
            pass
    return " ".join(w.capitalize() for w in slug.split("-"))


# --- summaries ----------------------------------------------------------------

def summarise(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first one or two sentences of ``text``, verbatim, within about ``limit`` characters."""
    parts = split_sentences(" ".join(text.split()))
    if not parts:
        return ""
    summary = parts[0]
    if len(parts) > 1 and len(summary) + 1 + len(parts[1]) <= limit:
        summary += " " + parts[1]
    if len(summary) > limit:
        cut = summary[: limit - 2].rsplit(" ", 1)[0].rstrip(",;:")
        summary = cut + " …"
    return summary


# --- session pack -------------------------------------------------------------


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
    floor = DEFAULT_MIN_SCORE if min_score is None else float(min_score)
    result = searcher.search(topic, k=max(k * 3, 10), mode="hybrid", filters=flt)
    guides = []
    for hit in result.hits:
        if hit.dense_score is None or hit.dense_score < floor:
            continue
        sections = list(dict.fromkeys(p.section for p in hit.passages if p.section))
        guides.append(Guide(hit.title, hit.source, hit.doc_id, float(hit.dense_score), sections,
                            [str(s) for s in _as_list(hit.metadata.get("subindicators"))]))
        if len(guides) >= k:
            break
    return guides


def latest_revision(catalog: Catalog) -> tuple[str | None, list[str]]:
    """The newest dashboard revision that has score rows, and the sources of its rows."""
    def key(rev: str) -> tuple[int, str]:
        digits = re.sub(r"\D", "", rev)
        return (int(digits) if digits else -1, rev)

    for rev in sorted(catalog.framework.revision_ids, key=key, reverse=True):
        rows = catalog.rows(rev)
        if rows:
            return rev, sorted({r.source for r in rows})
    return None, []


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
    for sub_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], _sub_key(kv[0])))[:k]:
        name, present = _subindicator_name(framework, sub_id, revision)
        strong = []
        for row in rows:
            score = row.scores.get(sub_id)
            if score is not None and colour(score) == "green":
                strong.append(StrongCity(row.city, _city_name(catalog, row.city) or row.city, str(score),
                                         float(fraction(score))))
        strong.sort(key=lambda s: (-s.fraction, s.name))
        out.append(RelatedSubindicator(sub_id, name, count, revision, strong, present))
    return out


def _sub_key(sub_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in sub_id.split("."))


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


# --- discussion prompts -------------------------------------------------------

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


def discussion_prompts(topic: str, found: list[Example], most: int = 5) -> list[str]:
    """Three to five questions for the discussion, from templates filled with the topic and
    the examples. Specific questions are asked only of examples whose metadata fits them."""
    topic = clean_topic(topic)
    specific: list[str] = []
    used: set[str] = set()

    def pick(test) -> Example | None:
        for e in found:
            if e.doc_id not in used and e.city_name and test(e):
                used.add(e.doc_id)
                return e
        return None

    def tagged(e: Example, wanted: set[str]) -> bool:
        return bool(wanted & set(e.tags))

    rules = [
        (lambda e: "proactive services" in e.tags and tagged(e, _ELIGIBILITY_TAGS),
         "How did {city} decide who is eligible without an application ({short}), and what happens to people "
         "the data misses?"),
        (lambda e: tagged(e, _ONCE_ONLY_TAGS),
         "Which existing data does {city} reuse for {short}, and what legal basis or agreement allows it?"),
        (lambda e: tagged(e, _INCLUSION_TAGS),
         "What does {short} in {city} offer residents who cannot or will not use online services on their own?"),
        (lambda e: tagged(e, _REPORTING_TAGS),
         "How do residents learn what happened after reporting a problem through {short} in {city}?"),
        (lambda e: tagged(e, _CODESIGN_TAGS),
         "At which stages were residents or staff involved in shaping {short} in {city}, and what changed "
         "because of it?"),
        (lambda e: e.has_outcomes,
         "Which figures does {city} report for {short}, how were they collected, and what would you measure in "
         "your own city?"),
        (lambda e: e.status in _STATUS_WORDS,
         "What would {city} need to take {short} from {status} to an everyday service?"),
    ]
    for test, template in rules:
        if len(specific) >= max(most - 2, 0):
            break
        e = pick(test)
        if e is not None:
            specific.append(template.format(city=e.city_name, short=_quote(entry_name(e)),
                                            status=_STATUS_WORDS.get(e.status or "", e.status)))
    prompts: list[str] = []
    if found:
        names = _join(list(dict.fromkeys(e.city_name for e in found if e.city_name))[:3])
        if names:
            prompts.append(f"Looking at {names}: which approach to {topic} would work in your own city, and what "
                           "would have to change first?")
        else:
            prompts.append(f"Which of these approaches to {topic} would work in your own city, and what would have "
                           "to change first?")
    else:
        prompts.append(f"Which member city could present its work on {topic} at a future session?")
    prompts.extend(specific)
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


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# --- CSV ----------------------------------------------------------------------


def safe_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (leading apostrophe)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def examples_csv(found: Iterable[Example]) -> str:
    """The examples as CSV: a header row, then one row per example."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for e in found:
        writer.writerow([safe_cell(v) for v in (e.title, e.city_name or e.city, e.country, e.year, e.kind,
                                                 e.summary, e.url, e.source)])
    return buf.getvalue()


# --- Markdown -----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_text(text: Any) -> str:
    """Text safe inside a Markdown table cell or link label: one line, specials escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))


def md_cell(text: Any) -> str:
    """Prose in a table cell: one line, only what breaks a table or a link escaped."""
    return re.sub(r"([\\|\[\]<>])", r"\\\1", " ".join(str(text or "").split()))


def md_url(url: str | None) -> str | None:
    """An http(s) URL usable as a Markdown link target, or None."""
    url = http_url(str(url or "").strip().replace(" ", "%20"))
    if not url:
        return None
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def md_link(label: str, url: str | None) -> str:
    target = md_url(url)
    return f"[{md_text(label)}]({target})" if target else md_text(label)


def _markdown(pack: SessionPack) -> str:
    lines = [f"# UserCentriCafé session pack: {md_text(pack.topic)}", ""]
    if pack.filters:
        shown = {k: v for k, v in pack.filters.items() if not (k == "kind" and sorted(v) == sorted(EXAMPLE_KINDS))}
        if shown:
            lines += ["Filters: " + "; ".join(f"{k} = {md_text(', '.join(v))}" for k, v in sorted(shown.items())), ""]

    lines += ["## Examples", ""]
    if pack.examples:
        lines += ["| # | Example | City | Year | Kind | In short |", "|---|---|---|---|---|---|"]
        for i, e in enumerate(pack.examples, 1):
            city = md_text(e.city_name or e.city or "–")
            if e.country:
                city += f" ({md_text(e.country)})"
            if not e.member:
                city += " — not a member"
            kind = md_text(e.kind or "")
            if e.award and e.award.get("result"):
                kind += f"; award {md_text(e.award.get('result'))} {md_text(e.award.get('year') or '')}".rstrip()
            lines.append(f"| {i} | {md_link(e.title, e.url)} | {city} | {e.year or '–'} | {kind} | "
                         f"{md_cell(e.summary)} |")
        lines.append("")
        lines.append("Year: the year recorded in the entry; – where the knowledge base records none.")
    else:
        lines.append(f"No service or case in the knowledge base matches “{md_text(pack.topic)}” closely enough. "
                     "Try a broader topic, or ask members to add their service.")
    lines.append("")

    lines += ["## Guides to read", ""]
    if pack.guides:
        for g in pack.guides:
            where = f" (knowledge base: `{g.source.replace('`', '')}`"
            where += f"; see {md_text(', '.join(g.sections[:2]))})" if g.sections else ")"
            lines.append(f"- **{md_text(g.title)}**{where}")
    else:
        lines.append("No toolkit guide matches this topic closely enough.")
    lines.append("")

    lines += ["## Cities strong on the related sub-indicators", ""]
    if pack.subindicators:
        lines.append(f"Dashboard figures: {md_text(pack.benchmark_label)}. Strong means green on the dashboard: "
                     "a share of Yes answers of 0.67 or more. These are the cities' own answers, not an audit.")
        lines += ["", "| Sub-indicator | Tagged entries | Strong cities (Yes answers) |", "|---|---|---|"]
        for s in pack.subindicators:
            if not s.in_revision:
                strong = f"not in revision {md_text(pack.revision)}" if pack.revision else "no scores"
            elif s.strong:
                strong = ", ".join(f"{md_text(c.name)} ({c.score})" for c in s.strong)
            else:
                strong = "none green"
            lines.append(f"| {md_text(s.id)} {md_text(s.name)} | {s.entries} | {strong} |")
    else:
        lines.append("No related sub-indicators: no example or guide was found.")
    lines.append("")

    lines += ["## Discussion prompts", ""]
    lines += [f"{i}. {md_cell(p)}" for i, p in enumerate(pack.prompts, 1)]
    lines += [
        "",
        "---",
        "",
        f"*Generated on {pack.generated.isoformat()} by the UserCentriCities assistant. Entries come from the "
        "UserCentriCities knowledge base, which paraphrases its sources; each entry lists them (follow the links "
        "or open the entry's file). Dashboard figures are self-assessment. The prompts are questions to explore, "
        "not findings.*",
        "",
    ]
    return "\n".join(lines)
