"""Checking the rows of an import file against ``cities.yaml`` and the dashboard's framework.

Every error is collected with its row number, field and reason (:class:`RowError`); a city's
results become a :class:`~app.network.models.ScoreRow` only when they are complete: an answer
to every question of the revision (answers layout), or a score for every sub-indicator
(subindicators layout).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from rapidfuzz import process

from indexer.errors import NotFound

from app.network.benchmark_import.records import text, whole_number
from app.network.catalog import Catalog
from app.network.models import Answer, ScoreRow, SubScore

_YES = {"yes", "y", "true"}
_NO = {"no", "n", "false"}

# (row number, record, revision) -> (the key the row gives a value for, or "" when it names none;
# the value, or None when it has none)
ReadRow = Callable[[int, dict[str, Any], "str | None"], tuple[str, Any]]


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


class Checker:
    """Checks rows one at a time and remembers what each city answered."""

    def __init__(self, catalog: Catalog, revision: str | None, records: list[dict[str, Any]], source: str):
        self.catalog = catalog
        self.source = source
        self.errors: list[RowError] = []
        self.cli_revision = revision
        known = set(catalog.framework.revision_ids)
        given = [text(r.get("revision")) for r in records if text(r.get("revision")) in known]
        self.revision = revision or (Counter(given).most_common(1)[0][0] if given else None)

    def error(self, row: int | None, field_name: str, reason: str) -> None:
        self.errors.append(RowError(row, field_name, reason))

    def city(self, row: int, value: Any) -> str | None:
        name = text(value)
        if not name:
            self.error(row, "city", "is empty")
            return None
        try:
            return self.catalog.find_city(name).slug
        except NotFound:
            hint = suggest(name, [c.slug for c in self.catalog.cities])
            self.error(row, "city", f"unknown city {name!r}" + (f"; did you mean {hint!r}?" if hint else ""))
            return None

    def revision_of(self, row: int, value: Any) -> str | None:
        rev = text(value)
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


def suggest(name: str, choices: list[str]) -> str | None:
    """The choice closest to ``name`` (a score of 70 at least), or None."""
    match = process.extractOne(name.casefold(), choices, score_cutoff=70)
    return match[0] if match else None


def check_answers(records: list[dict[str, Any]], first: int, chk: Checker) -> list[ScoreRow]:
    """The answers layout: one row per city and question; a city's rows become its scores."""
    fw = chk.catalog.framework

    def read(row: int, rec: dict[str, Any], rev: str | None) -> tuple[str, Answer | None]:
        field_id = text(rec.get("field_id"))
        if not field_id:
            chk.error(row, "field_id", "is empty")
        elif rev is not None and field_id not in fw.revision(rev).field_ids:
            others = [r for r in fw.revision_ids if field_id in fw.revision(r).field_ids]
            extra = f" (it belongs to revision {', '.join(others)})" if others else ""
            chk.error(row, "field_id", f"unknown question {field_id!r} in revision {rev}{extra}")
            field_id = ""
        raw = text(rec.get("answer")).casefold()
        answer = "yes" if raw in _YES else "no" if raw in _NO else None
        if answer is None:
            chk.error(row, "answer", f"expected yes or no, got {raw!r}")
        evidence = text(rec.get("evidence"))
        if answer == "yes" and not evidence:
            chk.error(row, "evidence", "a yes answer needs evidence, as in the dashboard form")
        return field_id, Answer(field=field_id, answer=answer, evidence=evidence) if answer else None

    given = _collect(records, first, chk, read, "field_id", "{city} already answered {key}")
    if chk.revision is None:
        return []
    rev = fw.revision(chk.revision)
    rows = []
    missing = "{city} has no answer for {n} question(s): {missing}"
    for city, answers in _complete(chk, given, rev.field_ids, "field_id", missing):
        scores = {
            s.id: SubScore(yes=sum(answers[q.field].answer == "yes" for q in s.questions), n=s.n)
            for s in rev.subindicators
        }
        rows.append(_row(city, chk, scores, [answers[f] for f in rev.field_ids]))
    return rows


def check_subindicators(records: list[dict[str, Any]], first: int, chk: Checker) -> list[ScoreRow]:
    """The subindicators layout: one row per city and sub-indicator, with its Yes answers and questions."""
    fw = chk.catalog.framework

    def read(row: int, rec: dict[str, Any], rev: str | None) -> tuple[str, SubScore | None]:
        sub_id = text(rec.get("subindicator"))
        expected_n = None
        if not sub_id:
            chk.error(row, "subindicator", "is empty")
        elif rev is not None:
            try:
                expected_n = fw.revision(rev).subindicator(sub_id).n
            except NotFound:
                chk.error(row, "subindicator", f"unknown sub-indicator {sub_id!r} in revision {rev}")
                sub_id = ""
        yes, n = whole_number(rec.get("yes")), whole_number(rec.get("n"))
        if yes is None:
            chk.error(row, "yes", f"expected a whole number, got {text(rec.get('yes'))!r}")
        if n is None or n == 0:
            chk.error(row, "n", f"expected a whole number above 0, got {text(rec.get('n'))!r}")
        elif expected_n is not None and n != expected_n:
            chk.error(row, "n", f"is {n} but sub-indicator {sub_id} has {expected_n} questions in revision {rev}")
        if yes is not None and n and yes > n:
            chk.error(row, "yes", f"{yes} Yes answers is more than the {n} questions")
        return sub_id, SubScore(yes=yes, n=n) if yes is not None and n and yes <= n else None

    given = _collect(records, first, chk, read, "subindicator", "{city} already has a score for {key}")
    if chk.revision is None:
        return []
    wanted = fw.revision(chk.revision).subindicator_ids
    missing = "{city} has no score for {missing}"
    return [_row(city, chk, {s: scores[s] for s in wanted}, [])
            for city, scores in _complete(chk, given, wanted, "subindicator", missing)]


def _collect(records: list[dict[str, Any]], first: int, chk: Checker, read: ReadRow, column: str,
             repeated: str) -> dict[str, tuple[set[str], dict[str, Any]]]:
    """Per city, the keys its rows name and the good value of each (the first); every error recorded."""
    given: dict[str, tuple[set[str], dict[str, Any]]] = defaultdict(lambda: (set(), {}))
    for i, rec in enumerate(records):
        row = first + i
        city = chk.city(row, rec.get("city"))
        rev = chk.revision_of(row, rec.get("revision"))
        key, value = read(row, rec, rev)
        if city and key:
            seen, values = given[city]
            if key in seen:
                chk.error(row, column, repeated.format(city=city, key=key))
            elif value is not None:
                values[key] = value
            seen.add(key)
    return given


def _complete(chk: Checker, given: dict[str, tuple[set[str], dict[str, Any]]], wanted: list[str], column: str,
              missing: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The cities with a good value for every ``wanted`` key; an error for each city that misses some."""
    for city, (seen, values) in given.items():
        absent = [k for k in wanted if k not in seen]
        if absent:
            chk.error(None, column, missing.format(city=city, n=len(absent), missing=", ".join(absent)))
        if len(values) == len(wanted):
            yield city, values


def _row(city: str, chk: Checker, scores: dict[str, SubScore], answers: list[Answer]) -> ScoreRow:
    return ScoreRow(city=city, revision=chk.revision, assessment="self-assessment", scores=scores, answers=answers,
                    source=chk.source)
