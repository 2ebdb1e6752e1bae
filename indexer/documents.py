"""What the loaders produce and the chunker consumes.

A file becomes one or more :class:`SourceDocument` (a CSV or JSONL file holds
many records). A document is a title, metadata and a list of :class:`Block`:
paragraph-sized pieces of text, each with the path of headings above it and,
for PDFs, its page number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

# Front-matter fields with a meaning of their own; anything else is kept in ``metadata``.
KNOWN_FIELDS = (
    "title",
    "kind",
    "city",
    "country",
    "year",
    "principles",
    "subindicators",
    "tags",
    "url",
    "sources",
)
LIST_FIELDS = ("principles", "subindicators", "tags", "sources")


@dataclass
class Block:
    text: str
    section: tuple[str, ...] = ()
    page: int | None = None


@dataclass
class SourceDocument:
    doc_id: str  # path relative to the indexed root, plus "#record" for multi-record files
    source: str  # path relative to the indexed root
    title: str
    blocks: list[Block]
    metadata: dict[str, Any] = field(default_factory=dict)
    format: str = "text"

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)

    def content_hash(self) -> str:
        h = hashlib.sha256()
        h.update(self.title.encode())
        h.update(repr(sorted(self.metadata.items(), key=lambda kv: kv[0])).encode())
        for b in self.blocks:
            h.update(b"\x00" + "\x1f".join(b.section).encode() + b"\x1e" + str(b.page).encode())
            h.update(b.text.encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    text: str  # the passage itself
    section: tuple[str, ...]
    page: int | None
    embed_text: str  # what is embedded: title and section path, then the passage

    @property
    def embed_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode()).hexdigest()


def chunk_id_for(doc_id: str, section: tuple[str, ...], text: str) -> str:
    """A stable id derived from the chunk's content and place."""
    payload = "\x1f".join((doc_id, *section)) + "\x1e" + text
    return hashlib.sha256(payload.encode()).hexdigest()[:20]
