"""Checks of the whole knowledge folder: front matter, ids, references, benchmark sums.

:func:`validate_knowledge` returns every :class:`Problem` found; an empty list
means the folder is consistent. What is checked:

- every Markdown file (except ``README.md``) has YAML front matter whose ``kind``
  is one of :data:`SCHEMAS` and which fits that kind's schema; services, cases
  and guides need ``sources``; services and cases need their body sections;
- city slugs, principle ids and sub-indicator ids exist; ``services:`` names
  service files that exist; ``outcomes`` each carry a source; ``status`` and
  ``confidence`` take known values; file stems are unique within a kind;
- ``cities.yaml``, ``principles.yaml`` and ``benchmark/framework.yaml`` fit
  their schema, without duplicate ids;
- every ``benchmark/scores-*.yaml`` row names a member and a known revision,
  has every sub-indicator of that revision with the framework's question count,
  never more Yes than questions, and its published percentage recomputes.

The front matter is parsed here with PyYAML, independently of the indexer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indexer.errors import DatasetError, NotFound

from . import catalog as cat
from .scoring import rounded_percentage

STATUSES = ("live", "pilot", "planned", "in-design", "discontinued", "unknown")
CONFIDENCES = ("found", "reported", "inferred", "mixed")
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "service": ("In a nutshell", "What makes it user-centric"),
    "case": ("Problem", "Approach", "Results", "Lessons"),
    "guide": ("Why it matters", "Steps", "Pitfalls", "Member examples", "Dashboard questions this helps"),
}
SERVICES_DIR = "services"
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*$", re.S | re.M)
_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the knowledge folder. ``file`` is relative to it."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Report:
    """The outcome of :func:`check_knowledge`: problems, and files checked by kind."""

    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line such as ``ok: 15 guide, 1 cities, 1 framework``."""
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items())) or "nothing"
        head = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return f"{head}: {parts}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": dict(self.counts), "problems": [p.to_dict() for p in self.problems]}


# --- front-matter schemas ---------------------------------------------------

Status = Literal[STATUSES]  # type: ignore[valid-type]
Confidence = Literal[CONFIDENCES]  # type: ignore[valid-type]


class Outcome(BaseModel):
    """A result figure; it must say where it comes from."""

    model_config = ConfigDict(extra="allow")
    source: str = Field(min_length=1)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str = Field(min_length=1)
    kind: str
    principles: list[str] = []
    subindicators: list[str] = []
    tags: list[str] = []
    confidence: Confidence | None = None
    status: Status | None = None


class ServiceDoc(_Doc):
    kind: Literal["service"]
    city: str | None = None
    cities: list[str] = []
    member: bool = True
    sources: list[str] = Field(min_length=1)
    outcomes: list[Outcome] = []


class CaseDoc(_Doc):
    kind: Literal["case"]
    city: str | None = None
    cities: list[str] = []
    member: bool = True
    sources: list[str] = Field(min_length=1)
    outcomes: list[Outcome] = []
    services: list[str] = []


class GuideDoc(_Doc):
    kind: Literal["guide"]
    sources: list[str] = Field(min_length=1)
    confidence: Confidence
    services: list[str] = []


class NetworkDoc(_Doc):
    kind: Literal["network"]
    sources: list[str] = []
    city: str | None = None
    cities: list[str] = []
    outcomes: list[Outcome] = []
    services: list[str] = []


SCHEMAS: dict[str, type[_Doc]] = {"service": ServiceDoc, "case": CaseDoc, "guide": GuideDoc, "network": NetworkDoc}


# --- helpers ----------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """``(front matter, body)``; front matter is None when the file has none.

    :raise yaml.YAMLError: the front matter is not valid YAML.
    """
    m = _FRONT.match(text)
    if not m:
        return None, text
    data = yaml.safe_load(m.group(1)) or {}
    if not isinstance(data, dict):
        raise yaml.YAMLError("front matter is not a mapping")
    return data, text[m.end() :]


def section_titles(body: str) -> list[str]:
    """Titles of the level-2 headings of a Markdown body."""
    return [t.strip() for t in _HEADING.findall(body)]


def _pydantic_problems(rel: str, exc: ValidationError, prefix: str = "") -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = prefix + ".".join(str(p) for p in err["loc"]) or "(file)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "literal_error":
            msg = f"unknown value {err.get('input')!r}; {msg.lower()}"
        out.append(Problem(rel, loc, msg))
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class _Ids:
    cities: set[str]
    principles: set[str]
    subindicators: set[str]
    service_stems: set[str]


# --- structured files -------------------------------------------------------


def _load_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        return cat.read_yaml(path)
    except DatasetError as exc:
        problems.append(Problem(rel, "(file)", exc.message.split(": ", 1)[-1]))
        return None


def _check_list_file(
    path: Path, rel: str, key: str, model: type[BaseModel], id_field: str, problems: list[Problem]
) -> list[Any]:
    data = _load_yaml(path, rel, problems)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        problems.append(Problem(rel, key, f"expected a mapping with a '{key}' list"))
        return []
    items = []
    for i, raw in enumerate(data[key]):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            problems.extend(_pydantic_problems(rel, exc, f"{key}[{i}]."))
    for ident, n in Counter(getattr(x, id_field) for x in items).items():
        if n > 1:
            problems.append(Problem(rel, id_field, f"duplicate {id_field} {ident!r} ({n} times)"))
    return items


def _check_framework(path: Path, rel: str, problems: list[Problem]) -> cat.Framework | None:
    data = _load_yaml(path, rel, problems)
    if data is None:
        return None
    try:
        return cat.Framework.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(rel, exc))
        return None


def _check_scores(
    path: Path, rel: str, framework: cat.Framework | None, cities: set[str], problems: list[Problem]
) -> None:
    data = _load_yaml(path, rel, problems)
    if data is None:
        return
    try:
        scores = cat.ScoreFile.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(rel, exc))
        return
    seen: Counter = Counter()
    for i, row in enumerate(scores.rows):
        where = f"rows[{i}]"
        seen[(row.city, row.revision)] += 1
        if row.city not in cities:
            problems.append(Problem(rel, f"{where}.city", f"unknown city slug {row.city!r}"))
        if row.revision != scores.revision:
            problems.append(Problem(rel, f"{where}.revision", f"{row.revision!r} differs from the file's {scores.revision!r}"))
        problems.extend(_check_row_against_framework(rel, where, row, framework))
        if row.published_percentage is not None and all(s.yes <= s.n for s in row.scores.values()):
            got = rounded_percentage(row.scores)
            if got != row.published_percentage:
                problems.append(
                    Problem(rel, f"{where}.published_percentage", f"published {row.published_percentage}% but the scores recompute to {got}%")
                )
    for (city, revision), n in seen.items():
        if n > 1:
            problems.append(Problem(rel, "rows", f"{city!r} has {n} rows for revision {revision}"))


def _check_row_against_framework(rel: str, where: str, row: cat.ScoreRow, framework: cat.Framework | None) -> list[Problem]:
    out = []
    for sub_id, s in row.scores.items():
        if s.yes > s.n:
            out.append(Problem(rel, f"{where}.scores.{sub_id}", f"{s} has more Yes answers than questions"))
    if framework is None:
        return out
    try:
        revision = framework.revision(row.revision)
    except NotFound:
        return out + [Problem(rel, f"{where}.revision", f"unknown revision {row.revision!r}")]
    expected = {s.id: s.n for s in revision.subindicators}
    for sub_id, s in row.scores.items():
        if sub_id not in expected:
            out.append(Problem(rel, f"{where}.scores.{sub_id}", f"unknown sub-indicator id in revision {row.revision}"))
        elif s.n != expected[sub_id]:
            out.append(Problem(rel, f"{where}.scores.{sub_id}", f"n is {s.n} but the framework has {expected[sub_id]} questions"))
    missing = [s for s in expected if s not in row.scores]
    if missing:
        out.append(Problem(rel, f"{where}.scores", f"missing sub-indicators {', '.join(missing)}"))
    known_fields = set(revision.field_ids)
    for j, answer in enumerate(row.answers):
        if answer.field not in known_fields:
            out.append(Problem(rel, f"{where}.answers[{j}].field", f"unknown question {answer.field!r}"))
    return out


# --- Markdown ---------------------------------------------------------------


def _check_refs(rel: str, meta: dict[str, Any], ids: _Ids) -> list[Problem]:
    out = []
    member = meta.get("member", True) is not False
    for key in ("city", "cities"):
        for slug in _as_list(meta.get(key)):
            if member and slug not in ids.cities:
                out.append(Problem(rel, key, f"unknown city slug {slug!r}"))
    for pid in _as_list(meta.get("principles")):
        if pid not in ids.principles:
            out.append(Problem(rel, "principles", f"unknown principle id {pid!r}"))
    for sid in _as_list(meta.get("subindicators")):
        if not isinstance(sid, str):
            out.append(Problem(rel, "subindicators", f"write sub-indicator ids as quoted strings ('{sid}'), not numbers"))
        elif sid not in ids.subindicators:
            out.append(Problem(rel, "subindicators", f"unknown sub-indicator id {sid!r}"))
    for slug in _as_list(meta.get("services")):
        if slug not in ids.service_stems:
            out.append(Problem(rel, "services", f"no service file {SERVICES_DIR}/{slug}.md"))
    for i, item in enumerate(_as_list(meta.get("outcomes"))):
        if not isinstance(item, dict) or not item.get("source"):
            out.append(Problem(rel, f"outcomes[{i}]", "an outcome needs its own source"))
    return out


def _check_markdown(path: Path, rel: str, ids: _Ids, report: Report, stems: dict[str, Counter]) -> None:
    try:
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        report.problems.append(Problem(rel, "front matter", f"cannot be parsed: {exc}"))
        return
    if meta is None:
        report.problems.append(Problem(rel, "front matter", "missing (a '---' block with title, kind, sources)"))
        return
    kind = meta.get("kind")
    if kind not in SCHEMAS:
        report.problems.append(Problem(rel, "kind", f"unknown kind {kind!r}; expected one of {', '.join(SCHEMAS)}"))
        return
    report.counts[kind] += 1
    stems[kind][path.stem] += 1
    try:
        SCHEMAS[kind].model_validate(meta)
    except ValidationError as exc:
        report.problems.extend(p for p in _pydantic_problems(rel, exc) if not p.field.startswith("outcomes"))
    report.problems.extend(_check_refs(rel, meta, ids))
    if kind in ("service", "case") and meta.get("member", True) is not False and not (meta.get("city") or meta.get("cities")):
        report.problems.append(Problem(rel, "city", "is required (a member slug, or 'cities' for several)"))
    present = {t.casefold() for t in section_titles(body)}
    for title in REQUIRED_SECTIONS.get(kind, ()):
        if title.casefold() not in present:
            report.problems.append(Problem(rel, "body", f"missing section '## {title}'"))


def _markdown_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*.md")
        if p.name.lower() != "readme.md" and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _service_stems(root: Path, files: list[Path]) -> set[str]:
    stems = {p.stem for p in (root / SERVICES_DIR).glob("*.md")}
    for p in files:
        try:
            meta, _ = split_front_matter(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if meta and meta.get("kind") == "service":
            stems.add(p.stem)
    return stems


# --- entry points -----------------------------------------------------------


def check_knowledge(knowledge_dir: str | Path) -> Report:
    """Validate ``knowledge_dir``; the report holds every problem and the files checked by kind."""
    root = Path(knowledge_dir)
    report = Report()
    if not root.is_dir():
        report.problems.append(Problem(str(root), "(folder)", "does not exist"))
        return report
    problems = report.problems

    cities = _check_list_file(root / cat.CITIES_FILE, cat.CITIES_FILE, "cities", cat.City, "slug", problems)
    report.counts["cities"] += bool(cities)
    principles = _check_list_file(
        root / cat.PRINCIPLES_FILE, cat.PRINCIPLES_FILE, "principles", cat.Principle, "id", problems
    )
    report.counts["principles"] += bool(principles)
    fw_rel = f"{cat.BENCHMARK_DIR}/{cat.FRAMEWORK_FILE}"
    framework = _check_framework(root / fw_rel, fw_rel, problems)
    report.counts["framework"] += framework is not None
    sub_ids = framework.all_subindicator_ids() if framework else set()
    for p in principles:
        for sid in p.subindicators:
            if framework is not None and sid not in sub_ids:
                problems.append(Problem(cat.PRINCIPLES_FILE, f"{p.id}.subindicators", f"unknown sub-indicator id {sid!r}"))

    city_slugs = {c.slug for c in cities}
    for path in sorted((root / cat.BENCHMARK_DIR).glob(cat.SCORE_GLOB)):
        report.counts["scores"] += 1
        _check_scores(path, path.relative_to(root).as_posix(), framework, city_slugs, problems)

    files = _markdown_files(root)
    ids = _Ids(city_slugs, {p.id for p in principles}, sub_ids, _service_stems(root, files))
    stems: dict[str, Counter] = {k: Counter() for k in SCHEMAS}
    for path in files:
        _check_markdown(path, path.relative_to(root).as_posix(), ids, report, stems)
    for kind, counter in stems.items():
        for stem, n in counter.items():
            if n > 1:
                dupes = [p.relative_to(root).as_posix() for p in files if p.stem == stem]
                problems.append(Problem(dupes[0], "slug", f"duplicate {kind} slug {stem!r} in {', '.join(dupes)}"))
    report.problems = sorted(set(problems), key=lambda p: (p.file, p.field, p.message))
    return report


def validate_knowledge(knowledge_dir: str | Path) -> list[Problem]:
    """Every problem in ``knowledge_dir``; an empty list when it is consistent."""
    return check_knowledge(knowledge_dir).problems
