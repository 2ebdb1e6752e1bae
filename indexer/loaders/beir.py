"""JSON Lines in the BEIR corpus form to one :class:`SourceDocument` per record.

Each line is ``{"_id": ..., "title": ..., "text": ..., "metadata": {...}}``;
blank lines are skipped. ``doc_id`` is the record's ``_id`` as written, so
BEIR relevance judgements refer to it directly.
"""

from __future__ import annotations

import json
from typing import Any

from indexer.documents import Block, SourceDocument
from indexer.loaders.common import (
    FileContext,
    decode_utf8,
    first_words,
    normalise_metadata,
    require_text,
    split_paragraphs,
    squash,
)

_RESERVED = ("_id", "title", "text", "metadata")


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    text = decode_utf8(data, ctx)
    require_text(text, ctx)
    documents: list[SourceDocument] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        doc = _record(line, number, ctx)
        if doc is None:
            continue
        if doc.doc_id in seen:
            raise ctx.error(f"line {number}: duplicate _id {doc.doc_id!r} (first on line {seen[doc.doc_id]})")
        seen[doc.doc_id] = number
        documents.append(doc)
    if not documents:
        raise ctx.error("no records with text")
    return documents


def _record(line: str, number: int, ctx: FileContext) -> SourceDocument | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        raise ctx.error(f"line {number}: not valid JSON") from None
    if not isinstance(record, dict):
        raise ctx.error(f"line {number}: not a JSON object")
    if "_id" not in record or record["_id"] is None or isinstance(record["_id"], (dict, list, bool)):
        raise ctx.error(f"line {number}: missing _id")
    title, body = record.get("title") or "", record.get("text") or ""
    if not isinstance(title, str) or not isinstance(body, str):
        raise ctx.error(f"line {number}: title and text must be strings")
    paragraphs = split_paragraphs(body.replace("\r\n", "\n")) or split_paragraphs(title)
    if not paragraphs:
        return None
    return SourceDocument(
        doc_id=str(record["_id"]),
        source=ctx.source,
        title=squash(title) or first_words(body or title),
        blocks=[Block(p) for p in paragraphs],
        metadata=normalise_metadata(_metadata(record)),
        format="jsonl",
    )


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    nested = record.get("metadata")
    found: dict[str, Any] = dict(nested) if isinstance(nested, dict) else {}
    found.update({k: v for k, v in record.items() if k not in _RESERVED})
    return found
