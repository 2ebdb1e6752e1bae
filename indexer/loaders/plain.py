"""Plain text to a :class:`SourceDocument`: paragraphs on blank lines.

The first line is the title when it is short (at most 100 characters) and a
blank line follows it; otherwise the title is the file name made readable.
"""

from __future__ import annotations

from indexer.documents import Block, SourceDocument
from indexer.loaders.common import FileContext, decode_utf8, readable_stem, require_text, split_paragraphs, squash

TITLE_MAX = 100


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    text = decode_utf8(data, ctx).replace("\x00", "")
    require_text(text, ctx)
    title, body = split_title(text.strip("\n"))
    blocks = [Block(p) for p in split_paragraphs(body)]
    if not blocks:
        blocks = [Block(title)]  # a file holding one short line is its own text
    return [
        SourceDocument(
            doc_id=ctx.source,
            source=ctx.source,
            title=title or readable_stem(ctx.path),
            blocks=blocks,
            format="text",
        )
    ]


def split_title(text: str) -> tuple[str, str]:
    """(title, rest) when the first line is a short line followed by a blank line, else ('', text)."""
    lines = text.split("\n")
    first = squash(lines[0])
    if first and len(first) <= TITLE_MAX and len(lines) > 2 and not lines[1].strip():
        return first, "\n".join(lines[2:])
    return "", text
