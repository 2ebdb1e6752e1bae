"""DOCX (python-docx) to a :class:`SourceDocument`.

Headings come from the paragraph styles "Title" and "Heading 1".."Heading 9".
A document without any such style (common in converted files) gets its
headings from short paragraphs set wholly in bold. List paragraphs are grouped
into one block; tables become ``a | b`` row groups.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from indexer.documents import Block, SourceDocument
from indexer.loaders.common import (
    FileContext,
    Heading,
    build_blocks,
    readable_stem,
    single_document,
    scalar_text,
    split_list_cell,
    squash,
    table_blocks,
)

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_NOT_HEADING_END = re.compile(r"[.,;:?!]$")


@dataclass
class _Para:
    text: str
    style: str
    level: int | None  # 0 for a Title paragraph, 1-9 for headings, None otherwise
    list_level: int | None  # nesting of a list paragraph, None when not a list
    bold: bool


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    document = _open(data, ctx)
    parts = list(_parts(document, ctx))
    if not parts:
        raise ctx.error("no text (the document is empty)")
    if not any(isinstance(p, _Para) and p.level is not None for p in parts):
        _promote_bold_headings(parts)
    metadata = _core_properties(document)
    title = _title(metadata.pop("title", ""), parts) or readable_stem(ctx.path)
    blocks = build_blocks(_items(parts), title, title_level=None)
    if not blocks:
        raise ctx.error("no text (the document holds only headings)")
    return single_document(ctx, title, blocks, metadata, "docx")


def _open(data: bytes, ctx: FileContext) -> Any:
    from docx import Document  # imported here: only DOCX files need it

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ctx.error("corrupt DOCX (not a ZIP archive)")
    _check_size(data, ctx)
    try:
        return Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise ctx.error(f"corrupt DOCX ({squash(str(exc))[:160] or type(exc).__name__})") from None


_PARAGRAPH_TAG = re.compile(rb"<w:p[ >/]")


def _check_size(data: bytes, ctx: FileContext) -> None:
    """Refuse, before python-docx parses it, a package whose unpacked XML is over the file-size
    limit (a ZIP bomb) or whose body holds more paragraphs than UCC_MAX_PARAGRAPHS."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(i.file_size for i in package.infolist() if i.filename.endswith(".xml"))
            if unpacked > ctx.limits.max_bytes:
                raise ctx.error(f"too large once unpacked ({unpacked:,} bytes of XML > {ctx.limits.max_bytes:,}; "
                                "UCC_MAX_FILE_MB)")
            body = package.read("word/document.xml") if "word/document.xml" in package.namelist() else b""
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise ctx.error(f"corrupt DOCX ({squash(str(exc))[:160] or type(exc).__name__})") from None
    ctx.check_count("paragraphs", len(_PARAGRAPH_TAG.findall(body)), ctx.limits.max_paragraphs,
                    "UCC_MAX_PARAGRAPHS")


def _parts(document: Any, ctx: FileContext) -> Iterator[_Para | list[str]]:
    """The body in order: paragraphs with text, and tables as lists of block texts."""
    from docx.table import Table

    for part in document.iter_inner_content():
        ctx.check_time()
        if isinstance(part, Table):
            texts = _table(part)
            if texts:
                yield texts
            continue
        text = squash(part.text)
        if text:
            style = _style_name(part)
            yield _Para(text, style, _heading_level(style), _list_level(part, style), _bold_only(part))


def _style_name(paragraph: Any) -> str:
    try:
        return str(paragraph.style.name or "") if paragraph.style is not None else ""
    except Exception:  # a style id that points nowhere
        return ""


def _heading_level(style: str) -> int | None:
    if style.strip().lower() == "title":
        return 0
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else None


def _list_level(paragraph: Any, style: str) -> int | None:
    ppr = paragraph._p.pPr
    numpr = ppr.numPr if ppr is not None else None
    if numpr is not None:
        ilvl = numpr.ilvl
        return int(ilvl.val) if ilvl is not None and ilvl.val is not None else 0
    return 0 if style.lower().startswith("list") else None


def _bold_only(paragraph: Any) -> bool:
    try:
        style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    except Exception:
        style_bold = False
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold or (r.bold is None and style_bold) for r in runs)


def _table(table: Any) -> list[str]:
    rows: list[list[str]] = []
    header: list[str] | None = None
    for row in table.rows:
        cells: list[str] = []
        seen: list[Any] = []
        for cell in row.cells:
            if any(cell._tc is s for s in seen):  # a merged cell is listed once per grid column
                continue
            seen.append(cell._tc)
            cells.append(_cell_text(cell))
        if header is None and not rows and row._tr.xpath("./w:trPr/w:tblHeader"):
            header = cells
        else:
            rows.append(cells)
    return table_blocks(rows, header)


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs on one line: ``; `` between them unless a sentence ended."""
    text = ""
    for paragraph in cell.paragraphs:
        part = squash(paragraph.text)
        if part:
            text = part if not text else text + (" " if re.search(r"[.!?:;]$", text) else "; ") + part
    return text


def _promote_bold_headings(parts: list[_Para | list[str]]) -> None:
    """Short paragraphs wholly in bold, not ending like a sentence, read as level-1 headings."""
    for part in parts:
        if isinstance(part, _Para) and part.bold and len(part.text) <= 100:
            if not _NOT_HEADING_END.search(part.text) and re.search(r"[^\W\d_]{2}", part.text):
                part.level, part.list_level = 1, None


def _title(core_title: str, parts: list[_Para | list[str]]) -> str:
    """The core ``title``, else the Title paragraph, else the first heading."""
    if squash(core_title):
        return squash(core_title)
    paras = [p for p in parts if isinstance(p, _Para)]
    for wanted in (lambda p: p.level == 0, lambda p: p.level is not None):
        found = next((p.text for p in paras if wanted(p)), "")
        if found:
            return found
    return ""


def _items(parts: list[_Para | list[str]]) -> list[Heading | Block]:
    items: list[Heading | Block] = []
    pending: list[str] = []
    for part in parts:
        if isinstance(part, _Para) and part.level is None and part.list_level is not None:
            pending.append("  " * min(part.list_level, 8) + "- " + part.text)
            continue
        if pending:
            items.append(Block("\n".join(pending)))
            pending = []
        if isinstance(part, list):
            items.extend(Block(text) for text in part)
        elif part.level is not None:
            items.append(Heading(max(part.level, 1), part.text))
        else:
            items.append(Block(part.text))
    if pending:
        items.append(Block("\n".join(pending)))
    return items


def _core_properties(document: Any) -> dict[str, Any]:
    try:
        props = document.core_properties
    except Exception:
        return {}
    found: dict[str, Any] = {}
    for name in ("title", "author", "subject", "category", "comments", "language", "created", "modified"):
        value = getattr(props, name, None)
        if value not in (None, ""):
            found[name] = scalar_text(value).strip()
    keywords = squash(props.keywords or "")
    if keywords:
        found["tags"] = split_list_cell(keywords, "tags")
    return {k: v for k, v in found.items() if v not in ("", [])}
