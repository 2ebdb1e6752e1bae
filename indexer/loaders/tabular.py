"""CSV to one :class:`SourceDocument` per row.

The delimiter is whichever of ``,`` ``;`` and tab the header line holds most.

An optional sidecar ``<file>.csv.yaml`` says which columns hold the text, the
title and the record id (``text_column``, ``title_column``, ``id_column``) and
the ``kind`` of every row; its other known fields are defaults for every row.
Without a text column the text is every non-empty column as ``Column: value``
lines. Other columns become metadata; a list field in one cell is split on
``;`` or ``|`` (else on ``,``; ``sources`` only on ``;`` or ``|``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import yaml

from indexer.documents import KNOWN_FIELDS, LIST_FIELDS, Block, SourceDocument
from indexer.loaders.common import (
    FileContext,
    decode_utf8,
    normalise_metadata,
    require_text,
    split_list_cell,
    split_paragraphs,
    squash,
)

TEXT_COLUMNS = ("text", "content", "body", "description")
TITLE_COLUMNS = ("title", "name")
ID_COLUMNS = ("id", "_id", "slug")
_SIDECAR_COLUMNS = ("text_column", "title_column", "id_column")


@dataclass(frozen=True)
class _Columns:
    text: str | None
    title: str | None
    id: str | None


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    text = decode_utf8(data, ctx).replace("\x00", "")
    require_text(text, ctx)
    header, rows = _read(text, ctx)
    sidecar = _sidecar(ctx)
    columns = _columns(header, sidecar, ctx)
    defaults = {k: v for k, v in sidecar.items() if k not in _SIDECAR_COLUMNS}
    documents: list[SourceDocument] = []
    seen: dict[str, int] = {}
    for row_number, (line, row) in enumerate(rows, 1):
        record = dict(zip(header, row + [""] * (len(header) - len(row))))
        doc = _document(record, row_number, columns, defaults, ctx)
        if doc is None:
            continue
        if doc.doc_id in seen:
            record_id = doc.doc_id.split("#", 1)[1]
            raise ctx.error(f"line {line}: duplicate id {record_id!r} (first on line {seen[doc.doc_id]})")
        seen[doc.doc_id] = line
        documents.append(doc)
    if not documents:
        raise ctx.error("no rows with text")
    return documents


def _read(text: str, ctx: FileContext) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (names made unique) and the non-empty rows with their line numbers."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ctx.error(f"line {reader.line_num}: {exc}") from None
    if not rows:
        raise ctx.error("no text (the CSV has no rows)")
    header = _unique([squash(name) for name in rows[0][1]])
    if len(rows) == 1:
        raise ctx.error("the CSV has a header but no rows")
    return header, rows[1:]


def _delimiter(text: str) -> str:
    """The one of ``,`` ``;`` tab found most often in the header line, outside quotes."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in ",;\t"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names, 1):
        base = name or f"column {i}"
        candidate, n = base, 2
        while candidate in out:
            candidate, n = f"{base}_{n}", n + 1
        out.append(candidate)
    return out


def _sidecar(ctx: FileContext) -> dict[str, Any]:
    for suffix in (".yaml", ".yml"):
        path = ctx.path.with_name(ctx.path.name + suffix)
        if path.is_file():
            return _read_sidecar(path, ctx)
    return {}


def _read_sidecar(path: Any, ctx: FileContext) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ctx.error(f"sidecar {path.name} cannot be read: {squash(str(exc))[:160]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ctx.error(f"sidecar {path.name} is not a mapping")
    return {str(k): v for k, v in data.items()}


def _columns(header: list[str], sidecar: dict[str, Any], ctx: FileContext) -> _Columns:
    found: dict[str, str | None] = {}
    for key, fallbacks in zip(_SIDECAR_COLUMNS, (TEXT_COLUMNS, TITLE_COLUMNS, ID_COLUMNS)):
        declared = sidecar.get(key)
        if declared is not None:
            if str(declared) not in header:
                raise ctx.error(f"sidecar names {key} {str(declared)!r}, which is not a column ({', '.join(header)})")
            found[key] = str(declared)
        else:
            lower = {name.lower(): name for name in reversed(header)}
            found[key] = next((lower[n] for n in fallbacks if n in lower), None)
    return _Columns(found["text_column"], found["title_column"], found["id_column"])


def _document(
    record: dict[str, str], row_number: int, columns: _Columns, defaults: dict[str, Any], ctx: FileContext
) -> SourceDocument | None:
    if columns.text is not None:
        paragraphs = split_paragraphs(record[columns.text])
    else:
        lines = [f"{name}: {squash(value)}" for name, value in record.items() if value.strip()]
        paragraphs = ["\n".join(lines)] if lines else []
    if not paragraphs:
        return None
    record_id = squash(record.get(columns.id, "")) if columns.id else ""
    title = squash(record.get(columns.title, "")) if columns.title else ""
    used = {columns.text, columns.title, columns.id}
    metadata = dict(defaults)
    metadata.update(_row_metadata({k: v for k, v in record.items() if k not in used}))
    return SourceDocument(
        doc_id=f"{ctx.source}#{record_id or row_number}",
        source=ctx.source,
        title=title or f"{ctx.stem} row {row_number}",
        blocks=[Block(p) for p in paragraphs],
        metadata=normalise_metadata(metadata),
        format="csv",
    )


def _row_metadata(cells: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in cells.items():
        value = value.strip()
        if not value:
            continue
        key = name.lower() if name.lower() in KNOWN_FIELDS else name
        out[key] = split_list_cell(value, key) if key in LIST_FIELDS else value
    return out
