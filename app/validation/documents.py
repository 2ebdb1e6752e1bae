"""Markdown entries of the knowledge folder: front matter, references, body sections.

Every Markdown file (except ``README.md`` and hidden folders) has YAML front matter whose
``kind`` is one of :data:`app.validation.schemas.SCHEMAS` and which fits that kind's schema;
city slugs, principle ids and sub-indicator ids exist; ``services:`` names service files that
exist; services and cases name their member city (unless ``member: false``) and have their body
sections; file stems are unique within a kind; outcomes and conflicts cite listed sources
(:mod:`app.validation.claims`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.network.catalog import SERVICES_DIR
from app.network.frontmatter import split_front_matter
from app.validation.claims import check_conflicts, check_outcomes
from app.validation.problems import Problem, Report, as_list, pydantic_problems
from app.validation.schemas import REQUIRED_SECTIONS, SCHEMAS

_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


@dataclass
class Ids:
    """The ids an entry may refer to: member slugs, principles, sub-indicators, service files."""

    cities: set[str]
    principles: set[str]
    subindicators: set[str]
    service_stems: set[str]


def section_titles(body: str) -> list[str]:
    """Titles of the level-2 headings of a Markdown body."""
    return [t.strip() for t in _HEADING.findall(body)]


def markdown_files(root: Path) -> list[Path]:
    """The entries of the knowledge folder ``root``: its Markdown files but READMEs and hidden ones."""
    return sorted(
        p
        for p in root.rglob("*.md")
        if p.name.lower() != "readme.md" and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def service_stems(root: Path, files: list[Path]) -> set[str]:
    """Slugs of the service files: those in ``services/`` and any entry of kind service."""
    stems = {p.stem for p in (root / SERVICES_DIR).glob("*.md")}
    for p in files:
        try:
            meta, _ = split_front_matter(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if meta and meta.get("kind") == "service":
            stems.add(p.stem)
    return stems


def check_documents(root: Path, files: list[Path], ids: Ids, report: Report) -> dict[str, dict[str, Any]]:
    """Check every Markdown entry; their front matter by path (relative to ``root``)."""
    stems: dict[str, Counter] = {k: Counter() for k in SCHEMAS}
    docs: dict[str, dict[str, Any]] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        meta = _check_markdown(path, rel, ids, report)
        if meta is not None:
            stems[meta["kind"]][path.stem] += 1
            docs[rel] = meta
    for kind, counter in stems.items():
        for stem, n in counter.items():
            if n > 1:
                dupes = [p.relative_to(root).as_posix() for p in files if p.stem == stem]
                report.problems.append(Problem(dupes[0], "slug", f"duplicate {kind} slug {stem!r} in {', '.join(dupes)}"))
    return docs


def _check_markdown(path: Path, rel: str, ids: Ids, report: Report) -> dict[str, Any] | None:
    """Check one entry; its front matter, or None when it has no usable one (the problem is recorded)."""
    try:
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        report.problems.append(Problem(rel, "front matter", f"cannot be parsed: {exc}"))
        return None
    if meta is None:
        report.problems.append(Problem(rel, "front matter", "missing (a '---' block with title, kind, sources)"))
        return None
    kind = meta.get("kind")
    if kind not in SCHEMAS:
        report.problems.append(Problem(rel, "kind", f"unknown kind {kind!r}; expected one of {', '.join(SCHEMAS)}"))
        return None
    report.counts[kind] += 1
    try:
        SCHEMAS[kind].model_validate(meta)
    except ValidationError as exc:
        report.problems.extend(p for p in pydantic_problems(rel, exc) if not p.field.startswith("outcomes"))
    report.problems.extend(_check_refs(rel, meta, ids))
    sink = report.sink(rel)
    sources = meta.get("sources")
    listed = {x for x in sources if isinstance(x, str)} if isinstance(sources, list) else set()
    check_outcomes(sink, meta.get("outcomes"), listed)
    check_conflicts(sink, meta.get("conflicts"), listed)
    if kind in ("service", "case") and meta.get("member", True) is not False and not (meta.get("city") or meta.get("cities")):
        report.problems.append(Problem(rel, "city", "is required (a member slug, or 'cities' for several)"))
    present = {t.casefold() for t in section_titles(body)}
    for title in REQUIRED_SECTIONS.get(kind, ()):
        if title.casefold() not in present:
            report.problems.append(Problem(rel, "body", f"missing section '## {title}'"))
    return meta


def _check_refs(rel: str, meta: dict[str, Any], ids: Ids) -> list[Problem]:
    out = []
    member = meta.get("member", True) is not False
    for key in ("city", "cities"):
        for slug in as_list(meta.get(key)):
            if member and slug not in ids.cities:
                out.append(Problem(rel, key, f"unknown city slug {slug!r}"))
    for pid in as_list(meta.get("principles")):
        if pid not in ids.principles:
            out.append(Problem(rel, "principles", f"unknown principle id {pid!r}"))
    for sid in as_list(meta.get("subindicators")):
        if not isinstance(sid, str):
            out.append(Problem(rel, "subindicators", f"write sub-indicator ids as quoted strings ('{sid}'), not numbers"))
        elif sid not in ids.subindicators:
            out.append(Problem(rel, "subindicators", f"unknown sub-indicator id {sid!r}"))
    for slug in as_list(meta.get("services")):
        if slug not in ids.service_stems:
            out.append(Problem(rel, "services", f"no service file {SERVICES_DIR}/{slug}.md"))
    return out
