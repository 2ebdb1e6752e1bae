"""Importing a file of benchmark results: check it, then write its score file.

:func:`read_import` checks every row and collects every error without writing anything;
:func:`import_scores` writes ``scores-<revision>-<name>.yaml`` (:func:`output_name`) only when
there are none, through a temporary file and ``os.replace`` (:func:`write_atomic`), so a reader
never sees half a file. What is written must load back as a
:class:`~app.network.models.ScoreFile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from indexer.errors import DatasetError
from indexer.store import write_file_atomically

from app.network.benchmark_import.records import Layout, layout, read_records
from app.network.benchmark_import.rows import Checker, RowError, check_answers, check_subindicators
from app.network.catalog import Catalog
from app.network.models import ScoreFile, ScoreRow


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
    records, first = read_records(path)
    if not records:
        raise DatasetError(f"{path.name}: the file has no rows")
    kind = layout(records, path.name)
    chk = Checker(catalog, revision, records, source or default_source(path.name))
    check = check_answers if kind == "answers" else check_subindicators
    rows = check(records, first, chk)
    errors = sorted(chk.errors, key=lambda e: (e.row is None, e.row or 0, e.field))
    return ImportResult(path.name, kind, chk.revision, rows, errors)


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
    """Write ``text`` to ``path`` atomically (:func:`indexer.store.write_file_atomically`), readable
    by the group and others like any file of the knowledge folder."""
    write_file_atomically(path, text, mode=0o644)


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
