"""HTML pages (BeautifulSoup + lxml) to a :class:`SourceDocument`.

The main content is ``<main>``, else ``<article>``, else ``<body>``; navigation,
scripts, forms and other page furniture are dropped. Headings h1–h6 give the
section path; paragraphs, lists, preformatted text, quotes and table rows
become blocks.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from indexer.documents import KNOWN_FIELDS, Block, SourceDocument
from indexer.errors import DocumentError
from indexer.loaders.common import (
    FileContext,
    Heading,
    build_blocks,
    decode_utf8,
    readable_stem,
    single_document,
    require_text,
    split_list_cell,
    squash,
    squash_lines,
    table_blocks,
)

DROPPED = ("script", "style", "nav", "header", "footer", "aside", "noscript", "form", "template", "svg")
HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Elements that end a run of text; a space is put around them so words never glue.
_BLOCKISH = (
    "address article blockquote br caption dd details dialog div dl dt figcaption figure h1 h2 h3 "
    "h4 h5 h6 hr li main ol p pre section summary table tbody td tfoot th thead tr ul"
).split()
MAX_DEPTH = 256  # real pages nest a few dozen levels
_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    text = _decode(data, ctx)
    require_text(text, ctx)
    soup = BeautifulSoup(text, "lxml")
    if _depth(soup) > MAX_DEPTH:  # past it, tree edits and searches below grow with depth squared
        raise ctx.error(f"the page nests elements more than {MAX_DEPTH} levels deep")
    page_title = _title_tag(soup)
    metadata = _meta_fields(soup)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    walker = _walk(root)
    title = page_title or walker.first_h1 or readable_stem(ctx.path)
    blocks = build_blocks(walker.items, title)
    if not blocks:
        raise ctx.error("no text (the page has no readable content)")
    return single_document(ctx, title, blocks, metadata, "html")


def _depth(soup: BeautifulSoup) -> int:
    """How deeply the page's elements nest (in one pass, without recursion)."""
    depth = {id(soup): 0}
    deepest = 0
    for node in soup.descendants:
        if isinstance(node, Tag):
            depth[id(node)] = level = depth[id(node.parent)] + 1
            deepest = max(deepest, level)
    return deepest


def _decode(data: bytes, ctx: FileContext) -> str:
    """UTF-8, or the charset the page declares when it is not UTF-8."""
    try:
        return decode_utf8(data, ctx)
    except DocumentError:
        declared = _CHARSET.search(data[:4096])
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            try:
                return data.decode(declared.group(1).decode("ascii")).replace("\r\n", "\n")
            except (LookupError, UnicodeDecodeError):
                pass
        raise


def _title_tag(soup: BeautifulSoup) -> str:
    tag = soup.find("title")
    return squash(tag.get_text("")) if tag is not None else ""


def _meta_fields(soup: BeautifulSoup) -> dict[str, Any]:
    """``<meta>`` description, keywords (as ``tags``), author and known fields; canonical URL."""
    found: dict[str, Any] = {}
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or meta.get("property") or "").strip().lower()
        content = squash(str(meta.get("content") or ""))
        if not name or not content:
            continue
        if name == "keywords":
            found["tags"] = split_list_cell(content, "tags")
        elif name in ("description", "author") or name in KNOWN_FIELDS:
            found[name] = split_list_cell(content, name) if name in ("principles", "subindicators") else content
        elif name in ("og:description", "og:url"):
            found.setdefault(name[3:], content)
    canonical = soup.find("link", rel="canonical")
    if canonical is not None and canonical.get("href"):
        found.setdefault("url", str(canonical.get("href")))
    return found


def _walk(root) -> "_Walker":
    """The blocks of ``root``: scripts, navigation and the like dropped, block elements spaced."""
    for tag in root.find_all(DROPPED):
        tag.decompose()
    _space_blocks(root)
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    return walker


def fragment_items(fragment: str) -> list[Heading | Block]:
    """Headings and blocks of a piece of HTML inside another format (an HTML block of a Markdown
    page), read as a page's content is; page furniture is dropped."""
    soup = BeautifulSoup(fragment, "lxml")
    root = soup.body or soup
    if _depth(soup) > MAX_DEPTH:
        return [Block(squash(root.get_text(" ")))]
    return _walk(root).items


def _space_blocks(root: Tag) -> None:
    """Put spaces around block elements and replace ``<br>``, so text never runs together."""
    for br in root.find_all("br"):
        br.replace_with(" ")
    for tag in root.find_all(_BLOCKISH):
        tag.insert(0, " ")
        tag.append(" ")


def text_of(tag: Tag) -> str:
    return squash(tag.get_text(""))


class _Walker:
    """Walks the content in document order, collecting headings and blocks."""

    def __init__(self) -> None:
        self.items: list[Heading | Block] = []
        self.first_h1 = ""
        self._loose: list[str] = []

    def walk(self, node: Tag) -> None:
        """Visit ``node``'s content depth first (with a stack: pages can nest deeply)."""
        stack = [iter(node.children)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                self.flush()
            elif isinstance(child, Tag):
                if self._element(child):
                    self.flush()
                    stack.append(iter(child.children))
            elif type(child) is NavigableString:
                self._loose.append(str(child))

    def flush(self) -> None:
        text = squash("".join(self._loose))
        if text:
            self.items.append(Block(text))
        self._loose = []

    def _element(self, tag: Tag) -> bool:
        """Handle one element; True when it is a container whose children must be visited."""
        name = (tag.name or "").lower()
        if name in HEADINGS:
            self.flush()
            text = text_of(tag)
            if name == "h1" and not self.first_h1:
                self.first_h1 = text
            self.items.append(Heading(HEADINGS[name], text))
        elif name in ("p", "blockquote"):
            self.flush()
            self.items.append(Block(text_of(tag)))
        elif name in ("ul", "ol"):
            self.flush()
            self.items.append(Block("\n".join(_list_lines(tag, 0))))
        elif name == "pre":
            self.flush()
            self.items.append(Block(_preformatted(tag)))
        elif name == "table":
            self.flush()
            self.items.extend(Block(t) for t in html_table_blocks(tag))
        elif name == "dl":
            self.flush()
            self.items.append(Block(squash_lines("\n".join(text_of(t) for t in tag.find_all(["dt", "dd"])))))
        elif name in ("hr", "img"):
            self.flush()
        elif name in _BLOCKISH or tag.find(_BLOCKISH + ["table"]) is not None:
            return True
        else:
            self._loose.append(tag.get_text(""))
        return False


def _list_lines(tag: Tag, depth: int) -> list[str]:
    """``- item`` lines (``1.`` for ordered lists), nested lists indented below their item."""
    lines: list[str] = []
    ordered = (tag.name or "").lower() == "ol"
    number = _start(tag)
    for item in tag.find_all("li", recursive=False):
        own = _own_text(item)
        if own:
            lines.append("  " * depth + (f"{number}." if ordered else "-") + " " + own)
            number += 1
        for sub in item.find_all(["ul", "ol"], recursive=False):
            lines.extend(_list_lines(sub, depth + 1))
    return lines


def _own_text(item: Tag) -> str:
    """An item's text without its nested lists."""
    parts: list[str] = []
    for child in item.children:
        if isinstance(child, Tag):
            if child.name not in ("ul", "ol"):
                parts.append(child.get_text(""))
        elif type(child) is NavigableString:
            parts.append(str(child))
    return squash("".join(parts))


def _start(tag: Tag) -> int:
    try:
        return int(str(tag.get("start", "1")))
    except ValueError:
        return 1


def _preformatted(tag: Tag) -> str:
    lines = [line.rstrip() for line in tag.get_text("").split("\n")]
    return "\n".join(lines).strip("\n")


def html_table_blocks(table: Tag) -> list[str]:
    """A table's caption, then its rows as ``a | b`` lines in groups (header row repeated)."""
    _space_blocks(table)
    for item in table.find_all("li"):
        item.append("; ")
    caption = table.find("caption")
    out = [text_of(caption)] if caption is not None and text_of(caption) else []
    rows: list[list[str]] = []
    header: list[str] | None = None
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells = row.find_all(["th", "td"], recursive=False)
        texts = [re.sub(r"\s+;", ";", text_of(cell)).rstrip(" ;") for cell in cells]
        if header is None and not rows and cells and all(c.name == "th" for c in cells):
            header = texts
        else:
            rows.append(texts)
    if header is not None and not rows:
        rows, header = [header], None
    return out + table_blocks(rows, header)
