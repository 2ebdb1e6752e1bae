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

The modules: :mod:`~app.network.benchmark_import.records` (reading the file and telling its
layout), :mod:`~app.network.benchmark_import.rows` (checking the rows) and
:mod:`~app.network.benchmark_import.importing` (the import and the score file it writes).
"""

from app.network.benchmark_import.importing import (
    ImportResult,
    default_source,
    import_scores,
    output_name,
    read_import,
    write_atomic,
)
from app.network.benchmark_import.records import ANSWER_COLUMNS, SUBINDICATOR_COLUMNS, Layout
from app.network.benchmark_import.rows import RowError

__all__ = [
    "ANSWER_COLUMNS",
    "SUBINDICATOR_COLUMNS",
    "ImportResult",
    "Layout",
    "RowError",
    "default_source",
    "import_scores",
    "output_name",
    "read_import",
    "write_atomic",
]
