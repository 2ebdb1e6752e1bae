"""Import a network's own benchmark results into ``knowledge/benchmark/``.

Two layouts are accepted, as CSV (with a header row) or YAML (a list of
mappings, or a mapping with a ``rows`` list); the columns tell them apart:

- **answers**: one row per city and question:
  ``city, revision, field_id, answer, evidence``;
- **subindicators**: one row per city and sub-indicator:
  ``city, revision, subindicator, yes, n``.

:func:`read_import` checks every row against ``cities.yaml`` and the framework
and collects every error (row number, field, reason). :func:`import_scores`
writes a ``scores-<revision>-<name>.yaml`` file only when there are none, with
a temporary file and ``os.replace`` so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from indexer.errors import DatasetError, NotFound

from app.network.catalog import Answer, Catalog, ScoreFile, ScoreRow, SubScore

Layout = Literal["answers", "subindicators"]
ANSWER_COLUMNS = ("city", "revision", "field_id", "answer", "evidence")
SUBINDICATOR_COLUMNS = ("city", "revision", "subindicator", "yes", "n")
_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}


@dataclass(frozen=True)
class RowError:
    """One bad row. ``row`` is the data row number (CSV: the line, header = 1); None for the whole file."""

    row: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"{where}: {self.field}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class ImportResult:
    """What an import found, and where it wrote (``output`` is None until written)."""

    source_file: str
    layout: Layout
    revision: str | None
    rows: list[ScoreRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    output: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_file": self.source_file,
            "layout": self.layout,
            "revision": self.revision,
            "ok": self.ok,
            "cities": [r.city for r in self.rows],
            "errors": [e.to_dict() for e in self.errors],
            "output": str(self.output) if self.output else None,
        }


# --- reading ----------------------------------------------------------------


def _read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The file's records, with the row number of the first one."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                records = [{(k or "").strip(): v for k, v in rec.items()} for rec in reader]
            return records, 2
        if suffix in (".yaml", ".yml"):
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        else:
            raise DatasetError(f"{path.name}: use a .csv, .yaml or .yml file")
    except FileNotFoundError:
        raise NotFound(f"import file {path} does not exist") from None
    except (yaml.YAMLError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path.name}: cannot be read: {exc}") from None
    if isinstance(data, dict):
        data = data.get("rows")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DatasetError(f"{path.name}: expected a list of rows (or a mapping with a 'rows' list)")
    records = [{("yes" if k is True else "no" if k is False else str(k)): v for k, v in r.items()} for r in data]
    return records, 1


def _layout(records: list[dict[str, Any]], name: str) -> Layout:
    columns = set().union(*(r.keys() for r in records)) if records else set()
    if "field_id" in columns and "subindicator" not in columns:
        return "answers"
    if "subindicator" in columns and "field_id" not in columns:
        return "subindicators"
    raise DatasetError(
        f"{name}: cannot tell the layout; give either the columns {', '.join(ANSWER_COLUMNS)} "
        f"or the columns {', '.join(SUBINDICATOR_COLUMNS)}"
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    return int(text) if re.fullmatch(r"\d+", text) else None


class _Checker:
    """Checks rows one at a time and remembers what each city answered."""

    def __init__(self, catalog: Catalog, revision: str | None, records: list[dict[str, Any]], source: str):
        self.catalog = catalog
        self.source = source
        self.errors: list[RowError] = []
        self.cli_revision = revision
        known = set(catalog.framework.revision_ids)
        given = [_text(r.get("revision")) for r in records if _text(r.get("revision")) in known]
        self.revision = revision or (Counter(given).most_common(1)[0][0] if given else None)

    def error(self, row: int | None, field_name: str, reason: str) -> None:
        self.errors.append(RowError(row, field_name, reason))

    def city(self, row: int, value: Any) -> str | None:
        name = _text(value)
        if not name:
            self.error(row, "city", "is empty")
            return None
        try:
            return self.catalog.find_city(name).slug
        except NotFound:
            hint = _suggest(name, [c.slug for c in self.catalog.cities])
            self.error(row, "city", f"unknown city {name!r}" + (f"; did you mean {hint!r}?" if hint else ""))
            return None

    def revision_of(self, row: int, value: Any) -> str | None:
        rev = _text(value)
        known = self.catalog.framework.revision_ids
        if not rev:
            if self.cli_revision is None:
                self.error(row, "revision", "is empty (fill it in or pass --revision)")
            return self.revision
        if rev not in known:
            self.error(row, "revision", f"unknown revision {rev!r}; known: {', '.join(known)}")
            return None
        if self.revision is not None and rev != self.revision:
            self.error(row, "revision", f"{rev} differs from {self.revision}: import one revision per file")
            return None
        return rev


def _suggest(name: str, choices: list[str]) -> str | None:
    from rapidfuzz import process

    match = process.extractOne(name.casefold(), choices, score_cutoff=70)
    return match[0] if match else None


def _check_answers(records: list[dict[str, Any]], first: int, chk: _Checker) -> list[ScoreRow]:
    fw = chk.catalog.framework
    answers: dict[str, dict[str, Answer]] = defaultdict(dict)
    seen: dict[str, set[str]] = defaultdict(set)
    for i, rec in enumerate(records):
        row = first + i
        city = chk.city(row, rec.get("city"))
        rev = chk.revision_of(row, rec.get("revision"))
        field_id = _text(rec.get("field_id"))
        if not field_id:
            chk.error(row, "field_id", "is empty")
        elif rev is not None and field_id not in fw.revision(rev).field_ids:
            others = [r for r in fw.revision_ids if field_id in fw.revision(r).field_ids]
            extra = f" (it belongs to revision {', '.join(others)})" if others else ""
            chk.error(row, "field_id", f"unknown question {field_id!r} in revision {rev}{extra}")
            field_id = ""
        raw = _text(rec.get("answer")).casefold()
        answer = "yes" if raw in _YES else "no" if raw in _NO else None
        if answer is None:
            chk.error(row, "answer", f"expected yes or no, got {raw!r}")
        evidence = _text(rec.get("evidence"))
        if answer == "yes" and not evidence:
            chk.error(row, "evidence", "a yes answer needs evidence, as in the dashboard form")
        if city and field_id:
            if field_id in seen[city]:
                chk.error(row, "field_id", f"{city} already answered {field_id}")
            elif answer:
                answers[city][field_id] = Answer(field=field_id, answer=answer, evidence=evidence)
            seen[city].add(field_id)
    if chk.revision is None:
        return []
    rev = fw.revision(chk.revision)
    rows = []
    for city in seen:
        given = answers[city]
        missing = [f for f in rev.field_ids if f not in seen[city]]
        if missing:
            chk.error(None, "field_id", f"{city} has no answer for {len(missing)} question(s): {', '.join(missing)}")
        if len(given) != len(rev.field_ids):
            continue
        scores = {
            s.id: SubScore(yes=sum(given[q.field].answer == "yes" for q in s.questions), n=s.n)
            for s in rev.subindicators
        }
        ordered = [given[f] for f in rev.field_ids]
        rows.append(_row(city, chk.revision, scores, ordered, chk.source))
    return rows


def _check_subindicators(records: list[dict[str, Any]], first: int, chk: _Checker) -> list[ScoreRow]:
    fw = chk.catalog.framework
    scores: dict[str, dict[str, SubScore]] = defaultdict(dict)
    seen: dict[str, set[str]] = defaultdict(set)
    for i, rec in enumerate(records):
        row = first + i
        city = chk.city(row, rec.get("city"))
        rev = chk.revision_of(row, rec.get("revision"))
        sub_id = _text(rec.get("subindicator"))
        expected_n = None
        if not sub_id:
            chk.error(row, "subindicator", "is empty")
        elif rev is not None:
            try:
                expected_n = fw.revision(rev).subindicator(sub_id).n
            except NotFound:
                chk.error(row, "subindicator", f"unknown sub-indicator {sub_id!r} in revision {rev}")
                sub_id = ""
        yes, n = _int(rec.get("yes")), _int(rec.get("n"))
        if yes is None:
            chk.error(row, "yes", f"expected a whole number, got {_text(rec.get('yes'))!r}")
        if n is None or n == 0:
            chk.error(row, "n", f"expected a whole number above 0, got {_text(rec.get('n'))!r}")
        elif expected_n is not None and n != expected_n:
            chk.error(row, "n", f"is {n} but sub-indicator {sub_id} has {expected_n} questions in revision {rev}")
        if yes is not None and n and yes > n:
            chk.error(row, "yes", f"{yes} Yes answers is more than the {n} questions")
        if city and sub_id:
            if sub_id in seen[city]:
                chk.error(row, "subindicator", f"{city} already has a score for {sub_id}")
            elif yes is not None and n and yes <= n:
                scores[city][sub_id] = SubScore(yes=yes, n=n)
            seen[city].add(sub_id)
    if chk.revision is None:
        return []
    wanted = fw.revision(chk.revision).subindicator_ids
    rows = []
    for city in seen:
        given = scores[city]
        missing = [s for s in wanted if s not in seen[city]]
        if missing:
            chk.error(None, "subindicator", f"{city} has no score for {', '.join(missing)}")
        if len(given) != len(wanted):
            continue
        rows.append(_row(city, chk.revision, {s: given[s] for s in wanted}, [], chk.source))
    return rows


def _row(city: str, revision: str, scores: dict[str, SubScore], answers: list[Answer], source: str) -> ScoreRow:
    return ScoreRow(city=city, revision=revision, assessment="self-assessment", scores=scores, answers=answers, source=source)


def read_import(
    path: str | Path, catalog: Catalog, *, revision: str | None = None, source: str | None = None
) -> ImportResult:
    """Parse and check an import file without writing anything.

    :param revision: the revision of rows that leave it empty; rows must not disagree with it.
    :param source: where the results come from, recorded on every row (default: the file name).
    :raise NotFound: the file does not exist, or ``revision`` is unknown.
    :raise DatasetError: the file cannot be read, or its layout cannot be told.
    """
    path = Path(path)
    if revision is not None:
        catalog.framework.revision(revision)
    records, first = _read_records(path)
    if not records:
        raise DatasetError(f"{path.name}: the file has no rows")
    layout = _layout(records, path.name)
    chk = _Checker(catalog, revision, records, source or default_source(path.name))
    check = _check_answers if layout == "answers" else _check_subindicators
    rows = check(records, first, chk)
    errors = sorted(chk.errors, key=lambda e: (e.row is None, e.row or 0, e.field))
    return ImportResult(path.name, layout, chk.revision, rows, errors)


# --- writing ----------------------------------------------------------------


def output_name(source_file: str, revision: str) -> str:
    """``scores-<revision>-<import file stem>.yaml``, the stem reduced to a slug."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(source_file).stem.casefold()).strip("-") or "import"
    return f"scores-{revision}-{stem}.yaml"


def default_source(file_name: str) -> str:
    """The source recorded when none is given."""
    return f"network import of {file_name} (self-assessment)"


def _score_file(result: ImportResult) -> dict[str, Any]:
    rows = []
    for r in result.rows:
        row: dict[str, Any] = {
            "city": r.city,
            "revision": r.revision,
            "assessment": "self-assessment",
            "scores": {k: str(v) for k, v in r.scores.items()},
            "source": r.source,
        }
        if r.answers:
            row["answers"] = [a.model_dump() for a in r.answers]
        rows.append(row)
    data = {
        "revision": result.revision,
        "assessment": "self-assessment",
        "status": "imported",
        "sources": sorted({r.source for r in result.rows}),
        "imported_from": result.source_file,
        "rows": rows,
    }
    ScoreFile.model_validate(data)  # what we write must load back
    return data


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_HEADER = (
    "# Benchmark results imported with `ucc benchmark import`.\n"
    "# SELF-ASSESSMENT: the cities' own answers to the dashboard questionnaire, not audited.\n\n"
)


def import_scores(
    path: str | Path,
    catalog: Catalog,
    benchmark_dir: str | Path | None = None,
    *,
    revision: str | None = None,
    dry_run: bool = False,
    source: str | None = None,
) -> ImportResult:
    """Check an import file and, if it has no errors and this is no dry run, write its score file.

    The file goes to ``benchmark_dir`` (default: the catalog's ``benchmark/``) as
    :func:`output_name`; a previous import of the same name is replaced.
    ``result.output`` is set only when the file was written.
    """
    result = read_import(path, catalog, revision=revision, source=source)
    if not result.ok or dry_run:
        return result
    target_dir = Path(benchmark_dir) if benchmark_dir is not None else catalog.benchmark_dir
    out = target_dir / output_name(result.source_file, str(result.revision))
    data = _score_file(result)
    write_atomic(out, _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    result.output = out
    return result
