"""Markdown (with Jekyll-style YAML front matter) to a :class:`SourceDocument`.

markdown-it-py (CommonMark, with GFM tables; :mod:`indexer.loaders.mdinline`) parses the page;
:class:`_Reader` walks its syntax tree: headings give the section path; a paragraph, a block
quote, a code block or fence each make a block; a list makes one block (adjacent lists one
together, nested items indented, ordered items renumbered from the list's start); a table's rows
become ``a | b`` lines in groups (:func:`indexer.loaders.common.table_blocks`); raw HTML is read
as the HTML loader reads a page's content, an HTML table from its opening to its closing line.
Liquid tags and HTML comments are dropped before parsing.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from bs4 import BeautifulSoup
from markdown_it.tree import SyntaxTreeNode

from indexer.documents import Block, SourceDocument
from indexer.loaders.common import (
    FileContext,
    Heading,
    build_blocks,
    decode_utf8,
    readable_stem,
    single_document,
    require_text,
    squash,
    table_blocks,
)
from indexer.loaders.htmlpage import fragment_items, html_table_blocks
from indexer.loaders.mdinline import inline_text, strip_file_noise, strip_inline
from indexer.loaders.mdinline import parser as markdown_parser

# Front-matter fields that hold the page's summary, best first.
SUMMARY_FIELDS = ("lead", "what", "summary", "description", "excerpt")
SECOND_SUMMARY_FIELDS = ("why",)

_TASK = re.compile(r"^\[[ xX]\]\s+")
_TAGS = re.compile(r"<[^<>]*>")


def load(data: bytes, ctx: FileContext) -> list[SourceDocument]:
    text = decode_utf8(data, ctx)
    require_text(text, ctx)
    front, body = split_front_matter(text, ctx)
    fm_title = front.get("title")
    title_hint = strip_inline(str(fm_title)) if fm_title is not None else ""
    body = strip_file_noise(body)
    parser = _Reader(body.split("\n"))
    parser.run(SyntaxTreeNode(markdown_parser().parse(body, {"check_time": ctx.check_time})))
    title = title_hint or parser.first_h1 or readable_stem(ctx.path)
    items: list[Heading | Block] = [Block(s) for s in _summaries(front, parser)]
    blocks = build_blocks(items + parser.items, title)
    if not blocks:
        raise ctx.error("no text (nothing but front matter and markup)")
    return single_document(ctx, title, blocks, front, "markdown")


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases: ``*name`` can make a few lines of front matter stand for
    billions of values ("billion laughs"), and front matter has no use for them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"aliases (*{event.anchor}) are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)


def split_front_matter(text: str, ctx: FileContext) -> tuple[dict[str, Any], str]:
    """The YAML mapping between a first ``---`` line and the next, and the rest of the file."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise ctx.error("front matter is not closed (no second --- line)")
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise ctx.error(f"front matter is not valid YAML: {_yaml_problem(exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ctx.error(f"front matter is not a mapping (it is {_yaml_kind(data)})")
    return data, "\n".join(lines[end + 1 :])


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    if mark is None:
        return problem
    return f"line {mark.line + 2}: {problem}"  # +1 for 1-based, +1 for the opening ---


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


def _summaries(front: dict[str, Any], parser: _Reader) -> list[str]:
    """The page summary from front matter (``lead``, ``what``, ``description``…), cleaned."""
    out: list[str] = []
    for names in (SUMMARY_FIELDS, SECOND_SUMMARY_FIELDS):
        value = next((front[n] for n in names if isinstance(front.get(n), str) and front[n].strip()), None)
        if value is None:
            continue
        text = squash(" ".join(strip_inline(p) for p in strip_file_noise(value).split("\n\n")))
        if text and not parser.contains(text):
            out.append(text)
    return out


class _Reader:
    """Reads the tree of markdown-it-py's tokens into headings and blocks (``items``)."""

    def __init__(self, lines: list[str]):
        self.lines = lines  # the parsed text's lines: nodes' ``map`` points into them
        self.items: list[Heading | Block] = []
        self.first_h1 = ""
        self._list: list[str] | None = None  # lines of the list being read (adjacent lists make one)
        self._after_list: list[Block] = []  # code inside list items, put after the list
        self._skip_to = 0  # an HTML table read from the source lines: its nodes are skipped

    def contains(self, text: str) -> bool:
        return any(isinstance(i, Block) and text in i.text for i in self.items[:3])

    def run(self, root: SyntaxTreeNode) -> None:
        for node in root.children:
            if node.map and node.map[0] < self._skip_to:
                continue
            if node.type in ("bullet_list", "ordered_list"):
                if self._list is None:
                    self._list = []
                self._list_lines(node, 0, self._list)
            else:
                self._flush_list()
                self._block(node)
        self._flush_list()

    def _block(self, node: SyntaxTreeNode) -> None:
        kind = node.type
        if kind == "heading":
            self._add_heading(int(node.tag[1:]), _inline(node))
        elif kind == "paragraph":
            self.items.append(Block(_inline(node)))
        elif kind == "blockquote":
            self.items.append(Block(squash(" ".join(_inline(n) for n in _inlines(node)))))
        elif kind in ("fence", "code_block"):
            self.items.append(_code(node))
        elif kind == "table":
            self.items.extend(Block(text) for text in _table_blocks(node))
        elif kind == "html_block":
            self._html(node)

    def _add_heading(self, level: int, text: str) -> None:
        if not text:
            return
        if level == 1 and not self.first_h1:
            self.first_h1 = text
        self.items.append(Heading(level, text))

    def _list_lines(self, node: SyntaxTreeNode, depth: int, lines: list[str]) -> None:
        """One line per item, ``- `` for bullets, ``1.`` (renumbered from the list's start) for
        ordered items, nested lists indented below their item."""
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1)) if ordered else 0
        for item in node.children:
            own: list[str] = []
            nested: list[SyntaxTreeNode] = []
            for child in item.children:
                if child.type in ("bullet_list", "ordered_list"):
                    nested.append(child)
                elif child.type in ("fence", "code_block"):
                    self._after_list.append(_code(child))
                else:
                    own.extend(_inline(n) for n in _inlines(child))
            text = _TASK.sub("", squash(" ".join(own)))
            if text:
                lines.append("  " * depth + (f"{number}." if ordered else "-") + " " + text)
                number += 1
            for sub in nested:
                self._list_lines(sub, depth + 1, lines)

    def _flush_list(self) -> None:
        if self._list is not None:
            self.items.append(Block("\n".join(self._list)))
            self.items.extend(self._after_list)
            self._list, self._after_list = None, []

    def _html(self, node: SyntaxTreeNode) -> None:
        """Raw HTML: a table is read from its opening line to its closing one (blank lines
        inside it end markdown-it's HTML block, not the table); other HTML as the HTML loader
        reads a page's content, with any Markdown left in its text read as inline Markdown."""
        start = node.map[0] if node.map else 0
        first = next((i for i in range(start, len(self.lines)) if "<table" in self.lines[i].lower()), None)
        if first is not None and node.map and first < node.map[1]:
            end = next((i for i in range(first, len(self.lines)) if "</table" in self.lines[i].lower()),
                       len(self.lines) - 1)
            self._skip_to = end + 1
            table = BeautifulSoup("\n".join(self.lines[first : end + 1]), "lxml").find("table")
            if table is not None:
                self.items.extend(Block(text) for text in html_table_blocks(table))
            return
        if not _TAGS.sub("", node.content).strip():
            return  # tags only (<section markdown="1">, </div>): no text
        for item in fragment_items(node.content):
            if isinstance(item, Block):
                item = Block("\n".join(strip_inline(line) for line in item.text.split("\n")))
            self.items.append(item)


def _inlines(node: SyntaxTreeNode):
    """The inline nodes under ``node``, in document order."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "inline":
            yield current
        else:
            stack.extend(reversed(current.children))


def _inline(node: SyntaxTreeNode) -> str:
    """The readable text of a heading, paragraph or cell (``node`` or its one inline child)."""
    inline = node if node.type == "inline" else next(iter(node.children), None)
    if inline is None or inline.type != "inline":
        return ""
    return inline_text(inline.token.children or []) if inline.token is not None else ""


def _code(node: SyntaxTreeNode) -> Block:
    return Block("\n".join(line.rstrip() for line in node.content.split("\n")).strip("\n"))


def _table_blocks(node: SyntaxTreeNode) -> list[str]:
    header: list[str] | None = None
    rows: list[list[str]] = []
    for section in node.children:  # thead, tbody
        for row in section.children:
            cells = [_inline(cell) for cell in row.children]
            if section.type == "thead":
                header = cells
            else:
                rows.append(cells)
    if header is not None and not rows:
        rows, header = [header], None
    return table_blocks(rows, header)
