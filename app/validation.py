"""Checks of the whole knowledge folder: front matter, ids, references, benchmark sums.

:func:`validate_knowledge` returns every :class:`Problem` found; an empty list
means the folder is consistent. What is checked:

- every Markdown file (except ``README.md``) has YAML front matter whose ``kind``
  is one of :data:`SCHEMAS` and which fits that kind's schema; services, cases
  and guides need ``sources``; services and cases need their body sections;
- city slugs, principle ids and sub-indicator ids exist; ``services:`` names
  service files that exist; ``status`` and ``confidence`` take known values;
  file stems are unique within a kind;
- every ``outcomes`` item has a text and its own source, listed among the
  entry's ``sources``; an outcome whose text holds a figure (a number, in digits
  or words) has the ``date`` it refers to, a year at least ("2021", "2021-05",
  "2021-05-16"), or ``date: "not found"`` with a ``date_note`` saying what was
  searched (reported as a warning, not a problem);
- every ``conflicts`` item (front matter, the top-level list of ``cities.yaml``,
  ``network/awards.yaml``) has ``about``, ``followed`` and ``others`` values
  (``value``, ``source``, optional ``date``) and a ``reason``; in ``cities.yaml``
  its ``city`` exists and that member's ``field`` holds the followed value;
- ``cities.yaml``, ``principles.yaml`` and ``benchmark/framework.yaml`` fit
  their schema, without duplicate ids; a member's context facts cite its sources;
- ``network/partners.yaml`` (consortium partners, and the consortium at dated
  moments) and ``network/awards.yaml`` (each year's finalists and winner) fit
  their schema; their city slugs, partner ids and service slugs exist, counts
  add up, and a service's ``award`` field agrees with them;
- every ``benchmark/scores-*.yaml`` row names a member and a known revision,
  has every sub-indicator of that revision with the framework's question count,
  never more Yes than questions, and its published percentage recomputes.

The front matter is parsed here with PyYAML, independently of the indexer.

:func:`sources_report` lists, per entry, its sources and the facts each one
supports (``ucc validate --sources``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indexer.errors import DatasetError, NotFound

from app.network import catalog as cat
from app.network.scoring import rounded_percentage

STATUSES = ("live", "pilot", "planned", "in-design", "discontinued", "unknown")
CONFIDENCES = ("found", "reported", "inferred", "mixed")
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "service": ("In a nutshell", "What makes it user-centric"),
    "case": ("Problem", "Approach", "Results", "Lessons"),
    "guide": ("Why it matters", "Steps", "Pitfalls", "Member examples", "Dashboard questions this helps"),
}
SERVICES_DIR = "services"
PARTNERS_FILE = "network/partners.yaml"
AWARDS_FILE = "network/awards.yaml"
DATE_NOT_FOUND = "not found"
DATE_UNDATED = "undated"
DATE_HELP = 'a year at least: "2021", "2021-05" or "2021-05-16"'
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# A figure: digits, or a number written in words ("four times more", "Two service designers").
_FIGURE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|twice|double|triple|half|quarter)\b",
    re.I,
)
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
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem; warnings (dates not found, undated sources) do not count."""
        return not self.problems

    def summary(self) -> str:
        """One line such as ``ok: 15 guide, 1 cities, 1 framework; 2 warning(s)``."""
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items())) or "nothing"
        head = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        tail = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{head}: {parts}{tail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": dict(self.counts),
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
        }


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


# --- conflicts and network data ---------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class ConflictValue(_Loose):
    """One side of a disagreement: the value, where it comes from and the date of that source."""

    value: str | int | float
    date: Any = None
    source: str = Field(min_length=1)


class Conflict(_Loose):
    """Sources disagree: the value followed, the others, and why (knowledge/README.md)."""

    about: str = Field(min_length=1)
    followed: ConflictValue
    others: list[ConflictValue] = Field(min_length=1)
    reason: str = Field(min_length=1)


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatedFact(_Closed):
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)
    date: Any = None
    confidence: Confidence = "found"


class Partner(_Closed):
    """A consortium partner that is not a member city or region (``network/partners.yaml``)."""

    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    country: str | None = None
    role: Literal["lead", "co-ordinator", "partner"]
    joined: Any = None
    left: Any = None
    context: list[DatedFact] = []
    sources: list[str] = Field(min_length=1)


class ConsortiumSnapshot(_Closed):
    """Who was in the consortium at one date, as one source gives it."""

    date: Any
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)
    partners_count: int | None = Field(default=None, gt=0)
    members_count: int | None = Field(default=None, gt=0)
    members: list[str] = []
    partners: list[str] = []
    note: str | None = None


class AwardEntry(_Closed):
    """A finalist (or the winner) of one year's award."""

    city: str = Field(min_length=1)
    member: bool = True
    service: str | None = None
    service_note: str | None = None
    source: str = Field(min_length=1)


class AwardWinner(AwardEntry):
    confidence: Confidence
    note: str | None = None


class AwardStep(_Closed):
    date: Any = None
    place: str | None = None
    text: str | None = None
    source: str = Field(min_length=1)


class AwardCount(_Closed):
    count: int = Field(gt=0)
    cities_and_regions: int | None = Field(default=None, gt=0)
    date: Any = None
    source: str = Field(min_length=1)


class Award(_Closed):
    """One year's "Best user-centric service in European cities and regions" award."""

    year: int = Field(ge=2000, le=2100)
    name: str = Field(min_length=1)
    call_opened: AwardStep | None = None
    call_deadline: AwardStep | None = None
    submissions: AwardCount | None = None
    jury: DatedFact | None = None
    finalists_announced: AwardStep | None = None
    finalists: list[AwardEntry] = Field(min_length=1)
    winner: AwardWinner | None = None
    ceremony: AwardStep | None = None
    conflicts: list[Any] = []
    sources: list[str] = Field(min_length=1)


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


def date_text(value: Any) -> str | None:
    """A date field as text ("2021", "2021-05", "2021-05-16", "not found"); None when absent.

    YAML reads an unquoted ``2021`` as a number and ``2021-05-16`` as a date; both are accepted.
    """
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value).strip()


def date_problem(value: Any, *, allow_undated: bool = False) -> str | None:
    """Why ``value`` is not a usable date field, or None when it is (``not found`` included)."""
    text = date_text(value)
    if text == DATE_NOT_FOUND or (allow_undated and text == DATE_UNDATED):
        return None
    unknown = '"undated"' if allow_undated else '"not found" with a date_note saying what was searched'
    m = _DATE.match(text or "")
    if not m:
        return f"{text!r} is not a date; write {DATE_HELP}, or {unknown}"
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        _dt.date(year, month, day)
    except ValueError:
        return f"{text!r} is not a real date"
    return None


def has_figure(text: str) -> bool:
    """Whether ``text`` states a figure: a number in digits or in words."""
    return bool(_FIGURE.search(text or ""))


@dataclass
class _Ids:
    cities: set[str]
    principles: set[str]
    subindicators: set[str]
    service_stems: set[str]


@dataclass
class _Sink:
    """Where checks put what they find: problems fail validation, warnings do not."""

    rel: str
    problems: list[Problem]
    warnings: list[Problem]

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.rel, where, message))

    def warning(self, where: str, message: str) -> None:
        self.warnings.append(Problem(self.rel, where, message))


def _check_date_of(sink: _Sink, where: str, item: dict[str, Any], *, required: bool, allow_undated: bool) -> None:
    """The ``date`` (and ``date_note``) of one outcome, conflict value or fact."""
    value = item.get("date")
    note = item.get("date_note")
    if value is None:
        if required:
            sink.problem(
                f"{where}.date",
                f"a figure needs the date it refers to ({DATE_HELP}), "
                f'or date: "{DATE_NOT_FOUND}" with a date_note saying what was searched',
            )
        return
    message = date_problem(value, allow_undated=allow_undated)
    if message:
        sink.problem(f"{where}.date", message)
        return
    text = date_text(value)
    has_note = isinstance(note, str) and bool(note.strip())
    if text == DATE_NOT_FOUND:
        if not has_note:
            sink.problem(f"{where}.date_note", f'date "{DATE_NOT_FOUND}" needs a date_note saying what was searched')
        else:
            sink.warning(f"{where}.date", f"date not found: {' '.join(note.split())}")
    elif text == DATE_UNDATED:
        sink.warning(f"{where}.date", "the source is undated" + (f": {' '.join(note.split())}" if has_note else ""))


def _listed(sink: _Sink, where: str, source: Any, listed: set[str] | None, whose: str = "the entry's") -> None:
    if listed is not None and isinstance(source, str) and source not in listed:
        sink.problem(where, f"{source} is not in {whose} sources list")


def _check_outcomes(sink: _Sink, outcomes: Any, listed: set[str] | None) -> None:
    """Each outcome: a text, its own source (listed), and a date when its text holds a figure."""
    for i, item in enumerate(_as_list(outcomes)):
        where = f"outcomes[{i}]"
        if not isinstance(item, dict) or not item.get("source"):
            sink.problem(where, "an outcome needs its own source")
            continue
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            sink.problem(f"{where}.text", "an outcome needs its text (the figure or result, in a sentence)")
            text = ""
        if not isinstance(item["source"], str):
            sink.problem(f"{where}.source", "a source is one URL (or reference) as a string")
        _listed(sink, f"{where}.source", item["source"], listed)
        _check_date_of(sink, where, item, required=has_figure(text), allow_undated=False)


def _check_conflicts(sink: _Sink, items: Any, listed: set[str] | None, prefix: str = "conflicts",
                     whose: str = "the entry's") -> list[tuple[int, dict[str, Any], Conflict]]:
    """The documented shape of each conflict; returns the well-formed ones with their index and raw data."""
    if items is None:
        return []
    if not isinstance(items, list):
        sink.problem(prefix, "expected a list of conflicts (see knowledge/README.md, 'Conflicts between sources')")
        return []
    good = []
    for i, raw in enumerate(items):
        where = f"{prefix}[{i}]"
        if not isinstance(raw, dict):
            sink.problem(where, "a conflict is a mapping with about, followed {value, date, source}, others and reason")
            continue
        try:
            conflict = Conflict.model_validate(raw)
        except ValidationError as exc:
            sink.problems.extend(_pydantic_problems(sink.rel, exc, f"{where}."))
            continue
        sides = [("followed", raw["followed"])] + [(f"others[{j}]", v) for j, v in enumerate(raw["others"])]
        for side, value in sides:
            _check_date_of(sink, f"{where}.{side}", value, required=False, allow_undated=True)
            _listed(sink, f"{where}.{side}.source", value["source"], listed, whose)
        good.append((i, raw, conflict))
    return good


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
    return out


def _check_markdown(
    path: Path, rel: str, ids: _Ids, report: Report, stems: dict[str, Counter], docs: dict[str, dict[str, Any]]
) -> None:
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
    docs[rel] = meta
    sink = _Sink(rel, report.problems, report.warnings)
    sources = meta.get("sources")
    listed = {x for x in sources if isinstance(x, str)} if isinstance(sources, list) else set()
    _check_outcomes(sink, meta.get("outcomes"), listed)
    _check_conflicts(sink, meta.get("conflicts"), listed)
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


# --- members, partners and awards -------------------------------------------


def _check_cities_data(root: Path, cities: list[cat.City], report: Report) -> None:
    """Context facts cite the member's sources; the top-level ``conflicts`` list of cities.yaml."""
    rel = cat.CITIES_FILE
    sink = _Sink(rel, report.problems, report.warnings)
    for city in cities:
        for j, fact in enumerate(city.context):
            _listed(sink, f"{city.slug}.context[{j}].source", fact.source, set(city.sources), "this member's")
    try:
        data = cat.read_yaml(root / rel)
    except DatasetError:
        return  # already reported
    if not isinstance(data, dict):
        return
    by_slug = {c.slug: c for c in cities}
    raw_items = data.get("conflicts")
    # Sources are checked per member below, once the member is known.
    for i, raw, conflict in _check_conflicts(sink, raw_items, None):
        where = f"conflicts[{i}]"
        slug = raw.get("city")
        if slug is None:
            sink.problem(f"{where}.city", "is required: the slug of the member the conflict is about")
            continue
        city = by_slug.get(slug)
        if city is None:
            sink.problem(f"{where}.city", f"unknown city slug {slug!r}")
            continue
        sides = [("followed", conflict.followed)] + [(f"others[{j}]", v) for j, v in enumerate(conflict.others)]
        for side, value in sides:
            _listed(sink, f"{where}.{side}.source", value.source, set(city.sources), f"{slug}'s")
        name = raw.get("field")
        if name is None:
            continue
        if name not in cat.City.model_fields:
            sink.problem(f"{where}.field", f"{name!r} is not a member field")
            continue
        current = getattr(city, name)
        if str(current) != str(conflict.followed.value):
            sink.problem(f"{where}.followed.value",
                         f"{slug}.{name} is {current!r} but the conflict follows {conflict.followed.value!r}")


def _validated(sink: _Sink, model: type[BaseModel], raw: Any, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        sink.problems.extend(_pydantic_problems(sink.rel, exc, f"{where}."))
        return None


def _list_in(sink: _Sink, data: Any, key: str, required: bool = True) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data[key]
    if required or (isinstance(data, dict) and key in data):
        sink.problem(key, f"expected a mapping with a '{key}' list")
    return []


def _date_value(sink: _Sink, where: str, value: Any, required: bool = False) -> str | None:
    """Check a plain date field (no 'not found'); its text, or None."""
    if value is None:
        if required:
            sink.problem(where, f"is required ({DATE_HELP})")
        return None
    text = date_text(value)
    message = date_problem(value) if text != DATE_NOT_FOUND else f"{text!r} is not a date; write {DATE_HELP}"
    if message:
        sink.problem(where, message)
        return None
    return text


def _after(joined: str | None, date: str | None) -> bool:
    """Whether a ``joined`` date is later than ``date``, at the precision both share."""
    if not joined or not date:
        return False
    n = min(len(joined), len(date))
    return joined[:n] > date[:n]


def _open_network_file(root: Path, rel: str, count: str, report: Report) -> tuple[_Sink, Any] | None:
    """A network data file's problem sink and parsed YAML (counted under ``count``); None when the
    file is absent (it is optional) or cannot be parsed (the problem is reported)."""
    path = root / rel
    if not path.is_file():
        return None
    data = _load_yaml(path, rel, report.problems)
    if data is None:
        return None
    report.counts[count] += 1
    return _Sink(rel, report.problems, report.warnings), data


def _check_partners(root: Path, ids: _Ids, cities: list[cat.City], report: Report) -> None:
    """``network/partners.yaml``: consortium partners and the consortium at dated moments."""
    opened = _open_network_file(root, PARTNERS_FILE, "partners", report)
    if opened is None:
        return
    sink, data = opened
    partners: dict[str, Partner] = {}
    for i, raw in enumerate(_list_in(sink, data, "partners")):
        partner = _validated(sink, Partner, raw, f"partners[{i}]")
        if partner is None:
            continue
        if partner.id in partners:
            sink.problem("id", f"duplicate id {partner.id!r}")
        partners[partner.id] = partner
        _date_value(sink, f"partners[{i}].joined", partner.joined)
        _date_value(sink, f"partners[{i}].left", partner.left)
        for j, fact in enumerate(partner.context):
            where = f"partners[{i}].context[{j}]"
            _listed(sink, f"{where}.source", fact.source, set(partner.sources), "this partner's")
            _date_value(sink, f"{where}.date", fact.date)
    joined = {c.slug: c.joined for c in cities}
    for i, raw in enumerate(_list_in(sink, data, "consortium", required=False)):
        where = f"consortium[{i}]"
        snap = _validated(sink, ConsortiumSnapshot, raw, where)
        if snap is None:
            continue
        when = _date_value(sink, f"{where}.date", snap.date, required=True)
        for slug, n in Counter(snap.members).items():
            if slug not in ids.cities:
                sink.problem(f"{where}.members", f"unknown city slug {slug!r}")
            elif n > 1:
                sink.problem(f"{where}.members", f"{slug!r} is listed {n} times")
            elif _after(joined.get(slug), when):
                sink.problem(f"{where}.members", f"{slug!r} is listed on {when} but cities.yaml says it joined {joined[slug]}")
        for pid in snap.partners:
            if pid not in partners:
                sink.problem(f"{where}.partners", f"unknown partner id {pid!r}")
            elif _after(date_text(partners[pid].joined), when):
                sink.problem(f"{where}.partners", f"{pid!r} is listed on {when} but joined {date_text(partners[pid].joined)}")
        if snap.members and snap.members_count is not None and len(snap.members) != snap.members_count:
            sink.problem(f"{where}.members", f"{len(snap.members)} members listed, members_count says {snap.members_count}")
        n_members = snap.members_count if snap.members_count is not None else (len(snap.members) or None)
        if snap.partners_count is not None and n_members is not None and snap.partners:
            total = n_members + len(snap.partners)
            if total != snap.partners_count:
                sink.problem(f"{where}.partners_count",
                             f"{n_members} cities and regions + {len(snap.partners)} partners = {total}, "
                             f"but partners_count says {snap.partners_count}")


def _check_awards(root: Path, ids: _Ids, docs: dict[str, dict[str, Any]], report: Report) -> None:
    """``network/awards.yaml``: each year's finalists and winner; services' ``award`` fields agree with it."""
    opened = _open_network_file(root, AWARDS_FILE, "awards", report)
    if opened is None:
        return
    sink, data = opened
    service_city = {
        Path(rel).stem: meta.get("city") for rel, meta in docs.items() if meta.get("kind") == "service"
    }
    awards: dict[int, Award] = {}
    for i, raw in enumerate(_list_in(sink, data, "awards")):
        where = f"awards[{i}]"
        award = _validated(sink, Award, raw, where)
        if award is None:
            continue
        if award.year in awards:
            sink.problem(f"{where}.year", f"duplicate year {award.year}")
        awards[award.year] = award
        listed = set(award.sources)
        entries = [(f"finalists[{j}]", e) for j, e in enumerate(award.finalists)]
        if award.winner is not None:
            entries.append(("winner", award.winner))
        for name, entry in entries:
            at = f"{where}.{name}"
            if entry.member and entry.city not in ids.cities:
                sink.problem(f"{at}.city", f"unknown city slug {entry.city!r} (write member: false for a non-member)")
            if entry.service is not None:
                if entry.service not in ids.service_stems:
                    sink.problem(f"{at}.service", f"no service file {SERVICES_DIR}/{entry.service}.md")
                elif service_city.get(entry.service) not in (None, entry.city):
                    sink.problem(f"{at}.service",
                                 f"{entry.service} is a service of {service_city[entry.service]!r}, not {entry.city!r}")
            _listed(sink, f"{at}.source", entry.source, listed, "the award's")
        if award.winner is not None and not any(
            f.city == award.winner.city and f.service == award.winner.service for f in award.finalists
        ):
            sink.problem(f"{where}.winner", "the winner is not among the finalists")
        for name in ("call_opened", "call_deadline", "finalists_announced", "ceremony", "submissions", "jury"):
            step = getattr(award, name)
            if step is not None:
                _listed(sink, f"{where}.{name}.source", step.source, listed, "the award's")
                _date_value(sink, f"{where}.{name}.date", step.date)
        _check_conflicts(sink, raw.get("conflicts") if isinstance(raw, dict) else None, listed,
                         f"{where}.conflicts", "the award's")
    for rel, meta in docs.items():
        claim = meta.get("award")
        if not isinstance(claim, dict) or meta.get("kind") not in ("service", "case"):
            continue
        year, result = claim.get("year"), claim.get("result")
        stems = [Path(rel).stem] if meta["kind"] == "service" else [s for s in _as_list(meta.get("services"))]
        award = awards.get(year) if isinstance(year, int) else None
        if award is None:
            report.problems.append(Problem(rel, "award", f"no {year} award in {AWARDS_FILE}"))
        elif result == "winner" and (award.winner is None or award.winner.service not in stems):
            report.problems.append(Problem(rel, "award", f"{AWARDS_FILE} does not give this service as the {year} winner"))
        elif result in ("finalist", "winner") and not any(f.service in stems for f in award.finalists if f.service):
            report.problems.append(Problem(rel, "award", f"not among the {year} finalists in {AWARDS_FILE}"))


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

    _check_cities_data(root, cities, report)
    city_slugs = {c.slug for c in cities}
    for path in sorted((root / cat.BENCHMARK_DIR).glob(cat.SCORE_GLOB)):
        report.counts["scores"] += 1
        _check_scores(path, path.relative_to(root).as_posix(), framework, city_slugs, problems)

    files = _markdown_files(root)
    ids = _Ids(city_slugs, {p.id for p in principles}, sub_ids, _service_stems(root, files))
    stems: dict[str, Counter] = {k: Counter() for k in SCHEMAS}
    docs: dict[str, dict[str, Any]] = {}
    for path in files:
        _check_markdown(path, path.relative_to(root).as_posix(), ids, report, stems, docs)
    _check_partners(root, ids, cities, report)
    _check_awards(root, ids, docs, report)
    for kind, counter in stems.items():
        for stem, n in counter.items():
            if n > 1:
                dupes = [p.relative_to(root).as_posix() for p in files if p.stem == stem]
                problems.append(Problem(dupes[0], "slug", f"duplicate {kind} slug {stem!r} in {', '.join(dupes)}"))
    report.problems = sorted(set(problems), key=lambda p: (p.file, p.field, p.message))
    report.warnings = sorted(set(report.warnings), key=lambda p: (p.file, p.field, p.message))
    return report


def validate_knowledge(knowledge_dir: str | Path) -> list[Problem]:
    """Every problem in ``knowledge_dir``; an empty list when it is consistent."""
    return check_knowledge(knowledge_dir).problems


# --- sources report -----------------------------------------------------------


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

    def matches(self, name: str) -> bool:
        """Whether ``--entry name`` selects this entry: its file, slug, key or city."""
        return name in (self.file, self.entry, self.key, Path(self.file).stem, self.city)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "entry": self.entry, "key": self.key, "kind": self.kind, "title": self.title,
                "city": self.city, "sources": [s.to_dict() for s in self.sources]}


def _fact(kind: str, text: Any, date: Any = None, **extra: Any) -> dict[str, Any]:
    return {"fact": kind, "text": " ".join(str(text).split()), "date": date_text(date), **extra}


def _add_conflicts(entry: EntrySources, conflicts: Any) -> None:
    for raw in _as_list(conflicts):
        if not isinstance(raw, dict):
            continue
        about = raw.get("about", "?")
        followed = raw.get("followed")
        if isinstance(followed, dict):
            entry.add(followed.get("source"), _fact("conflict, followed", f"{about}: {followed.get('value')}",
                                                     followed.get("date")))
        for other in _as_list(raw.get("others")):
            if isinstance(other, dict):
                entry.add(other.get("source"), _fact("conflict, other value", f"{about}: {other.get('value')}",
                                                     other.get("date")))


def _listed_sources(entry: EntrySources, sources: Any) -> None:
    for source in _as_list(sources):
        entry.add(source, listed=True)


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
        _listed_sources(e, membership.get("sources"))
        out.append(e)
    conflicts = [c for c in _as_list(data.get("conflicts")) if isinstance(c, dict)]
    for raw in _as_list(data.get("cities")):
        if not isinstance(raw, dict) or not raw.get("slug"):
            continue
        slug = raw["slug"]
        e = EntrySources(cat.CITIES_FILE, slug, "member", str(raw.get("name", slug)), slug)
        _listed_sources(e, raw.get("sources"))
        for fact in _as_list(raw.get("context")):
            if isinstance(fact, dict):
                e.add(fact.get("source"), _fact("context", fact.get("text")))
        pop = raw.get("population_source")
        if isinstance(pop, str) and pop.startswith("http"):
            e.add(pop, _fact("population", f"about {raw.get('population_approx')}"))
        _add_conflicts(e, [c for c in conflicts if c.get("city") == slug])
        out.append(e)
    return out


def _optional_mapping(root: Path, rel: str) -> dict | None:
    """An optional data file of the sources report, or None when it is absent or not a readable
    mapping (``ucc validate`` itself reports why)."""
    path = root / rel
    try:
        data = cat.read_yaml(path) if path.is_file() else None
    except DatasetError:
        return None
    return data if isinstance(data, dict) else None


def _add_snapshots(root: Path, entries: list[EntrySources]) -> None:
    """A member listed in a consortium snapshot of partners.yaml: that source supports its membership
    (shown where the member lists the source)."""
    data = _optional_mapping(root, PARTNERS_FILE)
    if data is None:
        return
    members = {e.entry: e for e in entries if e.kind == "member"}
    for snap in _as_list(data.get("consortium")):
        if not isinstance(snap, dict):
            continue
        for slug in _as_list(snap.get("members")):
            e = members.get(slug)
            listed = {s.source for s in e.sources if s.listed} if e else set()
            if e and snap.get("source") in listed:
                e.add(snap["source"], _fact("member", f"listed in the consortium ({PARTNERS_FILE})", snap.get("date")))


def _markdown_entries(root: Path) -> list[EntrySources]:
    out = []
    for path in _markdown_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if not meta:
            continue
        city = meta.get("city") if isinstance(meta.get("city"), str) else None
        e = EntrySources(rel, path.stem, str(meta.get("kind", "?")), str(meta.get("title", path.stem)), city)
        _listed_sources(e, meta.get("sources"))
        for item in _as_list(meta.get("outcomes")):
            if isinstance(item, dict):
                e.add(item.get("source"), _fact("outcome", item.get("text", ""), item.get("date")))
        _add_conflicts(e, meta.get("conflicts"))
        out.append(e)
    return out


def _services_of(root: Path, documents: list[EntrySources]) -> dict[str, list[str]]:
    """The services each document is about: a service itself, a case's or guide's ``services``."""
    out = {}
    for e in documents:
        if e.kind == "service":
            out[e.file] = [e.entry]
            continue
        try:
            meta, _ = split_front_matter((root / e.file).read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            continue
        if e.kind == "case" and meta:
            out[e.file] = [x for x in _as_list(meta.get("services")) if isinstance(x, str)]
    return out


def _network_entries(root: Path) -> list[EntrySources]:
    out = []
    for rel, key in ((PARTNERS_FILE, "partners"), (AWARDS_FILE, "awards")):
        try:
            data = cat.read_yaml(root / rel) if (root / rel).is_file() else None
        except DatasetError:
            data = None
        if not isinstance(data, dict):
            continue
        for raw in _as_list(data.get(key)):
            if not isinstance(raw, dict):
                continue
            if key == "partners":
                e = EntrySources(rel, str(raw.get("id", "?")), "partner", str(raw.get("name", "?")))
                _listed_sources(e, raw.get("sources"))
                for fact in _as_list(raw.get("context")):
                    if isinstance(fact, dict):
                        e.add(fact.get("source"), _fact("context", fact.get("text"), fact.get("date")))
            else:
                year = raw.get("year", "?")
                e = EntrySources(rel, str(year), "award", f"{raw.get('name', 'Award')} {year}")
                _listed_sources(e, raw.get("sources"))
                for name in ("call_opened", "call_deadline", "finalists_announced", "ceremony"):
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
                for f in _as_list(raw.get("finalists")):
                    if isinstance(f, dict):
                        e.add(f.get("source"), _fact("finalist", f"{f.get('city')}: {f.get('service') or f.get('service_note')}"))
                w = raw.get("winner")
                if isinstance(w, dict):
                    e.add(w.get("source"), _fact("winner", f"{w.get('city')}: {w.get('service')}",
                                                 confidence=w.get("confidence")))
                _add_conflicts(e, raw.get("conflicts"))
            out.append(e)
        if key == "partners":
            e = EntrySources(rel, "consortium", "consortium", "The consortium at dated moments")
            for snap in _as_list(data.get("consortium")):
                if isinstance(snap, dict):
                    e.add(snap.get("source"), _fact("consortium", snap.get("text"), snap.get("date")), listed=True)
            if e.sources:
                out.append(e)
    return out


def _add_award_facts(root: Path, entries: list[EntrySources], docs_services: dict[str, list[str]]) -> None:
    """A service (or a case about it) that is a finalist or winner in awards.yaml: that source supports it
    (shown where the entry lists the source)."""
    data = _optional_mapping(root, AWARDS_FILE)
    if data is None:
        return
    for raw in _as_list(data.get("awards")):
        if not isinstance(raw, dict):
            continue
        picks = [("finalist", f) for f in _as_list(raw.get("finalists"))] + [("winner", raw.get("winner"))]
        for role, pick in picks:
            if not isinstance(pick, dict) or not pick.get("service"):
                continue
            for e in entries:
                listed = {s.source for s in e.sources if s.listed}
                if pick["service"] in docs_services.get(e.file, []) and pick.get("source") in listed:
                    e.add(pick["source"], _fact(f"award {role}", f"{raw.get('year')} ({AWARDS_FILE})"))


def sources_report(knowledge_dir: str | Path, entry: str | None = None) -> list[EntrySources]:
    """Per entry, its sources and the facts each one supports, from the entries' own data.

    Facts are outcomes, conflicts (followed and other values), members' context facts and
    population sources, partners' context facts, consortium snapshots, and award steps,
    finalists and winners. A listed source with no fact supports the prose only. ``entry``
    keeps the entries whose file, slug, key or city it names.
    """
    root = Path(knowledge_dir)
    if not root.is_dir():
        raise NotFound(f"knowledge folder {root} does not exist")
    members = _cities_entries(root)
    _add_snapshots(root, members)
    documents = _markdown_entries(root)
    _add_award_facts(root, documents, _services_of(root, documents))
    entries = members + _network_entries(root) + documents
    if entry:
        entries = [e for e in entries if e.matches(entry)]
    return entries
