"""Split a document into passages that fit the embedding model's window.

Chunks follow the document's structure: blocks under the same heading (and on
the same PDF page) are packed together up to the token budget; a block that is
too long is split at sentence, then word, boundaries. Every chunk carries the
document title and its section path, and that header counts against the budget
as measured by the model's own tokenizer.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

from .documents import Chunk, SourceDocument, chunk_id_for

TokenCounter = Callable[[Sequence[str]], list[int]]

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'“(\[A-Z0-9])")
_MIN_BUDGET = 24


def header_for(title: str, section: Sequence[str]) -> str:
    parts = [title.strip()] if title.strip() else []
    if section:
        parts.append(" > ".join(s.strip() for s in section if s.strip()))
    return " — ".join(parts)


def chunk_document(doc: SourceDocument, count_tokens: TokenCounter, max_tokens: int) -> list[Chunk]:
    """Chunks of ``doc``, each with at most ``max_tokens`` tokens in its embedded text."""
    chunks: list[Chunk] = []
    for (section, page), texts in _groups(doc):
        header = _fit_header(header_for(doc.title, section), count_tokens, max_tokens)
        header_tokens = count_tokens([header])[0] if header else 0
        # The header is at most a third of the window, so the passage keeps two thirds; the floor
        # only matters for tiny windows, and never lets header + passage exceed the window.
        budget = max(max_tokens - header_tokens - 2, min(_MIN_BUDGET, max_tokens // 2))
        for body in _pack(texts, count_tokens, budget):
            embed_text = f"{header}\n{body}" if header else body
            chunks.append(
                Chunk(
                    chunk_id=chunk_id_for(doc.doc_id, section, body),
                    doc_id=doc.doc_id,
                    ordinal=len(chunks),
                    text=body,
                    section=section,
                    page=page,
                    embed_text=embed_text,
                )
            )
    return _dedupe_ids(chunks)


def _groups(doc: SourceDocument) -> Iterable[tuple[tuple[tuple[str, ...], int | None], list[str]]]:
    current_key = None
    current: list[str] = []
    for block in doc.blocks:
        text = block.text.strip()
        if not text:
            continue
        key = (tuple(block.section), block.page)
        if key != current_key and current:
            yield current_key, current
            current = []
        current_key = key
        current.append(text)
    if current:
        yield current_key, current


def _fit_header(header: str, count_tokens: TokenCounter, max_tokens: int) -> str:
    limit = max_tokens // 3
    if not header or count_tokens([header])[0] <= limit:
        return header
    words = header.split()
    while words and count_tokens([" ".join(words) + " …"])[0] > limit:
        words = words[: max(1, len(words) * 3 // 4)] if len(words) > 4 else words[:-1]
    return " ".join(words) + " …"


def _pieces(text: str, count_tokens: TokenCounter, budget: int) -> list[tuple[str, int]]:
    """Split one block into pieces of at most ``budget`` tokens, with their counts."""
    n = count_tokens([text])[0]
    if n <= budget:
        return [(text, n)]
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) > 1:
        out: list[tuple[str, int]] = []
        for sentence in sentences:
            out.extend(_pieces(sentence, count_tokens, budget))
        return _merge(out, budget, " ")
    words = text.split()
    if len(words) <= 1:
        return _split_long_word(text, count_tokens, budget)
    counts = count_tokens(words)
    out, cur, cur_n = [], [], 0
    for word, c in zip(words, counts):
        if c > budget:
            if cur:
                out.append((" ".join(cur), cur_n))
                cur, cur_n = [], 0
            out.extend(_split_long_word(word, count_tokens, budget))
            continue
        if cur and cur_n + c > budget:
            out.append((" ".join(cur), cur_n))
            cur, cur_n = [], 0
        cur.append(word)
        cur_n += c
    if cur:
        out.append((" ".join(cur), cur_n))
    return out


def _split_long_word(word: str, count_tokens: TokenCounter, budget: int) -> list[tuple[str, int]]:
    out = []
    step = max(1, budget)  # a character never makes more than one token here
    for i in range(0, len(word), step):
        piece = word[i : i + step]
        out.append((piece, count_tokens([piece])[0]))
    return out


def _merge(pieces: list[tuple[str, int]], budget: int, joiner: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for text, n in pieces:
        if out and out[-1][1] + n <= budget:
            prev, prev_n = out[-1]
            out[-1] = (prev + joiner + text, prev_n + n)
        else:
            out.append((text, n))
    return out


def _pack(texts: list[str], count_tokens: TokenCounter, budget: int) -> list[str]:
    pieces: list[tuple[str, int]] = []
    for text in texts:
        pieces.extend(_pieces(text, count_tokens, budget))
    bodies = [t for t, _ in _merge(pieces, budget, "\n\n")]
    # Word-piece counts add up across whitespace, but check exactly and split what still overflows.
    exact = count_tokens(bodies)
    result: list[str] = []
    for body, n in zip(bodies, exact):
        if n <= budget:
            result.append(body)
        else:
            result.extend(t for t, _ in _pieces(body.replace("\n\n", " "), count_tokens, budget - 8))
    return result


def _dedupe_ids(chunks: list[Chunk]) -> list[Chunk]:
    """Identical passages under the same heading get distinct, still stable, ids."""
    seen: dict[str, int] = {}
    out = []
    for c in chunks:
        n = seen.get(c.chunk_id, 0)
        seen[c.chunk_id] = n + 1
        if n:
            c = Chunk(f"{c.chunk_id}-{n}", c.doc_id, c.ordinal, c.text, c.section, c.page, c.embed_text)
        out.append(c)
    return out
