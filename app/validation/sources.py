"""The sources report (``ucc validate --sources``): per entry, its sources and the facts each supports.

An entry is a Markdown file, a member of ``cities.yaml`` (and the membership count), a partner or
the consortium of ``network/partners.yaml``, or an award of ``network/awards.yaml``. Facts come
from the entries' own data: outcomes, conflicts (followed and other values), members' context
facts and population sources, partners' context facts, consortium snapshots, and award steps,
finalists and winners. A listed source with no fact supports the prose only. The report reads
what it can and skips what it cannot: ``ucc validate`` says what is wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from indexer.errors import DatasetError, NotFound

from app.network import catalog as cat
from app.network.frontmatter import split_front_matter
from app.validation.dates import date_text
from app.validation.documents import markdown_files
from app.validation.problems import as_list

_AWARD_STEPS = ("call_opened", "call_deadline", "finalists_announced", "ceremony")


@dataclass
class SourceFacts:
    """One source of an entry and the facts it supports in the entry's data."""

    source: str
    listed: bool
    facts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EntrySources:
    """One entry (a Markdown file, a member, a partner, an award, ...) and its sources."""

    file: str
    entry: str
    kind: str
    title: str
    city: str | None = None
    sources: list[SourceFacts] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``services/kyiv-digital.md`` or ``cities.yaml#kronoberg``."""
        return self.file if self.entry == Path(self.file).stem else f"{self.file}#{self.entry}"

    @property
    def listed(self) -> set[str]:
        """The sources the entry lists itself (not only cited by a fact)."""
        return {s.source for s in self.sources if s.listed}

    def add(self, source: Any, fact: dict[str, Any] | None = None, listed: bool = False) -> None:
        """Record ``source`` (listed in the entry's sources, or cited by ``fact``)."""
        if not isinstance(source, str) or not source.strip():
            return
        for s in self.sources:
            if s.source == source:
                break
        else:
            s = SourceFacts(source, listed)
            self.sources.append(s)
        s.listed = s.listed or listed
        if fact is not None:
            s.facts.append({k: v for k, v in fact.items() if v is not None})

    def add_listed(self, sources: Any) -> None:
        """Record the entry's own ``sources`` list."""
        for source in as_list(sources):
            self.add(source, listed=True)

    def add_conflicts(self, conflicts: Any) -> None:
        """Record the sources of a ``conflicts`` list: the followed value's and the others'."""
        for raw in as_list(conflicts):
            if not isinstance(raw, dict):
                continue
            about = raw.get("about", "?")
            followed = raw.get("followed")
            if isinstance(followed, dict):
                self.add(followed.get("source"), _fact("conflict, followed", f"{about}: {followed.get('value')}",
                                                       followed.get("date")))
            for other in as_list(raw.get("others")):
                if isinstance(other, dict):
                    self.add(other.get("source"), _fact("conflict, other value", f"{about}: {other.get('value')}",
                                                        other.get("date")))

    def matches(self, name: str) -> bool:
        """Whether ``--entry name`` selects this entry: its file, slug, key or city."""
        return name in (self.file, self.entry, self.key, Path(self.file).stem, self.city)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "entry": self.entry, "key": self.key, "kind": self.kind, "title": self.title,
                "city": self.city, "sources": [s.to_dict() for s in self.sources]}


def sources_report(knowledge_dir: str | Path, entry: str | None = None) -> list[EntrySources]:
    """Per entry, its sources and the facts each one supports, from the entries' own data.

    Members first, then partners, the consortium and awards, then the Markdown entries.
    ``entry`` keeps the entries whose file, slug, key or city it names.
    """
    root = Path(knowledge_dir)
    if not root.is_dir():
        raise NotFound(f"knowledge folder {root} does not exist")
    members = _cities_entries(root)
    _add_snapshots(root, members)
    documents = _markdown_entries(root)
    _add_award_facts(root, documents, _services_of(root, documents))
    entries = members + _partner_entries(root) + _award_entries(root) + documents
    if entry:
        entries = [e for e in entries if e.matches(entry)]
    return entries


def _fact(kind: str, text: Any, date: Any = None, **extra: Any) -> dict[str, Any]:
    return {"fact": kind, "text": " ".join(str(text).split()), "date": date_text(date), **extra}


def _optional_mapping(root: Path, rel: str) -> dict | None:
    """An optional data file of the sources report, or None when it is absent or not a readable
    mapping (``ucc validate`` itself reports why)."""
    path = root / rel
    try:
        data = cat.read_yaml(path) if path.is_file() else None
    except DatasetError:
        return None
    return data if isinstance(data, dict) else None


def _front_matter(path: Path) -> dict[str, Any] | None:
    try:
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return None
    return meta


# --- members -----------------------------------------------------------------------


def _cities_entries(root: Path) -> list[EntrySources]:
    try:
        data = cat.read_yaml(root / cat.CITIES_FILE)
    except DatasetError:
        return []
    if not isinstance(data, dict):
        return []
    out = []
    membership = data.get("membership")
    if isinstance(membership, dict):
        e = EntrySources(cat.CITIES_FILE, "membership", "members", "Membership count")
        e.add_listed(membership.get("sources"))
        out.append(e)
    conflicts = [c for c in as_list(data.get("conflicts")) if isinstance(c, dict)]
    for raw in as_list(data.get("cities")):
        if isinstance(raw, dict) and raw.get("slug"):
            out.append(_member_entry(raw, conflicts))
    return out


def _member_entry(raw: dict[str, Any], conflicts: list[dict[str, Any]]) -> EntrySources:
    slug = raw["slug"]
    e = EntrySources(cat.CITIES_FILE, slug, "member", str(raw.get("name", slug)), slug)
    e.add_listed(raw.get("sources"))
    for fact in as_list(raw.get("context")):
        if isinstance(fact, dict):
            e.add(fact.get("source"), _fact("context", fact.get("text")))
    pop = raw.get("population_source")
    if isinstance(pop, str) and pop.startswith("http"):
        e.add(pop, _fact("population", f"about {raw.get('population_approx')}"))
    e.add_conflicts([c for c in conflicts if c.get("city") == slug])
    return e


def _add_snapshots(root: Path, entries: list[EntrySources]) -> None:
    """A member listed in a consortium snapshot of partners.yaml: that source supports its membership
    (shown where the member lists the source)."""
    data = _optional_mapping(root, cat.PARTNERS_FILE)
    if data is None:
        return
    members = {e.entry: e for e in entries if e.kind == "member"}
    for snap in as_list(data.get("consortium")):
        if not isinstance(snap, dict):
            continue
        for slug in as_list(snap.get("members")):
            e = members.get(slug)
            if e and snap.get("source") in e.listed:
                e.add(snap["source"], _fact("member", f"listed in the consortium ({cat.PARTNERS_FILE})",
                                            snap.get("date")))


# --- Markdown entries ----------------------------------------------------------------


def _markdown_entries(root: Path) -> list[EntrySources]:
    out = []
    for path in markdown_files(root):
        rel = path.relative_to(root).as_posix()
        meta = _front_matter(path)
        if not meta:
            continue
        city = meta.get("city") if isinstance(meta.get("city"), str) else None
        e = EntrySources(rel, path.stem, str(meta.get("kind", "?")), str(meta.get("title", path.stem)), city)
        e.add_listed(meta.get("sources"))
        for item in as_list(meta.get("outcomes")):
            if isinstance(item, dict):
                e.add(item.get("source"), _fact("outcome", item.get("text", ""), item.get("date")))
        e.add_conflicts(meta.get("conflicts"))
        out.append(e)
    return out


def _services_of(root: Path, documents: list[EntrySources]) -> dict[str, list[str]]:
    """The services each document is about: a service itself, a case's ``services``."""
    out = {}
    for e in documents:
        if e.kind == "service":
            out[e.file] = [e.entry]
            continue
        meta = _front_matter(root / e.file)
        if e.kind == "case" and meta:
            out[e.file] = [x for x in as_list(meta.get("services")) if isinstance(x, str)]
    return out


# --- partners and awards ---------------------------------------------------------------


def _partner_entries(root: Path) -> list[EntrySources]:
    """Each partner of partners.yaml, then the consortium at dated moments (when it has sources)."""
    rel = cat.PARTNERS_FILE
    data = _optional_mapping(root, rel)
    if data is None:
        return []
    out = []
    for raw in as_list(data.get("partners")):
        if not isinstance(raw, dict):
            continue
        e = EntrySources(rel, str(raw.get("id", "?")), "partner", str(raw.get("name", "?")))
        e.add_listed(raw.get("sources"))
        for fact in as_list(raw.get("context")):
            if isinstance(fact, dict):
                e.add(fact.get("source"), _fact("context", fact.get("text"), fact.get("date")))
        out.append(e)
    e = EntrySources(rel, "consortium", "consortium", "The consortium at dated moments")
    for snap in as_list(data.get("consortium")):
        if isinstance(snap, dict):
            e.add(snap.get("source"), _fact("consortium", snap.get("text"), snap.get("date")), listed=True)
    if e.sources:
        out.append(e)
    return out


def _award_entries(root: Path) -> list[EntrySources]:
    data = _optional_mapping(root, cat.AWARDS_FILE)
    if data is None:
        return []
    return [_award_entry(raw) for raw in as_list(data.get("awards")) if isinstance(raw, dict)]


def _award_entry(raw: dict[str, Any]) -> EntrySources:
    """One year's award: its steps, submissions, jury, finalists, winner and conflicts."""
    year = raw.get("year", "?")
    e = EntrySources(cat.AWARDS_FILE, str(year), "award", f"{raw.get('name', 'Award')} {year}")
    e.add_listed(raw.get("sources"))
    for name in _AWARD_STEPS:
        step = raw.get(name)
        if isinstance(step, dict):
            label = name.replace("_", " ")
            text = ": ".join(str(x) for x in (step.get("place"), step.get("text")) if x) or label
            e.add(step.get("source"), _fact(label, text, step.get("date")))
    sub = raw.get("submissions")
    if isinstance(sub, dict):
        where = f" from {sub['cities_and_regions']} cities and regions" if sub.get("cities_and_regions") else ""
        e.add(sub.get("source"), _fact("submissions", f"{sub.get('count')} services{where}", sub.get("date")))
    jury = raw.get("jury")
    if isinstance(jury, dict):
        e.add(jury.get("source"), _fact("jury", jury.get("text"), jury.get("date")))
    for f in as_list(raw.get("finalists")):
        if isinstance(f, dict):
            e.add(f.get("source"), _fact("finalist", f"{f.get('city')}: {f.get('service') or f.get('service_note')}"))
    w = raw.get("winner")
    if isinstance(w, dict):
        e.add(w.get("source"), _fact("winner", f"{w.get('city')}: {w.get('service')}", confidence=w.get("confidence")))
    e.add_conflicts(raw.get("conflicts"))
    return e


def _add_award_facts(root: Path, entries: list[EntrySources], docs_services: dict[str, list[str]]) -> None:
    """A service (or a case about it) that is a finalist or winner in awards.yaml: that source supports it
    (shown where the entry lists the source)."""
    data = _optional_mapping(root, cat.AWARDS_FILE)
    if data is None:
        return
    for raw in as_list(data.get("awards")):
        if not isinstance(raw, dict):
            continue
        picks = [("finalist", f) for f in as_list(raw.get("finalists"))] + [("winner", raw.get("winner"))]
        for role, pick in picks:
            if not isinstance(pick, dict) or not pick.get("service"):
                continue
            for e in entries:
                if pick["service"] in docs_services.get(e.file, []) and pick.get("source") in e.listed:
                    e.add(pick["source"], _fact(f"award {role}", f"{raw.get('year')} ({cat.AWARDS_FILE})"))
