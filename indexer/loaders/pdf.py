"""PDF (pypdf) to a :class:`SourceDocument`: paragraphs per page, each with its page number.

pypdf gives the text of a page as lines. Paragraphs are split on blank lines
and, within a run of lines, where a line ends a sentence well short of the
page's width (the usual shape of a paragraph's last line). Bullets become
``- `` items; lone page numbers at the top or bottom of a page are dropped.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from indexer.documents import Block, SourceDocument
from indexer.loaders.common import FileContext, build_blocks, readable_stem, single_document, squash

_ROMAN = r"(?=[mdclxvi])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(rf"^(?:page\s+)?(?:\d{{1,4}}|{_ROMAN})(?:\s+(?:of|/)\s+\d{{1,4}})?$", re.IGNORECASE)
_BULLET = re.compile(r"^[•▪◦‣●■□–]\s*")
# Bullets drawn with the Symbol and Wingdings fonts come out as private-use characters.
_SYMBOL_BULLETS = str.maketrans({"\uf0b7": "•", "\uf0a7": "▪", "\uf0d8": "•", "\uf076": "•", "\uf0fc": "•"})
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")
_MEANINGLESS_TITLE = re.compile(r"^(untitled|document\d*|microsoft word\b.*|.*\.(docx?|pdf|indd|odt|rtf))$", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    with _quiet_pypdf():
        reader = _open(data, ctx)
        pages, failures = _page_texts(reader, ctx)
        info = _info(reader)
    if not any(p.strip() for p in pages):
        if failures and not any(pages):
            raise ctx.error(f"could not extract text: {failures[0]}")
        raise ctx.error("no extractable text (scanned PDF?)")
    items = [Block(text, page=n) for n, page in enumerate(pages, 1) for text in page_paragraphs(page)]
    title = _title(info, pages, ctx)
    metadata: dict[str, Any] = {"pages": len(pages)}
    for key, name in (("/Author", "author"), ("/Subject", "subject"), ("/Keywords", "tags")):
        value = squash(str(info.get(key) or ""))
        if value:
            metadata[name] = value
    blocks = build_blocks(items, title)
    return single_document(ctx, title, blocks, metadata, "pdf")


_quiet_lock = threading.Lock()
_quiet_state = {"depth": 0, "level": logging.NOTSET}


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs every oddity of a broken file (some at length); the loader reports its own error."""
    logger = logging.getLogger("pypdf")
    with _quiet_lock:
        if _quiet_state["depth"] == 0:
            _quiet_state["level"] = logger.level
            logger.setLevel(logging.CRITICAL)
        _quiet_state["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_state["depth"] -= 1
            if _quiet_state["depth"] == 0:
                logger.setLevel(_quiet_state["level"])


def _open(data: bytes, ctx: FileContext) -> Any:
    from pypdf import PdfReader  # imported here: pypdf is slow to import and only PDFs need it

    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:  # pypdf raises many types for broken files
        raise ctx.error(f"corrupt PDF ({_short(exc)})") from None
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("")
        except Exception:
            unlocked = 0
        if not unlocked:
            raise ctx.error("the PDF is encrypted (password protected)")
    try:
        len(reader.pages)
    except Exception as exc:
        raise ctx.error(f"corrupt PDF ({_short(exc)})") from None
    return reader


def _page_texts(reader: Any, ctx: FileContext) -> tuple[list[str], list[str]]:
    """Text of every page ('' for a page that fails), and the failures met."""
    pages: list[str] = []
    failures: list[str] = []
    try:
        count = len(reader.pages)
    except Exception as exc:  # a broken page tree
        raise ctx.error(f"corrupt PDF ({_short(exc)})") from None
    ctx.check_count("pages", count, ctx.limits.max_pages, "UCC_MAX_PAGES")
    for page in reader.pages:
        ctx.check_time()
        try:
            pages.append(page.extract_text() or "")
        except Exception as exc:
            pages.append("")
            failures.append(_short(exc))
    return pages, failures


def _info(reader: Any) -> dict[str, Any]:
    try:
        return dict(reader.metadata or {})
    except Exception:
        return {}


def _short(exc: Exception) -> str:
    return squash(str(exc))[:160] or type(exc).__name__


def _title(info: dict[str, Any], pages: list[str], ctx: FileContext) -> str:
    """``/Title`` when meaningful, else the first short line of page 1, else the file name."""
    title = squash(str(info.get("/Title") or ""))
    if len(_LETTER.findall(title)) >= 2 and not _MEANINGLESS_TITLE.match(title):
        return title
    for line in _content_lines(pages[0] if pages else ""):
        if len(line) <= 100 and len(_LETTER.findall(line)) >= 3:
            return line
    return readable_stem(ctx.path)


def _content_lines(text: str) -> list[str]:
    """The page's lines, squashed, without page numbers at the top or bottom."""
    lines = [squash(line) for line in text.translate(_SYMBOL_BULLETS).split("\n")]
    filled = [i for i, line in enumerate(lines) if line]
    for i in filled[:1] + filled[-1:]:
        if _PAGE_NUMBER.match(lines[i]):
            lines[i] = ""
    return lines


def page_paragraphs(text: str) -> list[str]:
    """Paragraph texts of one page (lists keep one item per line)."""
    lines = _content_lines(text)
    width = max((len(line) for line in lines), default=0)
    paragraphs: list[list[str]] = []
    current: list[str] = []
    previous = ""
    for line in lines:
        continues = bool(current) and line[:1].islower()
        bullet = _BULLET.match(line)
        if not line:
            current = _close(paragraphs, current)
        elif bullet:
            if current and not current[0].startswith("- "):
                current = _close(paragraphs, current)
            current.append("- " + line[bullet.end() :])
        elif continues or (current and not _ends_paragraph(previous, width)):
            current[-1] = _join(current[-1], line)
        else:
            current = _close(paragraphs, current)
            current.append(line)
        previous = line
    _close(paragraphs, current)
    return _merge_fragments(["\n".join(p) for p in paragraphs])


def _close(paragraphs: list[list[str]], current: list[str]) -> list[str]:
    if current:
        paragraphs.append(current)
    return []


def _ends_paragraph(line: str, width: int) -> bool:
    """A line well short of the page width ends its paragraph (more so after a full stop)."""
    if not line or width == 0:
        return True
    if _SENTENCE_END.search(line):
        return len(line) < 0.75 * width
    return len(line) < 0.45 * width


def _join(left: str, right: str) -> str:
    if re.search(r"[^\W\d_]-$", left) and right[:1].islower():
        return left + right  # a word broken at the line end keeps its hyphen
    return f"{left} {right}"


def _merge_fragments(paragraphs: list[str]) -> list[str]:
    """Glue short heading-like fragments (``B. General Considerations``) to what follows."""
    out: list[str] = []
    carry = ""
    for text in paragraphs:
        if carry:
            text = carry + ("\n" if text.startswith("- ") else " ") + text
        carry = ""
        if len(text) < 60 and "\n" not in text and not _SENTENCE_END.search(text):
            carry = text
        else:
            out.append(text)
    if carry:
        out.append(carry)
    return out
